package gkdi

import (
	"container/list"
	"crypto/subtle"
	"encoding/binary"
	"sync"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// SeedKeyLen is the length of L0, L1 and L2 seed keys.
const SeedKeyLen = 64

// labelKDSService is "KDS service" in UTF-16LE with its NUL unit, the label
// of every seed-key derivation.
var labelKDSService = utf16z("KDS service")

// GMSASecurityDescriptor is GmsaSD of [MS-ADTS] 3.1.1.4.5.39,
// O:SYD:(A;;FRFW;;;S-1-5-9), the target security descriptor mixed into the
// L1 key of every gMSA password.
var GMSASecurityDescriptor = []byte{
	0x01, 0x00, 0x04, 0x80, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
	0x9f, 0x01, 0x12, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x09, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00,
}

// checkRequest applies the checks Samba's compute_seed_key applies, in its
// order: the root key first (NOT_SUPPORTED), then the GKID, which must name
// an L1 or L2 key (INVALID_PARAMETER).
func checkRequest(root *RootKey, g GKID) error {
	if err := root.Validate(); err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return err
	}
	if t := g.Type(); t != KeyL1 && t != KeyL2 {
		return errorf(ErrInvalidParameter, "GKID", g.String(), "names an %s key; only L1 and L2 seed keys can be derived", t)
	}
	return nil
}

// SeedKey derives the L1 or L2 seed key g names from root, with sd as the
// target security descriptor ([MS-GKDI] 3.1.4.1.2; for gMSAs sd is
// [GMSASecurityDescriptor]):
//
//	L0       = KDF(root,      ctx(L0,-1,-1))
//	L1[31]   = KDF(L0,        ctx(L0,31,-1) || sd)
//	L1[n]    = KDF(L1[n+1],   ctx(L0,n,-1))     n = 30 … L1
//	L2[31]   = KDF(L1[L1],    ctx(L0,L1,31))
//	L2[n]    = KDF(L2[n+1],   ctx(L0,L1,n))     n = 30 … L2
//
// with ctx = root key GUID || L0 || L1 || L2 (int32 little-endian).
func SeedKey(root *RootKey, g GKID, sd []byte) ([]byte, error) {
	if err := checkRequest(root, g); err != nil {
		return nil, err
	}
	l1 := deriveL1(root, g.L0, g.L1, nil, L1KeyIteration, sd)
	if g.Type() == KeyL1 {
		return l1, nil
	}
	return deriveL2(root, g, l1), nil
}

// deriveL1 returns L1[want] of chain L0. from is L1[fromIdx] if the caller
// already has a key above want, or nil (fromIdx == 32) to start at the root.
func deriveL1(root *RootKey, l0, want int32, from []byte, fromIdx int32, sd []byte) []byte {
	var ctx [28 + 256]byte
	key := from
	if key == nil {
		key = KDF(root.Hash, root.Data, labelKDSService, context(ctx[:0], root.ID, l0, -1, -1), SeedKeyLen)
		c := append(context(ctx[:0], root.ID, l0, L1KeyIteration-1, -1), sd...)
		key = KDF(root.Hash, key, labelKDSService, c, SeedKeyLen)
		fromIdx = L1KeyIteration - 1
	}
	for n := fromIdx - 1; n >= want; n-- {
		key = KDF(root.Hash, key, labelKDSService, context(ctx[:0], root.ID, l0, n, -1), SeedKeyLen)
	}
	return key
}

// deriveL2 walks the L2 chain of g.L1 from index 31 down to g.L2.
func deriveL2(root *RootKey, g GKID, l1 []byte) []byte {
	var ctx [28]byte
	key := l1
	for n := int32(L2KeyIteration - 1); n >= g.L2; n-- {
		key = KDF(root.Hash, key, labelKDSService, context(ctx[:0], root.ID, g.L0, g.L1, n), SeedKeyLen)
	}
	return key
}

func context(dst []byte, id adtypes.GUID, l0, l1, l2 int32) []byte {
	dst = append(dst, id[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(l0))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(l1))
	return binary.LittleEndian.AppendUint32(dst, uint32(l2))
}

// KDFBlocks returns how many HMAC computations SeedKey performs for g with a
// root key using h: the cost model the benchmarks compare against.
func KDFBlocks(h Hash, g GKID) int {
	per := (SeedKeyLen + h.Size() - 1) / h.Size()
	n := 2 + int(L1KeyIteration-1-g.L1)
	if g.Type() == KeyL2 {
		n += int(L2KeyIteration - g.L2)
	}
	return n * per
}

// A Deriver derives seed keys for one target security descriptor and keeps
// the L1 and L2 keys it computed in a bounded LRU cache, so that nearby GKIDs
// do not redo the chain: an L2 key for the same (root, GKID) is a lookup, an
// L2 key in a cached L1 interval costs only its L2 chain, and an L1 key below
// a cached one continues downward from it. It is safe for concurrent use.
//
// Cached keys are tied to the root key's data, not only its GUID: a root key
// with a reused GUID but different data never gets another key's entries.
type Deriver struct {
	sd  []byte
	max int

	mu    sync.Mutex
	lru   *list.List // of *cacheEntry, most recent at the front
	items map[cacheKey]*list.Element
	stats DeriverStats
}

// DeriverStats counts cache use, for tests and metrics.
type DeriverStats struct {
	L2Hits, L1Hits, Misses uint64
}

type cacheKey struct {
	root       adtypes.GUID
	l0, l1, l2 int32 // l2 = -1 for an L1 key
}

type cacheEntry struct {
	key      cacheKey
	rootData []byte
	seed     []byte
}

// NewDeriver returns a Deriver for target descriptor sd that caches at most
// maxEntries keys (at least 2).
func NewDeriver(sd []byte, maxEntries int) *Deriver {
	return &Deriver{
		sd:    append([]byte(nil), sd...),
		max:   max(2, maxEntries),
		lru:   list.New(),
		items: make(map[cacheKey]*list.Element),
	}
}

// SeedKey is [SeedKey] with the cache. The returned slice is the caller's.
func (d *Deriver) SeedKey(root *RootKey, g GKID) ([]byte, error) {
	if err := checkRequest(root, g); err != nil {
		return nil, err
	}
	if g.Type() == KeyL2 {
		if k := d.lookup(root, cacheKey{root.ID, g.L0, g.L1, g.L2}); k != nil {
			d.count(func(s *DeriverStats) { s.L2Hits++ })
			return k, nil
		}
	}
	l1 := d.l1(root, g.L0, g.L1)
	if g.Type() == KeyL1 {
		return l1, nil
	}
	l2 := deriveL2(root, g, l1)
	d.store(root, cacheKey{root.ID, g.L0, g.L1, g.L2}, l2)
	return append([]byte(nil), l2...), nil
}

// l1 finds L1[want] in the cache or derives it from the nearest cached L1
// key above it in the same L0 chain, or from the root.
func (d *Deriver) l1(root *RootKey, l0, want int32) []byte {
	for idx := want; idx < L1KeyIteration; idx++ {
		k := d.lookup(root, cacheKey{root.ID, l0, idx, -1})
		if k == nil {
			continue
		}
		d.count(func(s *DeriverStats) { s.L1Hits++ })
		if idx == want {
			return k
		}
		key := deriveL1(root, l0, want, k, idx, d.sd)
		d.store(root, cacheKey{root.ID, l0, want, -1}, key)
		return key
	}
	d.count(func(s *DeriverStats) { s.Misses++ })
	key := deriveL1(root, l0, want, nil, L1KeyIteration, d.sd)
	d.store(root, cacheKey{root.ID, l0, want, -1}, key)
	return key
}

func (d *Deriver) lookup(root *RootKey, k cacheKey) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	el, ok := d.items[k]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if subtle.ConstantTimeCompare(e.rootData, root.Data) != 1 {
		return nil
	}
	d.lru.MoveToFront(el)
	return append([]byte(nil), e.seed...)
}

func (d *Deriver) store(root *RootKey, k cacheKey, seed []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := &cacheEntry{key: k, rootData: append([]byte(nil), root.Data...), seed: append([]byte(nil), seed...)}
	if el, ok := d.items[k]; ok {
		el.Value = e
		d.lru.MoveToFront(el)
		return
	}
	d.items[k] = d.lru.PushFront(e)
	for d.lru.Len() > d.max {
		old := d.lru.Back()
		d.lru.Remove(old)
		delete(d.items, old.Value.(*cacheEntry).key)
	}
}

func (d *Deriver) count(f func(*DeriverStats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// Stats returns the cache counters.
func (d *Deriver) Stats() DeriverStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Len returns the number of cached keys.
func (d *Deriver) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lru.Len()
}
