package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// seqReader is a deterministic randomness source for tests.
type seqReader struct{ r *rand.ChaCha8 }

func (s seqReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func testOptions() Options {
	now := time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC)
	return Options{
		Now:  func() time.Time { now = now.Add(time.Second); return now },
		Rand: seqReader{rand.NewChaCha8([32]byte{1})},
	}
}

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "lab.db")
	}
	s, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func update(t testing.TB, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func check(t testing.TB, s *Store) {
	t.Helper()
	if err := s.View(func(tx *Tx) error { return tx.Check() }); err != nil {
		t.Fatalf("consistency check: %v", err)
	}
}

// domain adds a small domain: a root, CN=Users, two users and a group.
func domain(t testing.TB, s *Store) {
	t.Helper()
	update(t, s, func(tx *Tx) error {
		for _, e := range []*Entry{
			{DN: "CN=Users,DC=contoso,DC=com", Attrs: []Attribute{{"objectClass", vals("container")}}},
			{DN: `CN=Smith\, John,CN=Users,DC=contoso,DC=com`, Attrs: []Attribute{
				{"sAMAccountName", vals("JSmith")}, {"userPrincipalName", vals("jsmith@Contoso.com")},
				{"objectSid", [][]byte{{1, 2, 3}}},
			}},
			{DN: "CN=WebApp01,CN=Users,DC=contoso,DC=com", Attrs: []Attribute{
				{"sAMAccountName", vals("WebApp01$")},
				{"servicePrincipalName", vals("HTTP/web.contoso.com", "HTTP/web")},
			}},
			{DN: "CN=WebApp01Hosts,CN=Users,DC=contoso,DC=com", Attrs: []Attribute{
				{"sAMAccountName", vals("WebApp01Hosts")},
				{"member", vals(`cn=smith\2c john,cn=users,dc=contoso,dc=com`, "CN=WebApp01,CN=Users,DC=contoso,DC=com")},
			}},
		} {
			if err := tx.Add(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func addRoot(t testing.TB, s *Store) {
	t.Helper()
	update(t, s, func(tx *Tx) error {
		return tx.AddRoot(&Entry{DN: "DC=contoso,DC=com", Attrs: []Attribute{{"objectClass", vals("domainDNS")}}})
	})
}

func lookup(t testing.TB, s *Store, attr string, v []byte) []string {
	t.Helper()
	var dns []string
	if err := s.View(func(tx *Tx) (err error) { dns, err = tx.Lookup(attr, v); return err }); err != nil {
		t.Fatal(err)
	}
	return dns
}

func TestAddGetCaseInsensitive(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	err := s.View(func(tx *Tx) error {
		e, err := tx.Get(`cn=SMITH\2C JOHN, cn=users,dc=CONTOSO,dc=com`)
		if err != nil {
			return err
		}
		if e.DN != `CN=Smith\, John,CN=Users,DC=contoso,DC=com` {
			t.Errorf("DN = %q, want as stored", e.DN)
		}
		if len(e.First("objectGUID")) != 16 {
			t.Errorf("objectGUID = %x", e.First("objectGUID"))
		}
		if got := e.String("whenCreated"); len(got) != len("20061231235959.0Z") || !strings.HasSuffix(got, ".0Z") || got != e.String("whenChanged") {
			t.Errorf("whenCreated %q, whenChanged %q", got, e.String("whenChanged"))
		}
		if e.String("uSNCreated") != "3" || e.String("uSNChanged") != "3" {
			t.Errorf("USNs %q %q, want 3", e.String("uSNCreated"), e.String("uSNChanged"))
		}
		if tx.Count() != 5 {
			t.Errorf("Count = %d", tx.Count())
		}
		if _, err := tx.Get("CN=nobody,DC=contoso,DC=com"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "CN=nobody") {
			t.Errorf("Get missing: %v", err)
		}
		if _, err := tx.Get("CN=a,,"); err == nil {
			t.Errorf("Get of a bad DN succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx *Tx) error { return tx.Add(&Entry{DN: `cn=smith\, JOHN,cn=users,dc=contoso,dc=com`}) })
	if !errors.Is(err, ErrExists) {
		t.Errorf("second Add: %v, want ErrExists", err)
	}
	err = s.Update(func(tx *Tx) error { return tx.Add(&Entry{DN: "CN=x,OU=nowhere,DC=contoso,DC=com"}) })
	if !errors.Is(err, ErrNoParent) {
		t.Errorf("Add without parent: %v, want ErrNoParent", err)
	}
	err = s.Update(func(tx *Tx) error { return tx.Add(&Entry{DN: "DC=other,DC=com"}) })
	if !errors.Is(err, ErrNoParent) {
		t.Errorf("Add of an unregistered root: %v, want ErrNoParent", err)
	}
	check(t, s)
}

func TestAddKeepsCallerEntryAndGivenGUID(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	in := &Entry{DN: "CN=g,DC=contoso,DC=com", Attrs: []Attribute{{"objectGUID", vals("0123456789abcdef")}, {"cn", vals("g")}}}
	update(t, s, func(tx *Tx) error { return tx.Add(in) })
	if len(in.Attrs) != 2 {
		t.Errorf("Add modified its argument: %+v", in.Attrs)
	}
	if got := lookup(t, s, "objectGUID", []byte("0123456789abcdef")); !reflect.DeepEqual(got, []string{"CN=g,DC=contoso,DC=com"}) {
		t.Errorf("Lookup objectGUID = %q", got)
	}
}

func TestLookup(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	smith := `CN=Smith\, John,CN=Users,DC=contoso,DC=com`
	group := "CN=WebApp01Hosts,CN=Users,DC=contoso,DC=com"
	tests := []struct {
		attr  string
		value []byte
		want  []string
	}{
		{"sAMAccountName", []byte("jsmith"), []string{smith}},
		{"SAMACCOUNTNAME", []byte("JSMITH"), []string{smith}},
		{"sAMAccountName", []byte("jsmit"), nil},
		{"servicePrincipalName", []byte("http/WEB"), []string{"CN=WebApp01,CN=Users,DC=contoso,DC=com"}},
		{"userPrincipalName", []byte("JSMITH@contoso.COM"), []string{smith}},
		{"objectSid", []byte{1, 2, 3}, []string{smith}},
		{"objectSid", []byte{1, 2}, nil},
		{"member", []byte(`CN=Smith\, John, CN=Users,DC=contoso,DC=com`), []string{group}},
		{"member", []byte("cn=webapp01,cn=users,dc=contoso,dc=com"), []string{group}},
	}
	for _, tt := range tests {
		if got := lookup(t, s, tt.attr, tt.value); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%s, %q) = %q, want %q", tt.attr, tt.value, got, tt.want)
		}
	}
	err := s.View(func(tx *Tx) error { _, err := tx.Lookup("description", []byte("x")); return err })
	if !errors.Is(err, ErrNotIndexed) || !strings.Contains(err.Error(), "description") {
		t.Errorf("Lookup of a non-indexed attribute: %v", err)
	}
	if !Indexed("MEMBER") || Indexed("cn") {
		t.Errorf("Indexed is wrong")
	}
}

func TestPutPreservesBookkeeping(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	dn := "CN=WebApp01,CN=Users,DC=contoso,DC=com"
	var before *Entry
	update(t, s, func(tx *Tx) (err error) { before, err = tx.Get(dn); return err })
	update(t, s, func(tx *Tx) error {
		return tx.Put(&Entry{DN: strings.ToUpper(dn), Attrs: []Attribute{
			{"sAMAccountName", vals("WebApp02$")},
			{"servicePrincipalName", vals("HTTP/web")},
			{"objectGUID", vals("forged-guid-0000")},
		}})
	})
	var after *Entry
	update(t, s, func(tx *Tx) (err error) { after, err = tx.Get(dn); return err })
	if after.DN != dn {
		t.Errorf("Put changed the DN to %q", after.DN)
	}
	for _, a := range []string{"objectGUID", "whenCreated", "uSNCreated"} {
		if !reflect.DeepEqual(after.Get(a), before.Get(a)) {
			t.Errorf("%s changed from %q to %q", a, before.Get(a), after.Get(a))
		}
	}
	if after.String("whenChanged") <= before.String("whenChanged") || after.String("uSNChanged") != "6" {
		t.Errorf("whenChanged %q -> %q, uSNChanged %q", before.String("whenChanged"), after.String("whenChanged"), after.String("uSNChanged"))
	}
	if got := lookup(t, s, "sAMAccountName", []byte("webapp01$")); got != nil {
		t.Errorf("stale index: %q", got)
	}
	if got := lookup(t, s, "servicePrincipalName", []byte("HTTP/web.contoso.com")); got != nil {
		t.Errorf("stale index: %q", got)
	}
	if got := lookup(t, s, "sAMAccountName", []byte("webapp02$")); !reflect.DeepEqual(got, []string{dn}) {
		t.Errorf("new value not indexed: %q", got)
	}
	err := s.Update(func(tx *Tx) error { return tx.Put(&Entry{DN: "CN=none,DC=contoso,DC=com"}) })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Put of a missing entry: %v", err)
	}
	check(t, s)
}

func TestDelete(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	err := s.Update(func(tx *Tx) error { return tx.Delete("CN=Users,DC=contoso,DC=com") })
	if !errors.Is(err, ErrNotLeaf) {
		t.Errorf("Delete of a parent: %v, want ErrNotLeaf", err)
	}
	update(t, s, func(tx *Tx) error { return tx.Delete(`CN=SMITH\, JOHN,CN=Users,DC=contoso,DC=com`) })
	if got := lookup(t, s, "sAMAccountName", []byte("jsmith")); got != nil {
		t.Errorf("stale index after Delete: %q", got)
	}
	if got := lookup(t, s, "member", []byte(`CN=Smith\, John,CN=Users,DC=contoso,DC=com`)); got != nil {
		t.Errorf("group still lists the deleted member: %q", got)
	}
	err = s.Update(func(tx *Tx) error { return tx.Delete(`CN=Smith\, John,CN=Users,DC=contoso,DC=com`) })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	s.View(func(tx *Tx) error {
		g, _ := tx.Get("CN=WebApp01Hosts,CN=Users,DC=contoso,DC=com")
		if got := g.Get("member"); len(got) != 1 {
			t.Errorf("members after Delete: %q", got)
		}
		if tx.Count() != 4 {
			t.Errorf("Count = %d, want 4", tx.Count())
		}
		return nil
	})
	check(t, s)
}

func TestRenameSubtree(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	update(t, s, func(tx *Tx) error {
		return tx.Add(&Entry{DN: "OU=Staff,DC=contoso,DC=com"})
	})
	update(t, s, func(tx *Tx) error {
		return tx.Rename("cn=users,dc=contoso,dc=com", "CN=People,OU=Staff,DC=contoso,DC=com")
	})
	smith := `CN=Smith\, John,CN=People,OU=Staff,DC=contoso,DC=com`
	group := "CN=WebApp01Hosts,CN=People,OU=Staff,DC=contoso,DC=com"
	if got := lookup(t, s, "sAMAccountName", []byte("jsmith")); !reflect.DeepEqual(got, []string{smith}) {
		t.Errorf("Lookup after Rename = %q", got)
	}
	if got := lookup(t, s, "member", []byte(smith)); !reflect.DeepEqual(got, []string{group}) {
		t.Errorf("Lookup member after Rename = %q", got)
	}
	if got := lookup(t, s, "member", []byte(`CN=Smith\, John,CN=Users,DC=contoso,DC=com`)); got != nil {
		t.Errorf("stale member index after Rename: %q", got)
	}
	s.View(func(tx *Tx) error {
		g, err := tx.Get(group)
		if err != nil {
			t.Fatal(err)
		}
		want := vals(smith, "CN=WebApp01,CN=People,OU=Staff,DC=contoso,DC=com")
		if !reflect.DeepEqual(g.Get("member"), want) {
			t.Errorf("member values %q, want %q", g.Get("member"), want)
		}
		if _, err := tx.Get("CN=Users,DC=contoso,DC=com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("old DN still there: %v", err)
		}
		return nil
	})
	// A case-only rename.
	update(t, s, func(tx *Tx) error { return tx.Rename(smith, strings.ToUpper(smith)) })
	if got := lookup(t, s, "sAMAccountName", []byte("jsmith")); !reflect.DeepEqual(got, []string{strings.ToUpper(smith)}) {
		t.Errorf("Lookup after a case-only rename = %q", got)
	}
	for _, tt := range []struct {
		from, to string
		want     error
	}{
		{"CN=nobody,DC=contoso,DC=com", "CN=x,DC=contoso,DC=com", ErrNotFound},
		{"OU=Staff,DC=contoso,DC=com", "CN=WebApp01,CN=People,OU=Staff,DC=contoso,DC=com", ErrExists},
		{"OU=Staff,DC=contoso,DC=com", "OU=Staff,OU=none,DC=contoso,DC=com", ErrNoParent},
	} {
		if err := s.Update(func(tx *Tx) error { return tx.Rename(tt.from, tt.to) }); !errors.Is(err, tt.want) {
			t.Errorf("Rename(%q, %q) = %v, want %v", tt.from, tt.to, err, tt.want)
		}
	}
	if err := s.Update(func(tx *Tx) error {
		return tx.Rename("OU=Staff,DC=contoso,DC=com", "OU=x,CN=People,OU=Staff,DC=contoso,DC=com")
	}); err == nil {
		t.Errorf("moving an entry below itself succeeded")
	}
	check(t, s)
}

func walkDNs(t testing.TB, s *Store, base string, scope Scope, fn func(*Entry) error) []string {
	t.Helper()
	var dns []string
	err := s.View(func(tx *Tx) error {
		return tx.Walk(base, scope, func(e *Entry) error {
			dns = append(dns, e.DN)
			if fn != nil {
				return fn(e)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return dns
}

func TestWalk(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	update(t, s, func(tx *Tx) error {
		if err := tx.Add(&Entry{DN: "CN=Zeta,CN=WebApp01,CN=Users,DC=contoso,DC=com"}); err != nil {
			return err
		}
		return tx.AddRoot(&Entry{DN: "CN=Configuration,DC=contoso,DC=com"})
	})
	users := "CN=Users,DC=contoso,DC=com"
	all := []string{
		"DC=contoso,DC=com",
		"CN=Configuration,DC=contoso,DC=com",
		users,
		`CN=Smith\, John,CN=Users,DC=contoso,DC=com`,
		"CN=WebApp01,CN=Users,DC=contoso,DC=com",
		"CN=Zeta,CN=WebApp01,CN=Users,DC=contoso,DC=com",
		"CN=WebApp01Hosts,CN=Users,DC=contoso,DC=com",
	}
	if got := walkDNs(t, s, "dc=CONTOSO,dc=com", ScopeSubtree, nil); !reflect.DeepEqual(got, all) {
		t.Errorf("subtree walk:\n got %q\nwant %q", got, all)
	}
	if got := walkDNs(t, s, "", ScopeSubtree, nil); !reflect.DeepEqual(got, all) {
		t.Errorf("walk of everything:\n got %q\nwant %q", got, all)
	}
	one := []string{all[3], all[4], all[6]}
	if got := walkDNs(t, s, users, ScopeOne, nil); !reflect.DeepEqual(got, one) {
		t.Errorf("one-level walk: got %q want %q", got, one)
	}
	if got := walkDNs(t, s, users, ScopeBase, nil); !reflect.DeepEqual(got, []string{users}) {
		t.Errorf("base walk: %q", got)
	}
	if got := walkDNs(t, s, "", ScopeOne, nil); !reflect.DeepEqual(got, []string{all[0], all[1]}) {
		t.Errorf("walk of the roots: %q", got)
	}
	stop := walkDNs(t, s, users, ScopeSubtree, func(e *Entry) error {
		if strings.HasPrefix(e.DN, "CN=WebApp01,") {
			return ErrStop
		}
		return nil
	})
	if !reflect.DeepEqual(stop, all[2:5]) {
		t.Errorf("ErrStop: %q", stop)
	}
	skip := walkDNs(t, s, users, ScopeSubtree, func(e *Entry) error {
		if strings.HasPrefix(e.DN, "CN=WebApp01,") {
			return ErrSkipSubtree
		}
		return nil
	})
	if !reflect.DeepEqual(skip, []string{all[2], all[3], all[4], all[6]}) {
		t.Errorf("ErrSkipSubtree: %q", skip)
	}
	for _, scope := range []Scope{ScopeBase, ScopeOne} {
		got := walkDNs(t, s, users, scope, func(*Entry) error { return ErrSkipSubtree })
		if len(got) == 0 {
			t.Errorf("ErrSkipSubtree in scope %d ended the walk", scope)
		}
	}
	if err := s.View(func(tx *Tx) error { return tx.Walk(users, Scope(3), nil) }); err == nil {
		t.Errorf("Walk accepted scope 3")
	}
	err := s.View(func(tx *Tx) error { return tx.Walk("CN=none,DC=contoso,DC=com", ScopeOne, nil) })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("walk of a missing base: %v", err)
	}
	boom := errors.New("boom")
	err = s.View(func(tx *Tx) error { return tx.Walk(users, ScopeOne, func(*Entry) error { return boom }) })
	if err != boom {
		t.Errorf("walk error: %v", err)
	}
	// Deleting while walking: Walk re-seeks after each call.
	update(t, s, func(tx *Tx) error {
		return tx.Walk(users, ScopeOne, func(e *Entry) error {
			if e.Get("servicePrincipalName") != nil {
				return nil
			}
			return tx.Delete(e.DN)
		})
	})
	if got := walkDNs(t, s, users, ScopeOne, nil); !reflect.DeepEqual(got, []string{all[4]}) {
		t.Errorf("after deleting in a walk: %q", got)
	}
	check(t, s)
}

func TestMetaAndUSNAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.db")
	s, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	addRoot(t, s)
	domain(t, s)
	update(t, s, func(tx *Tx) error { return tx.SetMeta("rid", []byte("1100")) })
	var usn uint64
	s.View(func(tx *Tx) error { usn = tx.USN(); return nil })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, %v; want 0600", fi.Mode(), err)
	}
	s = openTest(t, path)
	update(t, s, func(tx *Tx) error {
		if got := string(tx.Meta("rid")); got != "1100" {
			t.Errorf("Meta = %q", got)
		}
		if err := tx.SetMeta("rid", nil); err != nil {
			return err
		}
		if tx.Meta("rid") != nil {
			t.Errorf("SetMeta nil did not delete")
		}
		return tx.Add(&Entry{DN: "CN=new,DC=contoso,DC=com"})
	})
	s.View(func(tx *Tx) error {
		e, _ := tx.Get("CN=new,DC=contoso,DC=com")
		if want := strconv.FormatUint(usn+1, 10); e.String("uSNCreated") != want {
			t.Errorf("uSNCreated after reopen = %q, want %q", e.String("uSNCreated"), want)
		}
		if tx.Count() != 6 {
			t.Errorf("Count = %d", tx.Count())
		}
		return nil
	})
	check(t, s)
}

func TestOpenRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Open(dir) = %v", err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := tx.Add(&Entry{DN: "CN=a,DC=contoso,DC=com", Attrs: []Attribute{{"sAMAccountName", vals("a")}}}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v", err)
	}
	if got := lookup(t, s, "sAMAccountName", []byte("a")); got != nil {
		t.Errorf("rolled-back write visible: %q", got)
	}
	check(t, s)
}

func TestUpdateRejectsBadMember(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	err := s.Update(func(tx *Tx) error {
		return tx.Add(&Entry{DN: "CN=g,DC=contoso,DC=com", Attrs: []Attribute{{"member", vals("not a dn")}}})
	})
	if err == nil || !strings.Contains(err.Error(), "not a dn") {
		t.Errorf("bad member value: %v", err)
	}
}

// TestOpenInUse opens the database from a second process, the situation
// the message is for (a second `gmsa lab` on the same data directory).
func TestOpenInUse(t *testing.T) {
	if os.Getenv("GMSA_STORE_HELPER") == "open" {
		_, err := Open(os.Getenv("GMSA_STORE_DB"), Options{LockTimeout: 200 * time.Millisecond})
		if err != nil {
			os.Stdout.WriteString(err.Error() + "\n")
			if errors.Is(err, ErrInUse) {
				os.Exit(3)
			}
		}
		os.Exit(0)
	}
	s := openTest(t, "")
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenInUse$")
	cmd.Env = append(os.Environ(), "GMSA_STORE_HELPER=open", "GMSA_STORE_DB="+s.Path())
	start := time.Now()
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process: %v, output %q", err, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	want := "lab database " + s.Path() + " is in use by another process"
	if !strings.Contains(string(out), want) {
		t.Errorf("error %q, want it to say %q", out, want)
	}
}

func TestCheckFindsStaleIndex(t *testing.T) {
	s := openTest(t, "")
	addRoot(t, s)
	domain(t, s)
	update(t, s, func(tx *Tx) error {
		return tx.index.Bucket([]byte("samaccountname")).Put(append(indexPrefix([]byte("ghost")), "cn=ghost\x00"...), []byte("CN=ghost"))
	})
	err := s.View(func(tx *Tx) error { return tx.Check() })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "stale") {
		t.Errorf("Check = %v", err)
	}
	// A corrupt record: Get names the key and does not panic.
	update(t, s, func(tx *Tx) error {
		k, _ := dnKey("CN=Users,DC=contoso,DC=com")
		return tx.entries.Put(k, []byte{1, 0x7f})
	})
	err = s.View(func(tx *Tx) error { _, err := tx.Get("CN=Users,DC=contoso,DC=com"); return err })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "cn=users,dc=contoso,dc=com") {
		t.Errorf("Get of a corrupt record: %v", err)
	}
}

func TestOpenRejectsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a foreign file: %v", err)
	}
}

func TestOpenRejectsNewerFormat(t *testing.T) {
	s := openTest(t, "")
	update(t, s, func(tx *Tx) error { return tx.sys.Put(sysFormat, []byte{0, 0, 0, 0, 0, 0, 0, 2}) })
	s.Close()
	if _, err := Open(s.Path(), Options{}); err == nil || !strings.Contains(err.Error(), "format version") {
		t.Errorf("Open of a newer format: %v", err)
	}
}
