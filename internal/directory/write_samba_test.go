package directory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/directory"
)

// TestWriteAgainstSamba: groups and gMSAs created, listed and deleted with
// typed errors for duplicates, SPN clashes and missing accounts.
func TestWriteAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	dn, err := c.CreateGroup(ctx(t), directory.GroupOptions{Name: "Svc7Hosts", Scope: directory.ScopeUniversal})
	if err != nil {
		t.Fatal(err)
	}
	if want := "CN=Svc7Hosts,CN=Users," + s.BaseDN; !strings.EqualFold(dn, want) {
		t.Errorf("DN %s, want %s", dn, want)
	}
	if gt := string(first(t, one(t, s.LDAPSearch(t, dn, "base", "", "groupType")), "groupType")); gt != "-2147483640" {
		t.Errorf("groupType %s", gt)
	}
	if _, err := c.CreateGroup(ctx(t), directory.GroupOptions{Name: "Svc7Hosts"}); !errors.Is(err, directory.ErrExists) {
		t.Errorf("duplicate group: %v", err)
	}
	for _, m := range []string{"node1", "node1$", "NODE1"} {
		if err := c.AddGroupMember(ctx(t), "Svc7Hosts", m); err != nil {
			t.Fatalf("add %s: %v", m, err)
		}
	}
	if err := c.AddGroupMember(ctx(t), "Svc7Hosts", "ghost9"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("missing member: %v", err)
	}
	if n := len(one(t, s.LDAPSearch(t, dn, "base", "", "member"))["member"]); n != 1 {
		t.Errorf("%d members", n)
	}

	o := directory.GMSAOptions{Name: "Svc7", DNSHostName: "svc7." + s.Domain, SPNs: []string{"http/svc7." + s.Domain},
		AllowedPrincipals: []string{"Svc7Hosts", "node1"}}
	if _, err := c.CreateGMSA(ctx(t), o); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGMSA(ctx(t), o); !errors.Is(err, directory.ErrExists) {
		t.Errorf("duplicate gMSA: %v", err)
	}
	o2 := directory.GMSAOptions{Name: "Svc8", DNSHostName: "svc8." + s.Domain, SPNs: []string{"HTTP/svc7." + s.Domain}}
	if _, err := c.CreateGMSA(ctx(t), o2); !errors.Is(err, directory.ErrSPNInUse) || !strings.Contains(err.Error(), "Svc7$") {
		t.Errorf("SPN clash: %v", err)
	}
	gs, err := c.ListGMSAs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(gs, func(g directory.GMSA) bool { return g.SAMAccountName == "Svc7$" })
	if i < 0 {
		t.Fatalf("Svc7$ not listed: %+v", gs)
	}
	g := gs[i]
	if g.PasswordIntervalDays != 30 || g.SupportedEncryptionTypes != 24 || g.UserAccountControl != 4096 || len(g.Allowed) != 2 {
		t.Errorf("%+v", g)
	}
	if n, err := c.NameOfSID(ctx(t), g.Allowed[0]); err != nil || n != "Svc7Hosts" {
		t.Errorf("NameOfSID: %q %v", n, err)
	}
	if err := c.DeleteAccount(ctx(t), "Svc7"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindAccount(ctx(t), "Svc7"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteAccount(ctx(t), "Svc7"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}
