package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

type indexKind int

const (
	foldIndex   indexKind = iota // strings compared case-insensitively
	binaryIndex                  // bytes compared exactly
	dnIndex                      // DNs compared by normal form
)

// indexes lists the indexed attributes; name is the lower-cased attribute
// name and the index sub-bucket's name.
var indexes = []struct {
	name string
	kind indexKind
}{
	{"samaccountname", foldIndex},
	{"serviceprincipalname", foldIndex},
	{"userprincipalname", foldIndex},
	{"objectsid", binaryIndex},
	{"objectguid", binaryIndex},
	{"member", dnIndex},
}

func indexOf(attr string) (string, indexKind, bool) {
	for _, ix := range indexes {
		if strings.EqualFold(ix.name, attr) {
			return ix.name, ix.kind, true
		}
	}
	return "", 0, false
}

// Indexed reports whether Lookup works on attr (case-insensitive name).
func Indexed(attr string) bool {
	_, _, ok := indexOf(attr)
	return ok
}

// indexValue returns the form of v stored in the index of the given kind.
func indexValue(attr string, kind indexKind, v []byte) ([]byte, error) {
	switch kind {
	case foldIndex:
		return foldValue(v), nil
	case dnIndex:
		k, err := dnKey(string(v))
		if err != nil {
			return nil, fmt.Errorf("lab store: %s value: %w", attr, err)
		}
		if len(k) == 0 {
			return nil, fmt.Errorf("lab store: %s value is an empty DN", attr)
		}
		return k, nil
	}
	return v, nil
}

// indexPrefix is the part of an index key before the entry key: the value's
// length (4 bytes, big-endian) and the value, so that a value that is a
// prefix of another never matches it.
func indexPrefix(v []byte) []byte {
	p := make([]byte, 4, 4+len(v))
	binary.BigEndian.PutUint32(p, uint32(len(v)))
	return append(p, v...)
}

// indexKeys returns, per index sub-bucket, the index keys of entry e stored
// under key, as a set of strings.
func indexKeys(key []byte, e *Entry) (map[string]map[string]struct{}, error) {
	out := make(map[string]map[string]struct{})
	for _, a := range e.Attrs {
		name, kind, ok := indexOf(a.Name)
		if !ok {
			continue
		}
		set := out[name]
		if set == nil {
			set = make(map[string]struct{}, len(a.Values))
			out[name] = set
		}
		for _, v := range a.Values {
			iv, err := indexValue(a.Name, kind, v)
			if err != nil {
				return nil, err
			}
			set[string(append(indexPrefix(iv), key...))] = struct{}{}
		}
	}
	return out, nil
}

// reindex moves the index entries of the entry at key from old (nil when
// new) to e (nil when deleted), touching only keys that differ, unless dn
// changed (every key of e is then rewritten, since index values carry the DN).
func (tx *Tx) reindex(key []byte, old, e *Entry) error {
	var oldKeys, newKeys map[string]map[string]struct{}
	var err error
	if old != nil {
		if oldKeys, err = indexKeys(key, old); err != nil {
			// A stored member value that no longer parses cannot be
			// unindexed precisely; the entry is corrupt.
			return &CorruptError{Key: key, Reason: err.Error()}
		}
	}
	if e != nil {
		if newKeys, err = indexKeys(key, e); err != nil {
			return err
		}
	}
	sameDN := old != nil && e != nil && old.DN == e.DN
	for _, ix := range indexes {
		b := tx.index.Bucket([]byte(ix.name))
		for k := range oldKeys[ix.name] {
			if _, keep := newKeys[ix.name][k]; keep && sameDN {
				continue
			}
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		for k := range newKeys[ix.name] {
			if _, had := oldKeys[ix.name][k]; had && sameDN {
				continue
			}
			if err := b.Put([]byte(k), []byte(e.DN)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Lookup returns the DNs (as stored) of the entries whose attribute attr
// has a value equal to value: case-insensitively for sAMAccountName,
// servicePrincipalName and userPrincipalName, byte for byte for objectSid
// and objectGUID, and by normalized DN for member (Lookup("member", dn)
// lists the groups that have dn as a member). The DNs come in key order
// (parents before children). On an attribute without index it returns an
// error matching ErrNotIndexed.
func (tx *Tx) Lookup(attr string, value []byte) ([]string, error) {
	name, kind, ok := indexOf(attr)
	if !ok {
		return nil, fmt.Errorf("lab store: lookup %q: %w", attr, ErrNotIndexed)
	}
	iv, err := indexValue(attr, kind, value)
	if err != nil {
		return nil, err
	}
	prefix := indexPrefix(iv)
	var dns []string
	c := tx.index.Bucket([]byte(name)).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		dns = append(dns, string(v))
	}
	return dns, nil
}

// lookupKeys returns the entry keys found under value in the index name.
func (tx *Tx) lookupKeys(name string, iv []byte) [][]byte {
	prefix := indexPrefix(iv)
	var keys [][]byte
	c := tx.index.Bucket([]byte(name)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k[len(prefix):]))
	}
	return keys
}
