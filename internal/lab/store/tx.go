package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"
)

// Tx is a transaction, valid only inside the function given to View or
// Update. Entries it returns are copies the caller may keep and change.
type Tx struct {
	s                                *Store
	btx                              *bbolt.Tx
	entries, roots, meta, sys, index *bbolt.Bucket
	gen                              int // bumped by every change of entries, for Walk
}

// Scope is an LDAP search scope (RFC 4511 §4.5.1.2), with LDAP's values.
type Scope int

// The scopes of Walk.
const (
	ScopeBase    Scope = 0 // the base entry only
	ScopeOne     Scope = 1 // the base's children
	ScopeSubtree Scope = 2 // the base and all its descendants
)

// Names of the bookkeeping attributes the store maintains.
const (
	attrGUID        = "objectGUID"
	attrWhenCreated = "whenCreated"
	attrWhenChanged = "whenChanged"
	attrUSNCreated  = "uSNCreated"
	attrUSNChanged  = "uSNChanged"
)

// generalizedTime is the form AD returns for whenCreated/whenChanged.
const generalizedTime = "20060102150405"

func (tx *Tx) key(dn string) ([]byte, error) {
	k, err := dnKey(dn)
	if err != nil {
		return nil, err
	}
	if len(k) == 0 {
		return nil, &DNError{DN: dn, Reason: "empty DN names no entry"}
	}
	return k, nil
}

func (tx *Tx) load(k []byte) (*Entry, error) {
	v := tx.entries.Get(k)
	if v == nil {
		return nil, nil
	}
	return decodeEntry(k, v)
}

// Get returns the entry named dn, or an error matching ErrNotFound.
func (tx *Tx) Get(dn string) (*Entry, error) {
	k, err := tx.key(dn)
	if err != nil {
		return nil, err
	}
	e, err := tx.load(k)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("lab store: %q: %w", dn, ErrNotFound)
	}
	return e, nil
}

// Add stores the new entry e. Its parent must exist unless its DN is a
// naming-context root (see AddRoot). Attributes of the same name are
// merged and attributes without values dropped. Add sets objectGUID (16
// random bytes) and whenCreated when e has none, and always sets
// whenChanged (generalized time, "20061231235959.0Z"), uSNCreated and
// uSNChanged (the next value of the database's update counter, decimal).
// e itself is not modified. Errors match ErrExists or ErrNoParent.
func (tx *Tx) Add(e *Entry) error { return tx.add(e, false) }

// AddRoot stores e as a naming-context root: an entry whose parent need
// not exist (the domain "DC=contoso,DC=com", its Configuration NC). It is
// otherwise Add.
func (tx *Tx) AddRoot(e *Entry) error { return tx.add(e, true) }

func (tx *Tx) add(in *Entry, root bool) error {
	tx.gen++
	k, err := tx.key(in.DN)
	if err != nil {
		return err
	}
	if tx.entries.Get(k) != nil {
		return fmt.Errorf("lab store: add %q: %w", in.DN, ErrExists)
	}
	if !root && tx.roots.Get(k) == nil {
		pk := k[:bytes.LastIndexByte(k[:len(k)-1], 0)+1]
		if len(pk) == 0 || tx.entries.Get(pk) == nil {
			return fmt.Errorf("lab store: add %q: %w", in.DN, ErrNoParent)
		}
	}
	e := in.tidy()
	if e.Get(attrGUID) == nil {
		guid := make([]byte, 16)
		if _, err := io.ReadFull(tx.s.rand, guid); err != nil {
			return fmt.Errorf("lab store: add %q: objectGUID: %w", in.DN, err)
		}
		e.Set(attrGUID, guid)
	}
	now := []byte(tx.s.now().UTC().Format(generalizedTime) + ".0Z")
	if e.Get(attrWhenCreated) == nil {
		e.Set(attrWhenCreated, now)
	}
	e.Set(attrWhenChanged, now)
	usn, err := tx.nextUSN()
	if err != nil {
		return err
	}
	e.Set(attrUSNCreated, usn)
	e.Set(attrUSNChanged, usn)
	if err := tx.reindex(k, nil, e); err != nil {
		return err
	}
	if root {
		if err := tx.roots.Put(k, []byte(e.DN)); err != nil {
			return err
		}
	}
	if err := tx.addCount(1); err != nil {
		return err
	}
	return tx.entries.Put(k, encodeEntry(e))
}

// Put replaces the attributes of the existing entry named e.DN (the stored
// DN is kept), bumps whenChanged and uSNChanged, and keeps the stored
// objectGUID, whenCreated and uSNCreated whatever e says. Errors match
// ErrNotFound.
func (tx *Tx) Put(e *Entry) error {
	tx.gen++
	k, err := tx.key(e.DN)
	if err != nil {
		return err
	}
	old, err := tx.load(k)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("lab store: put %q: %w", e.DN, ErrNotFound)
	}
	ne := e.tidy()
	ne.DN = old.DN
	for _, name := range []string{attrGUID, attrWhenCreated, attrUSNCreated} {
		ne.Set(name, old.Get(name)...)
	}
	usn, err := tx.nextUSN()
	if err != nil {
		return err
	}
	ne.Set(attrWhenChanged, []byte(tx.s.now().UTC().Format(generalizedTime)+".0Z"))
	ne.Set(attrUSNChanged, usn)
	if err := tx.reindex(k, old, ne); err != nil {
		return err
	}
	return tx.entries.Put(k, encodeEntry(ne))
}

// Delete removes the leaf entry named dn, and removes dn from the member
// values of every group that lists it (AD drops links to a deleted
// object); those groups keep their whenChanged and uSNChanged. Errors match
// ErrNotFound or ErrNotLeaf.
func (tx *Tx) Delete(dn string) error {
	tx.gen++
	k, err := tx.key(dn)
	if err != nil {
		return err
	}
	old, err := tx.load(k)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("lab store: delete %q: %w", dn, ErrNotFound)
	}
	c := tx.entries.Cursor()
	if next, _ := c.Seek(append(bytes.Clone(k), 0)); next != nil && bytes.HasPrefix(next, k) {
		return fmt.Errorf("lab store: delete %q: %w", dn, ErrNotLeaf)
	}
	if err := tx.reindex(k, old, nil); err != nil {
		return err
	}
	if err := tx.entries.Delete(k); err != nil {
		return err
	}
	if err := tx.roots.Delete(k); err != nil {
		return err
	}
	if err := tx.addCount(-1); err != nil {
		return err
	}
	return tx.rewriteMembers(map[string]string{string(k): ""})
}

// Rename moves the entry oldDN, with its subtree, to newDN: every entry
// below is re-keyed and re-indexed under its new DN (written as newDN plus
// the entry's own leading RDNs), the renamed entry's whenChanged and
// uSNChanged are bumped, and member values of any group that point into
// the moved subtree are rewritten to the new DNs (those groups keep their
// whenChanged and uSNChanged). newDN may differ from oldDN only in case.
// A renamed naming-context root stays a root. Errors match ErrNotFound,
// ErrExists or ErrNoParent.
func (tx *Tx) Rename(oldDN, newDN string) error {
	tx.gen++
	ok, err := tx.key(oldDN)
	if err != nil {
		return err
	}
	nk, err := tx.key(newDN)
	if err != nil {
		return err
	}
	base, err := tx.load(ok)
	if err != nil {
		return err
	}
	if base == nil {
		return fmt.Errorf("lab store: rename %q: %w", oldDN, ErrNotFound)
	}
	same := bytes.Equal(ok, nk)
	if !same {
		if tx.entries.Get(nk) != nil {
			return fmt.Errorf("lab store: rename %q to %q: %w", oldDN, newDN, ErrExists)
		}
		if bytes.HasPrefix(nk, ok) {
			return fmt.Errorf("lab store: rename %q to %q: cannot move an entry below itself", oldDN, newDN)
		}
		if tx.roots.Get(ok) == nil {
			pk := nk[:bytes.LastIndexByte(nk[:len(nk)-1], 0)+1]
			if len(pk) == 0 || tx.entries.Get(pk) == nil {
				return fmt.Errorf("lab store: rename %q to %q: %w", oldDN, newDN, ErrNoParent)
			}
		}
	}

	type moved struct {
		oldKey, newKey []byte
		e              *Entry
		old            *Entry
		root           bool
	}
	var ms []moved
	baseDepth := len(splitRawRDNs(base.DN))
	c := tx.entries.Cursor()
	for k, v := c.Seek(ok); k != nil && bytes.HasPrefix(k, ok); k, v = c.Next() {
		old, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		raw := splitRawRDNs(old.DN)
		if len(raw) < baseDepth {
			return &CorruptError{Key: k, Reason: fmt.Sprintf("stored DN %q is shorter than its key", old.DN)}
		}
		e := old.Clone()
		e.DN = strings.Join(append(raw[:len(raw)-baseDepth:len(raw)-baseDepth], newDN), ",")
		nkey := append(bytes.Clone(nk), k[len(ok):]...)
		ms = append(ms, moved{oldKey: bytes.Clone(k), newKey: nkey, e: e, old: old, root: tx.roots.Get(k) != nil})
	}
	usn, err := tx.nextUSN()
	if err != nil {
		return err
	}
	ms[0].e.Set(attrWhenChanged, []byte(tx.s.now().UTC().Format(generalizedTime)+".0Z"))
	ms[0].e.Set(attrUSNChanged, usn)

	for _, m := range ms {
		if err := tx.reindex(m.oldKey, m.old, nil); err != nil {
			return err
		}
		if err := tx.entries.Delete(m.oldKey); err != nil {
			return err
		}
		if err := tx.roots.Delete(m.oldKey); err != nil {
			return err
		}
	}
	renames := make(map[string]string, len(ms))
	for _, m := range ms {
		if err := tx.reindex(m.newKey, nil, m.e); err != nil {
			return err
		}
		if err := tx.entries.Put(m.newKey, encodeEntry(m.e)); err != nil {
			return err
		}
		if m.root {
			if err := tx.roots.Put(m.newKey, []byte(m.e.DN)); err != nil {
				return err
			}
		}
		renames[string(m.oldKey)] = m.e.DN
	}
	return tx.rewriteMembers(renames)
}

// rewriteMembers replaces, in every group whose member values name one of
// the keys of renames, such a value by its new DN, or drops it when the new
// DN is "". The groups' bookkeeping attributes are left alone.
func (tx *Tx) rewriteMembers(renames map[string]string) error {
	seen := make(map[string]bool)
	var groups [][]byte
	for k := range renames {
		for _, g := range tx.lookupKeys("member", []byte(k)) {
			if !seen[string(g)] {
				seen[string(g)] = true
				groups = append(groups, g)
			}
		}
	}
	for _, gk := range groups {
		old, err := tx.load(gk)
		if err != nil {
			return err
		}
		if old == nil {
			return &CorruptError{Key: gk, Reason: "member index names a missing entry"}
		}
		e := old.Clone()
		var members [][]byte
		for _, v := range e.Get("member") {
			mk, err := dnKey(string(v))
			if err != nil {
				return &CorruptError{Key: gk, Reason: err.Error()}
			}
			if dn, ok := renames[string(mk)]; ok {
				if dn == "" {
					continue
				}
				v = []byte(dn)
			}
			members = append(members, v)
		}
		e.Set("member", members...)
		if err := tx.reindex(gk, old, e); err != nil {
			return err
		}
		if err := tx.entries.Put(gk, encodeEntry(e)); err != nil {
			return err
		}
	}
	return nil
}

// Walk calls fn for the entries under base in scope, parents before
// children, siblings in the order of their normalized RDNs. It reads the
// subtree of base only: a one-level walk seeks past each child's subtree.
// fn may modify the store (in an Update): Walk re-seeks after each call.
// fn returning ErrStop ends the walk with nil; ErrSkipSubtree skips the
// children of the entry just visited; other errors end the walk and are
// returned. The empty base names the whole database: ScopeSubtree visits
// every entry, ScopeOne the naming-context roots, ScopeBase nothing. A
// missing base is an error matching ErrNotFound. Walk does not stop at
// naming-context roots nested below base (see Roots).
func (tx *Tx) Walk(base string, scope Scope, fn func(*Entry) error) error {
	err := tx.walk(base, scope, fn)
	if errors.Is(err, ErrStop) || err == ErrSkipSubtree {
		return nil
	}
	return err
}

func (tx *Tx) walk(base string, scope Scope, fn func(*Entry) error) error {
	bk, err := dnKey(base)
	if err != nil {
		return err
	}
	if scope < ScopeBase || scope > ScopeSubtree {
		return fmt.Errorf("lab store: walk %q: scope %d is not base, one or subtree", base, scope)
	}
	if len(bk) == 0 {
		switch scope {
		case ScopeOne:
			for _, r := range tx.rootKeys() {
				e, err := tx.load(r)
				if err != nil {
					return err
				}
				if e != nil {
					if err := visit(fn, e); err != nil && err != ErrSkipSubtree {
						return err
					}
				}
			}
		case ScopeSubtree:
			return tx.walkFrom(nil, nil, fn)
		}
		return nil
	}
	e, err := tx.load(bk)
	if err != nil {
		return err
	}
	if e == nil {
		return fmt.Errorf("lab store: walk %q: %w", base, ErrNotFound)
	}
	switch scope {
	case ScopeBase:
		return visit(fn, e)
	case ScopeSubtree:
		err := visit(fn, e)
		if err == ErrSkipSubtree {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.walkFrom(bk, append(bytes.Clone(bk), 0), fn)
	}
	// ScopeOne: the first key after base's that lies in its subtree is a
	// child (or, with a missing intermediate, a deeper entry: skipped).
	depth := keyDepth(bk)
	c := tx.entries.Cursor()
	seek := append(bytes.Clone(bk), 0)
	for {
		k, v := c.Seek(seek)
		if k == nil || !bytes.HasPrefix(k, bk) {
			return nil
		}
		child := k[:bytes.IndexByte(k[len(bk):], 0)+len(bk)+1]
		seek = subtreeEnd(child)
		if keyDepth(k) != depth+1 {
			continue
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		if err := visit(fn, e); err != nil && err != ErrSkipSubtree {
			return err
		}
	}
}

// walkFrom visits, in key order, the keys with prefix from seek onwards.
// The cursor moves on with Next unless fn changed the entries, when it
// re-seeks (a bbolt cursor does not survive changes to its bucket).
func (tx *Tx) walkFrom(prefix, seek []byte, fn func(*Entry) error) error {
	c := tx.entries.Cursor()
	k, v := c.Seek(seek)
	for k != nil && bytes.HasPrefix(k, prefix) {
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		gen := tx.gen
		err = visit(fn, e)
		switch {
		case err == ErrSkipSubtree:
			k, v = c.Seek(subtreeEnd(k))
		case err != nil:
			return err
		case gen != tx.gen:
			k, v = c.Seek(append(bytes.Clone(k), 0))
		default:
			k, v = c.Next()
		}
	}
	return nil
}

func visit(fn func(*Entry) error, e *Entry) error {
	err := fn(e)
	if errors.Is(err, ErrStop) {
		return ErrStop
	}
	return err
}

func (tx *Tx) rootKeys() [][]byte {
	var keys [][]byte
	c := tx.roots.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// Roots returns the DNs of the naming-context roots added with AddRoot, in
// key order.
func (tx *Tx) Roots() []string {
	var dns []string
	c := tx.roots.Cursor()
	for _, v := c.First(); v != nil; _, v = c.Next() {
		dns = append(dns, string(v))
	}
	return dns
}

// Meta returns a copy of the metadata value for key, or nil.
func (tx *Tx) Meta(key string) []byte {
	return bytes.Clone(tx.meta.Get([]byte(key)))
}

// SetMeta stores a metadata value (domain SID, RID counter, clock offset);
// a nil value deletes key.
func (tx *Tx) SetMeta(key string, value []byte) error {
	if key == "" {
		return errors.New("lab store: metadata key is empty")
	}
	if value == nil {
		return tx.meta.Delete([]byte(key))
	}
	return tx.meta.Put([]byte(key), bytes.Clone(value))
}

// Count returns the number of entries.
func (tx *Tx) Count() int { return int(tx.counter(sysCount)) }

// USN returns the highest update sequence number given so far.
func (tx *Tx) USN() uint64 { return tx.counter(sysUSN) }

func (tx *Tx) counter(name []byte) uint64 {
	v := tx.sys.Get(name)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (tx *Tx) nextUSN() ([]byte, error) {
	n := tx.counter(sysUSN) + 1
	if err := tx.sys.Put(sysUSN, binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return nil, err
	}
	return strconv.AppendUint(nil, n, 10), nil
}

func (tx *Tx) addCount(d int) error {
	n := int64(tx.counter(sysCount)) + int64(d)
	return tx.sys.Put(sysCount, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// Check verifies the database's consistency: every record decodes and
// sits under the key of its own DN, every entry but a naming-context root
// has its parent, the indexes hold exactly the entries' values, the entry
// count is right and no uSNChanged exceeds the update counter. The first
// problem is returned as a *CorruptError. It reads the whole database.
func (tx *Tx) Check() error {
	want := make(map[string]map[string]string)
	n := 0
	usn := tx.USN()
	c := tx.entries.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n++
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		dk, err := dnKey(e.DN)
		if err != nil || !bytes.Equal(dk, k) {
			return &CorruptError{Key: k, Reason: fmt.Sprintf("stored DN %q does not match the key", e.DN)}
		}
		if tx.roots.Get(k) == nil {
			pk := k[:bytes.LastIndexByte(k[:len(k)-1], 0)+1]
			if len(pk) == 0 || tx.entries.Get(pk) == nil {
				return &CorruptError{Key: k, Reason: "parent entry missing"}
			}
		}
		if u, err := strconv.ParseUint(e.String(attrUSNChanged), 10, 64); err != nil || u > usn {
			return &CorruptError{Key: k, Reason: fmt.Sprintf("uSNChanged %q beyond the counter %d", e.String(attrUSNChanged), usn)}
		}
		keys, err := indexKeys(k, e)
		if err != nil {
			return &CorruptError{Key: k, Reason: err.Error()}
		}
		for name, set := range keys {
			if want[name] == nil {
				want[name] = make(map[string]string)
			}
			for ik := range set {
				want[name][ik] = e.DN
			}
		}
	}
	if n != tx.Count() {
		return &CorruptError{Key: sysCount, Reason: fmt.Sprintf("count %d, but %d entries", tx.Count(), n)}
	}
	for _, ix := range indexes {
		got := 0
		ic := tx.index.Bucket([]byte(ix.name)).Cursor()
		for k, v := ic.First(); k != nil; k, v = ic.Next() {
			got++
			dn, ok := want[ix.name][string(k)]
			if !ok || dn != string(v) {
				return &CorruptError{Key: k, Reason: fmt.Sprintf("stale %s index entry for %q", ix.name, v)}
			}
		}
		if got != len(want[ix.name]) {
			return &CorruptError{Key: []byte(ix.name), Reason: fmt.Sprintf("index has %d keys, entries give %d", got, len(want[ix.name]))}
		}
	}
	c = tx.roots.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if tx.entries.Get(k) == nil {
			return &CorruptError{Key: k, Reason: "naming-context root without entry"}
		}
	}
	return nil
}
