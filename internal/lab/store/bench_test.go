package store

import (
	"fmt"
	"path/filepath"
	"testing"
)

const benchUsers = 10000

// benchStore builds a database of benchUsers user-like entries (sAMAccountName,
// two servicePrincipalNames, objectSid, memberOf-style membership: each user
// is a member of 10 of 100 groups). Durable commits are kept (the default)
// except while loading.
func benchStore(b *testing.B) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "lab.db")
	opt := testOptions()
	opt.NoSync = true
	s, err := Open(path, opt)
	if err != nil {
		b.Fatal(err)
	}
	// Loaded in batches: bbolt splits nodes only at commit, so one
	// transaction with 100,000 index keys spends its time in memmove.
	err = s.Update(func(tx *Tx) error {
		if err := tx.AddRoot(&Entry{DN: "DC=contoso,DC=com"}); err != nil {
			return err
		}
		return tx.Add(&Entry{DN: "CN=Users,DC=contoso,DC=com"})
	})
	if err != nil {
		b.Fatal(err)
	}
	groups := make([]*Entry, 100)
	for g := range groups {
		groups[g] = &Entry{DN: fmt.Sprintf("CN=Group%d,CN=Users,DC=contoso,DC=com", g)}
	}
	for lo := 0; lo < benchUsers; lo += 500 {
		err = s.Update(func(tx *Tx) error {
			for i := lo; i < lo+500; i++ {
				dn := fmt.Sprintf("CN=User%d,CN=Users,DC=contoso,DC=com", i)
				e := &Entry{DN: dn, Attrs: []Attribute{
					{"objectClass", vals("top", "person", "organizationalPerson", "user")},
					{"cn", vals(fmt.Sprintf("User%d", i))},
					{"sAMAccountName", vals(fmt.Sprintf("user%d", i))},
					{"servicePrincipalName", vals(fmt.Sprintf("HTTP/user%d.contoso.com", i), fmt.Sprintf("HOST/user%d", i))},
					{"objectSid", [][]byte{fmt.Appendf(nil, "S-1-5-21-1-2-3-%d", 1000+i)}},
					{"userAccountControl", vals("512")},
				}}
				if err := tx.Add(e); err != nil {
					return err
				}
				for k := range 10 {
					groups[(i+k*7)%100].Add("member", []byte(dn))
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for lo := 0; lo < len(groups); lo += 2 {
		err = s.Update(func(tx *Tx) error {
			for _, g := range groups[lo : lo+2] {
				if err := tx.Add(g); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(path, testOptions()) // durable from here on
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkLookupSAMAccountName(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		name := fmt.Appendf(nil, "USER%d", i%benchUsers)
		s.View(func(tx *Tx) error {
			dns, err := tx.Lookup("sAMAccountName", name)
			if err != nil || len(dns) != 1 {
				b.Fatalf("Lookup %s: %q, %v", name, dns, err)
			}
			return nil
		})
	}
}

func BenchmarkGet(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		dn := fmt.Sprintf("CN=User%d,CN=Users,DC=contoso,DC=com", i%benchUsers)
		s.View(func(tx *Tx) error {
			if _, err := tx.Get(dn); err != nil {
				b.Fatal(err)
			}
			return nil
		})
	}
}

func BenchmarkWalkSubtreeAll(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		s.View(func(tx *Tx) error {
			return tx.Walk("DC=contoso,DC=com", ScopeSubtree, func(*Entry) error { n++; return nil })
		})
		if n != benchUsers+102 {
			b.Fatalf("walked %d entries", n)
		}
	}
}

func BenchmarkWalkOneLevelRoot(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		s.View(func(tx *Tx) error {
			return tx.Walk("DC=contoso,DC=com", ScopeOne, func(*Entry) error { n++; return nil })
		})
		if n != 1 {
			b.Fatalf("walked %d entries", n)
		}
	}
}

// BenchmarkUpdatePut is one durable (fsynced) transaction that changes one
// user's servicePrincipalName.
func BenchmarkUpdatePut(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		dn := fmt.Sprintf("CN=User%d,CN=Users,DC=contoso,DC=com", i%benchUsers)
		err := s.Update(func(tx *Tx) error {
			e, err := tx.Get(dn)
			if err != nil {
				return err
			}
			e.Set("servicePrincipalName", fmt.Appendf(nil, "HTTP/changed%d", i))
			return tx.Put(e)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
