package ldapserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func dialLDAPS(t testing.TB, env *testEnv) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL("ldaps://"+env.ldaps, ldap.DialWithTLSConfig(env.pki.clientConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dialStartTLS(t testing.TB, env *testEnv) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL("ldap://" + env.ldap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.StartTLS(env.pki.clientConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	return c
}

func ldapCode(err error) uint16 {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0xffff
}

func TestSimpleBindOverLDAPSAndStartTLS(t *testing.T) {
	env := startServer(t, nil)
	for name, dial := range map[string]func(testing.TB, *testEnv) *ldap.Conn{"ldaps": dialLDAPS, "starttls": dialStartTLS} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, env)
			if err := c.Bind(adminDN, adminPass); err != nil {
				t.Fatalf("bind: %v", err)
			}
			who, err := c.WhoAmI(nil)
			if err != nil {
				t.Fatal(err)
			}
			if who.AuthzID != "dn:"+adminDN {
				t.Errorf("WhoAmI after bind = %q, want %q", who.AuthzID, "dn:"+adminDN)
			}
			env.handler.mu.Lock()
			conn := env.handler.lastConn
			env.handler.mu.Unlock()
			if conn.TLS() == nil || !conn.Confidential() {
				t.Errorf("Conn.TLS() = %v, Confidential() = %v on a TLS connection", conn.TLS(), conn.Confidential())
			}
			// A failed bind resets the identity, even though the handler set one.
			err = c.Bind(adminDN, "wrong")
			if ldapCode(err) != uint16(InvalidCredentials) {
				t.Fatalf("bind with a wrong password: %v, want invalidCredentials", err)
			}
			who, err = c.WhoAmI(nil)
			if err != nil {
				t.Fatal(err)
			}
			if who.AuthzID != "" {
				t.Errorf("WhoAmI after a failed bind = %q, want anonymous", who.AuthzID)
			}
			if conn.Identity() != nil {
				t.Errorf("Identity after a failed bind = %v, want nil", conn.Identity())
			}
		})
	}
}

func TestStartTLSRefusals(t *testing.T) {
	env := startServer(t, nil)
	c := dialStartTLS(t, env)
	if err := c.StartTLS(env.pki.clientConfig()); err == nil {
		t.Error("second StartTLS succeeded, want an error")
	}
	noTLS := startServer(t, func(s *Server) { s.TLSConfig = nil })
	c2, err := ldap.DialURL("ldap://" + noTLS.ldap)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.StartTLS(&tls.Config{InsecureSkipVerify: true}); ldapCode(err) != uint16(ProtocolError) {
		t.Errorf("StartTLS without TLSConfig: %v, want protocolError", err)
	}
}

func search(t *testing.T, c *ldap.Conn, base string, scope int, filter string, attrs ...string) []string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %q: %v", base, filter, err)
	}
	var dns []string
	for _, e := range res.Entries {
		dns = append(dns, strings.SplitN(e.DN, ",", 2)[0])
	}
	slices.Sort(dns)
	return dns
}

func TestSearchFiltersAndScopes(t *testing.T) {
	env := startServer(t, nil)
	c := dialLDAPS(t, env)
	people := "ou=people," + baseDN
	tests := []struct {
		name   string
		base   string
		scope  int
		filter string
		want   []string
	}{
		{"equality is case-insensitive", people, ldap.ScopeWholeSubtree, "(CN=USER07)", []string{"cn=user07"}},
		{"and", people, ldap.ScopeWholeSubtree, "(&(objectClass=user)(uidNumber=1003))", []string{"cn=user03"}},
		{"or", people, ldap.ScopeWholeSubtree, "(|(cn=user01)(cn=user02))", []string{"cn=user01", "cn=user02"}},
		{"not", people, ldap.ScopeSingleLevel, "(&(cn=user0*)(!(uidNumber<=1007)))", []string{"cn=user08", "cn=user09"}},
		{"substrings initial any final", people, ldap.ScopeWholeSubtree, "(mail=user*2*@example.com)", []string{"cn=user02", "cn=user12", "cn=user20", "cn=user21", "cn=user22", "cn=user23", "cn=user24"}},
		{"greater or equal, integer", people, ldap.ScopeWholeSubtree, "(uidNumber>=1022)", []string{"cn=user22", "cn=user23", "cn=user24"}},
		{"less or equal, integer", people, ldap.ScopeWholeSubtree, "(uidNumber<=1001)", []string{"cn=user00", "cn=user01"}},
		{"present", baseDN, ldap.ScopeWholeSubtree, "(member=*)", []string{"cn=group1"}},
		{"approx as equality", people, ldap.ScopeWholeSubtree, "(sn~=number 04)", []string{"cn=user04"}},
		{"extensible bitwise AND", people, ldap.ScopeWholeSubtree, "(&(cn=user1*)(userAccountControl:1.2.840.113556.1.4.803:=2))", []string{"cn=user10", "cn=user15"}},
		{"extensible bitwise OR", people, ldap.ScopeWholeSubtree, "(&(cn=user0*)(userAccountControl:1.2.840.113556.1.4.804:=6))", []string{"cn=user00", "cn=user05"}},
		{"extensible caseExactMatch", people, ldap.ScopeWholeSubtree, "(cn:caseExactMatch:=user03)", []string{"cn=user03"}},
		{"extensible dnAttributes", baseDN, ldap.ScopeWholeSubtree, "(ou:dn:=groups)", []string{"cn=group1", "ou=groups"}},
		{"DN syntax compare ignores case and spaces", baseDN, ldap.ScopeWholeSubtree, "(member=CN=User01, OU=People, DC=Example, DC=Com)", []string{"cn=group1"}},
		{"SID in string form", baseDN, ldap.ScopeWholeSubtree, "(objectSid=S-1-5-21-1-2-3-1001)", []string{"cn=group1"}},
		{"generalized time ordering", people, ldap.ScopeWholeSubtree, "(&(whenCreated>=20240109000000Z)(cn=user0*))", []string{"cn=user08"}},
		{"boolean", baseDN, ldap.ScopeWholeSubtree, "(isCriticalSystemObject=TRUE)", []string{"cn=group1"}},
		{"unknown attribute is undefined, not of it too", people, ldap.ScopeWholeSubtree, "(!(noSuchAttr=x))", nil},
		{"base scope", people, ldap.ScopeBaseObject, "(objectClass=*)", []string{"ou=people"}},
		{"one level scope", baseDN, ldap.ScopeSingleLevel, "(objectClass=organizationalUnit)", []string{"ou=groups", "ou=people"}},
		{"subtree scope", baseDN, ldap.ScopeWholeSubtree, "(cn=admin)", []string{"cn=admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := search(t, c, tt.base, tt.scope, tt.filter, "cn")
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSearchAttributesAndReferences(t *testing.T) {
	env := startServer(t, nil)
	c := dialLDAPS(t, env)
	res, err := c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"DC", "+"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 {
		t.Fatalf("%d entries, want 1", len(res.Entries))
	}
	var names []string
	for _, a := range res.Entries[0].Attributes {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"dc", "whenCreated"}) {
		t.Errorf("attributes %v, want [dc whenCreated] (entry casing, operational by +)", names)
	}
	res, err = c.Search(ldap.NewSearchRequest("ou=groups,"+baseDN, ldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || len(res.Entries[0].Attributes) != 0 {
		t.Errorf("1.1 search: %d entries with %v, want one entry without attributes", len(res.Entries), res.Entries)
	}
	if len(res.Referrals) != 1 || !strings.HasPrefix(res.Referrals[0], "ldap://other.example.com/") {
		t.Errorf("referrals %v, want one continuation reference", res.Referrals)
	}
	_, err = c.Search(ldap.NewSearchRequest("cn=nobody,"+baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if ldapCode(err) != uint16(NoSuchObject) {
		t.Errorf("search of a missing base: %v, want noSuchObject", err)
	}
}

func TestPagingThrough25Entries(t *testing.T) {
	env := startServer(t, nil)
	c := dialLDAPS(t, env)
	req := ldap.NewSearchRequest("ou=people,"+baseDN, ldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=user)", []string{"cn"}, nil)
	paging := ldap.NewControlPaging(10)
	req.Controls = []ldap.Control{paging}
	var pages []int
	seen := map[string]bool{}
	for {
		res, err := c.Search(req)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, len(res.Entries))
		for _, e := range res.Entries {
			if seen[e.DN] {
				t.Errorf("entry %s returned twice", e.DN)
			}
			seen[e.DN] = true
		}
		ctl, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok {
			t.Fatal("no paged results control in the response")
		}
		if len(ctl.Cookie) == 0 {
			break
		}
		paging.SetCookie(ctl.Cookie)
		if len(pages) > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(pages, []int{10, 10, 5}) || len(seen) != 25 {
		t.Errorf("pages %v with %d entries, want [10 10 5] and 25", pages, len(seen))
	}
	// go-ldap's own paging helper, and its result.
	res, err := c.SearchWithPaging(ldap.NewSearchRequest("ou=people,"+baseDN, ldap.ScopeSingleLevel, 0, 0, 0, false, "(cn=*)", nil, nil), 7)
	if err != nil || len(res.Entries) != 25 {
		t.Errorf("SearchWithPaging: %d entries, %v; want 25", len(res.Entries), err)
	}
}

func TestPagingCookieRules(t *testing.T) {
	env := startServer(t, nil)
	c := dialLDAPS(t, env)
	mk := func(filter string, size uint32, cookie []byte) *ldap.SearchRequest {
		p := ldap.NewControlPaging(size)
		p.SetCookie(cookie)
		return ldap.NewSearchRequest("ou=people,"+baseDN, ldap.ScopeSingleLevel, 0, 0, 0, false, filter, nil, []ldap.Control{p})
	}
	res, err := c.Search(mk("(cn=*)", 10, nil))
	if err != nil {
		t.Fatal(err)
	}
	cookie := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging).Cookie
	if _, err := c.Search(mk("(cn=user*)", 10, cookie)); ldapCode(err) != uint16(UnwillingToPerform) {
		t.Errorf("cookie reused with another filter: %v, want unwillingToPerform", err)
	}
	if _, err := c.Search(mk("(cn=*)", 10, cookie)); ldapCode(err) != uint16(UnwillingToPerform) {
		t.Errorf("cookie after its misuse: %v, want unwillingToPerform (the state is freed)", err)
	}
	res, _ = c.Search(mk("(cn=*)", 10, nil))
	cookie = ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging).Cookie
	if _, err := c.Search(mk("(cn=*)", 0, cookie)); err != nil {
		t.Errorf("page size 0 to end a paged search: %v", err)
	}
	if _, err := c.Search(mk("(cn=*)", 10, cookie)); ldapCode(err) != uint16(UnwillingToPerform) {
		t.Errorf("cookie after size 0: %v, want unwillingToPerform", err)
	}
	if _, err := c.Search(mk("(cn=*)", 10, []byte("made up"))); ldapCode(err) != uint16(UnwillingToPerform) {
		t.Errorf("made-up cookie: %v, want unwillingToPerform", err)
	}
}

func TestSizeLimit(t *testing.T) {
	env := startServer(t, func(s *Server) { s.MaxSearchEntries = 8 })
	c := dialLDAPS(t, env)
	for _, tt := range []struct{ client, want int }{{3, 3}, {0, 8}, {20, 8}} {
		res, err := c.Search(ldap.NewSearchRequest("ou=people,"+baseDN, ldap.ScopeSingleLevel, 0, tt.client, 0, false, "(cn=*)", nil, nil))
		if ldapCode(err) != uint16(SizeLimitExceeded) {
			t.Errorf("sizeLimit %d: err %v, want sizeLimitExceeded", tt.client, err)
		}
		if res == nil || len(res.Entries) != tt.want {
			t.Errorf("sizeLimit %d: got %v entries, want %d", tt.client, res, tt.want)
		}
	}
	// Under the limit: success.
	if got := search(t, c, "ou=people,"+baseDN, ldap.ScopeSingleLevel, "(uidNumber<=1002)"); len(got) != 3 {
		t.Errorf("search under the cap returned %v", got)
	}
}

func TestWriteOperations(t *testing.T) {
	env := startServer(t, nil)
	c := dialStartTLS(t, env)
	if err := c.Bind(adminDN, adminPass); err != nil {
		t.Fatal(err)
	}
	dn := "cn=new,ou=people," + baseDN
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "person"})
	add.Attribute("cn", []string{"new"})
	add.Attribute("description", []string{"first"})
	if err := c.Add(add); err != nil {
		t.Fatalf("add: %v", err)
	}
	if err := c.Add(add); ldapCode(err) != uint16(EntryAlreadyExists) {
		t.Errorf("second add: %v, want entryAlreadyExists", err)
	}
	mod := ldap.NewModifyRequest(dn, nil)
	mod.Replace("description", []string{"second"})
	mod.Add("mail", []string{"new@example.com"})
	if err := c.Modify(mod); err != nil {
		t.Fatalf("modify: %v", err)
	}
	ok, err := c.Compare(dn, "description", "SECOND")
	if err != nil || !ok {
		t.Errorf("compare description=SECOND: %v, %v; want true", ok, err)
	}
	ok, err = c.Compare(dn, "description", "first")
	if err != nil || ok {
		t.Errorf("compare description=first: %v, %v; want false", ok, err)
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest(dn, "cn=renamed", true, "ou=groups,"+baseDN)); err != nil {
		t.Fatalf("modifyDN: %v", err)
	}
	if got := search(t, c, "ou=groups,"+baseDN, ldap.ScopeSingleLevel, "(mail=new@example.com)"); !slices.Equal(got, []string{"cn=renamed"}) {
		t.Errorf("after modifyDN: %v", got)
	}
	if err := c.Del(ldap.NewDelRequest("ou=people,"+baseDN, nil)); ldapCode(err) != uint16(NotAllowedOnNonLeaf) {
		t.Errorf("delete of a non-leaf: %v, want notAllowedOnNonLeaf", err)
	}
	if err := c.Del(ldap.NewDelRequest("cn=renamed,ou=groups,"+baseDN, nil)); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := c.Compare("cn=renamed,ou=groups,"+baseDN, "cn", "x"); ldapCode(err) != uint16(NoSuchObject) {
		t.Errorf("compare after delete: %v, want noSuchObject", err)
	}
}

func TestControlsAndExtendedOps(t *testing.T) {
	env := startServer(t, func(s *Server) { s.SupportedControls = []string{"1.2.3.4.known"} })
	c := dialLDAPS(t, env)
	unknown := ldap.NewControlString("1.2.3.4.unknown", true, "")
	_, err := c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, []ldap.Control{unknown}))
	if ldapCode(err) != uint16(UnavailableCriticalExtension) {
		t.Errorf("unknown critical control: %v, want unavailableCriticalExtension", err)
	}
	for _, ctl := range []ldap.Control{ldap.NewControlString("1.2.3.4.unknown", false, ""), ldap.NewControlString("1.2.3.4.known", true, "")} {
		if _, err := c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, []ldap.Control{ctl})); err != nil {
			t.Errorf("control %s: %v", ctl, err)
		}
	}
	del := ldap.NewDelRequest("cn=x,"+baseDN, []ldap.Control{ldap.NewControlString(OIDPagedResults, true, "")})
	if err := c.Del(del); ldapCode(err) != uint16(UnavailableCriticalExtension) {
		t.Errorf("critical paging control on delete: %v, want unavailableCriticalExtension", err)
	}
	_, err = c.Extended(ldap.NewExtendedRequest("1.2.3.4.5.6", nil))
	if ldapCode(err) != uint16(ProtocolError) || !strings.Contains(err.Error(), "1.2.3.4.5.6") {
		t.Errorf("unknown extended op: %v, want protocolError naming the OID", err)
	}
	who, err := c.WhoAmI(nil)
	if err != nil || who.AuthzID != "" {
		t.Errorf("anonymous WhoAmI: %q, %v", who, err)
	}
	if _, err := c.SimpleBind(&ldap.SimpleBindRequest{AllowEmptyPassword: true}); err != nil {
		t.Errorf("anonymous bind: %v", err)
	}
	_, err = c.SimpleBind(&ldap.SimpleBindRequest{Username: adminDN, Password: adminPass, Controls: []ldap.Control{unknown}})
	if ldapCode(err) != uint16(UnavailableCriticalExtension) {
		t.Errorf("bind with unknown critical control: %v", err)
	}
}

func ExampleFilter_String() {
	f := Filter{Kind: FilterAnd, Children: []Filter{
		{Kind: FilterEquality, Attr: "objectClass", Value: []byte("user")},
		{Kind: FilterSubstrings, Attr: "cn", Initial: []byte("web"), Any: [][]byte{[]byte("(x)")}},
		{Kind: FilterExtensible, Attr: "userAccountControl", MatchingRule: RuleBitAnd, Value: []byte("2")},
	}}
	fmt.Println(f)
	// Output: (&(objectClass=user)(cn=web*\28x\29*)(userAccountControl:1.2.840.113556.1.4.803:=2))
}

func TestRootDSEHelpers(t *testing.T) {
	s := &Server{SupportedControls: []string{"1.2.3"}}
	if got := s.Controls(); !slices.Equal(got, []string{"1.2.3", OIDPagedResults}) {
		t.Errorf("Controls() = %v", got)
	}
	if got := s.Extensions(); !slices.Equal(got, []string{OIDWhoAmI}) {
		t.Errorf("Extensions() without TLS = %v", got)
	}
	s.TLSConfig = &tls.Config{}
	if got := s.Extensions(); !slices.Equal(got, []string{OIDWhoAmI, OIDStartTLS}) {
		t.Errorf("Extensions() with TLS = %v", got)
	}
}

func TestPagingWithServerSizeCap(t *testing.T) {
	env := startServer(t, func(s *Server) { s.MaxSearchEntries = 12 })
	c := dialLDAPS(t, env)
	paging := ldap.NewControlPaging(5)
	req := ldap.NewSearchRequest("ou=people,"+baseDN, ldap.ScopeSingleLevel, 0, 0, 0, false, "(cn=*)", nil, []ldap.Control{paging})
	var pages []int
	for len(pages) < 5 {
		res, err := c.Search(req)
		if res != nil {
			pages = append(pages, len(res.Entries))
		} else {
			pages = append(pages, 0)
		}
		if err != nil {
			// go-ldap drops the response controls with an error; the
			// last page carries the final code of the whole search.
			if ldapCode(err) != uint16(SizeLimitExceeded) {
				t.Errorf("page %d: %v, want sizeLimitExceeded on the last page", len(pages), err)
			}
			break
		}
		ctl := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if len(ctl.Cookie) == 0 {
			t.Error("paging ended with success, want sizeLimitExceeded")
			break
		}
		paging.SetCookie(ctl.Cookie)
	}
	if !slices.Equal(pages, []int{5, 5, 2}) {
		t.Errorf("pages %v, want [5 5 2]", pages)
	}
}
