package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// model is the simple in-memory picture of the store the property test
// holds the real one to: normalized DN -> entry, indexes computed by
// scanning.
type model map[string]*Entry

func mustNorm(t *testing.T, dn string) string {
	t.Helper()
	n, err := NormalizeDN(dn)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (m model) children(t *testing.T, dn string) []string {
	n := mustNorm(t, dn)
	var out []string
	for k := range m {
		if strings.HasSuffix(k, ","+n) {
			out = append(out, k)
		}
	}
	return out
}

// index scans the model and returns, per indexed attribute, the DNs of
// the entries holding each value (in the index's comparison form).
func (m model) index(t *testing.T) map[string]map[string][]string {
	idx := map[string]map[string][]string{}
	for _, e := range m {
		for _, a := range e.Attrs {
			name := strings.ToLower(a.Name)
			if idx[name] == nil {
				idx[name] = map[string][]string{}
			}
			seen := map[string]bool{}
			for _, v := range a.Values {
				k := modelForm(t, name, v)
				if !seen[k] {
					seen[k] = true
					idx[name][k] = append(idx[name][k], e.DN)
				}
			}
		}
	}
	return idx
}

func modelForm(t *testing.T, attr string, v []byte) string {
	switch strings.ToLower(attr) {
	case "member":
		return mustNorm(t, string(v))
	case "objectsid":
		return string(v)
	}
	return strings.ToLower(string(v))
}

var (
	modelNames = []string{"a", "B", `x\, y`, "Smith\\2C J", "#1"}
	modelSAMs  = []string{"alice", "ALICE", "bob", "Carol$"}
	modelSPNs  = []string{"HTTP/web", "http/WEB", "host/dc1", "ldap/x"}
	modelSIDs  = [][]byte{{1, 5, 0}, {1, 5, 0, 0}, {0}}
)

func randCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if r.IntN(2) == 0 && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		} else if c >= 'A' && c <= 'Z' && r.IntN(2) == 0 {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func escapeName(n string) string {
	if strings.HasPrefix(n, "#") {
		return `\` + n
	}
	return n
}

func (m model) randomDN(r *rand.Rand) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return m[keys[r.IntN(len(keys))]].DN
}

func (m model) randomAttrs(r *rand.Rand) []Attribute {
	var attrs []Attribute
	attrs = append(attrs, Attribute{randCase(r, "sAMAccountName"), vals(modelSAMs[r.IntN(len(modelSAMs))])})
	if n := r.IntN(3); n > 0 {
		a := Attribute{Name: "servicePrincipalName"}
		for range n {
			a.Values = append(a.Values, []byte(modelSPNs[r.IntN(len(modelSPNs))]))
		}
		attrs = append(attrs, a)
	}
	if r.IntN(2) == 0 {
		attrs = append(attrs, Attribute{"objectSid", [][]byte{modelSIDs[r.IntN(len(modelSIDs))]}})
	}
	if n := r.IntN(4); n > 0 {
		a := Attribute{Name: "Member"}
		for range n {
			a.Values = append(a.Values, []byte(randCase(r, m.randomDN(r))))
		}
		attrs = append(attrs, a)
	}
	return attrs
}

// userView keeps the attributes the caller controls.
func userView(e *Entry) *Entry {
	c := &Entry{DN: e.DN}
	for _, a := range e.Attrs {
		switch strings.ToLower(a.Name) {
		case "objectguid", "whencreated", "whenchanged", "usncreated", "usnchanged":
			continue
		}
		c.Attrs = append(c.Attrs, a)
	}
	return c
}

func TestModelRandomOperations(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			runModel(t, seed, 250)
		})
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 0))
	// fsync is not what this test is about; without it the test is fast.
	opt := testOptions()
	opt.NoSync = true
	s, err := Open(filepath.Join(t.TempDir(), "lab.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	root := &Entry{DN: "DC=lab,DC=test"}
	update(t, s, func(tx *Tx) error { return tx.AddRoot(root) })
	m := model{mustNorm(t, root.DN): root.Clone()}
	for step := range steps {
		var op string
		var err, want error
		switch k := r.IntN(10); {
		case k < 4: // Add
			parent := m.randomDN(r)
			dn := randCase(r, "cn") + "=" + escapeName(modelNames[r.IntN(len(modelNames))]) + "," + parent
			e := &Entry{DN: dn, Attrs: m.randomAttrs(r)}
			op = "Add " + dn
			err = s.Update(func(tx *Tx) error { return tx.Add(e) })
			if _, ok := m[mustNorm(t, dn)]; ok {
				want = ErrExists
			} else {
				m[mustNorm(t, dn)] = e.tidy()
			}
		case k < 6: // Put
			dn := m.randomDN(r)
			e := &Entry{DN: randCase(r, dn), Attrs: m.randomAttrs(r)}
			op = "Put " + e.DN
			err = s.Update(func(tx *Tx) error { return tx.Put(e) })
			ne := e.tidy()
			ne.DN = dn
			m[mustNorm(t, dn)] = ne
		case k < 8: // Delete
			dn := m.randomDN(r)
			if mustNorm(t, dn) == mustNorm(t, root.DN) {
				continue
			}
			op = "Delete " + dn
			err = s.Update(func(tx *Tx) error { return tx.Delete(dn) })
			if len(m.children(t, dn)) > 0 {
				want = ErrNotLeaf
			} else {
				n := mustNorm(t, dn)
				delete(m, n)
				for _, e := range m {
					var keep [][]byte
					for _, v := range e.Get("member") {
						if mustNorm(t, string(v)) != n {
							keep = append(keep, v)
						}
					}
					e.Set("member", keep...)
				}
			}
		default: // Rename
			from := m.randomDN(r)
			if mustNorm(t, from) == mustNorm(t, root.DN) {
				continue
			}
			to := randCase(r, "CN") + "=" + escapeName(modelNames[r.IntN(len(modelNames))]) + "," + m.randomDN(r)
			op = "Rename " + from + " -> " + to
			err = s.Update(func(tx *Tx) error { return tx.Rename(from, to) })
			fn, tn := mustNorm(t, from), mustNorm(t, to)
			switch {
			case fn == tn:
				m.rename(t, from, to)
			case m[tn] != nil:
				want = ErrExists
			case strings.HasSuffix(tn, ","+fn):
				want = errBelowItself
			default:
				m.rename(t, from, to)
			}
		}
		if want == errBelowItself {
			if err == nil || !strings.Contains(err.Error(), "below itself") {
				t.Fatalf("step %d %s: %v, want a below-itself error", step, op, err)
			}
		} else if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("step %d %s: %v, want %v", step, op, err, want)
		}
		compareModel(t, s, m, fmt.Sprintf("step %d %s", step, op))
	}
}

var errBelowItself = errors.New("below itself")

// rename applies Rename to the model: the subtree's DNs and the member
// values pointing into it.
func (m model) rename(t *testing.T, from, to string) {
	fn := mustNorm(t, from)
	base := m[fn]
	depth := len(splitRawRDNs(base.DN))
	newDN := map[string]string{}
	for k, e := range m {
		if k == fn || strings.HasSuffix(k, ","+fn) {
			raw := splitRawRDNs(e.DN)
			nd := strings.Join(append(raw[:len(raw)-depth:len(raw)-depth], to), ",")
			newDN[k] = nd
		}
	}
	for k, nd := range newDN {
		e := m[k]
		delete(m, k)
		e.DN = nd
		m[mustNorm(t, nd)] = e
	}
	for _, e := range m {
		vs := e.Get("member")
		for i, v := range vs {
			if nd, ok := newDN[mustNorm(t, string(v))]; ok {
				vs[i] = []byte(nd)
			}
		}
	}
}

func compareModel(t *testing.T, s *Store, m model, where string) {
	t.Helper()
	err := s.View(func(tx *Tx) error {
		if err := tx.Check(); err != nil {
			return err
		}
		if tx.Count() != len(m) {
			return fmt.Errorf("Count %d, model %d", tx.Count(), len(m))
		}
		for k, want := range m {
			got, err := tx.Get(k)
			if err != nil {
				return err
			}
			if g, w := userView(got), want; g.DN != w.DN || fmt.Sprint(g.Attrs) != fmt.Sprint(w.Attrs) {
				return fmt.Errorf("entry %s:\n got %q %q\nwant %q %q", k, g.DN, g.Attrs, w.DN, w.Attrs)
			}
		}
		queries := map[string][][]byte{"sAMAccountName": vals(modelSAMs...), "servicePrincipalName": vals(modelSPNs...), "objectSid": modelSIDs}
		for k := range m {
			queries["member"] = append(queries["member"], []byte(k))
		}
		// Walks: the subtree of the root is every entry, parents first; a
		// one-level walk gives the model's children.
		seen := map[string]bool{}
		err := tx.Walk("DC=lab,DC=test", ScopeSubtree, func(e *Entry) error {
			n := mustNorm(t, e.DN)
			if p := ParentDN(n); n != "dc=lab,dc=test" && !seen[p] {
				return fmt.Errorf("walk visited %q before its parent", e.DN)
			}
			seen[n] = true
			return nil
		})
		if err != nil {
			return err
		}
		if len(seen) != len(m) {
			return fmt.Errorf("subtree walk visited %d entries, model has %d", len(seen), len(m))
		}
		for k := range m {
			var got []string
			if err := tx.Walk(k, ScopeOne, func(e *Entry) error { got = append(got, mustNorm(t, e.DN)); return nil }); err != nil {
				return err
			}
			want := m.children(t, k)
			direct := want[:0]
			for _, c := range want {
				if ParentDN(c) == k {
					direct = append(direct, c)
				}
			}
			slices.Sort(direct)
			slices.Sort(got)
			if !slices.Equal(got, direct) {
				return fmt.Errorf("one-level walk of %s = %q, model %q", k, got, direct)
			}
		}
		idx := m.index(t)
		for attr, values := range queries {
			for _, v := range values {
				got, err := tx.Lookup(attr, v)
				if err != nil {
					return err
				}
				slices.Sort(got)
				want := slices.Clone(idx[strings.ToLower(attr)][modelForm(t, attr, v)])
				slices.Sort(want)
				if !slices.Equal(got, want) {
					return fmt.Errorf("Lookup(%s, %q) = %q, model %q", attr, v, got, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}
