package lab

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestADResultCodes: writes the lab refuses get the result code AD gives,
// with AD's diagnostic number in the message.
func TestADResultCodes(t *testing.T) {
	tl := startLab(t, testpeer.Loopback("internal/lab"))
	tl.addComputer(t, "NODE1", "Node1-Pa55-word")
	bind := func(t *testing.T, user, pw string) *ldap.Conn {
		t.Helper()
		l, err := ldap.DialURL(tl.info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		if err := l.Bind(user, pw); err != nil {
			t.Fatal(err)
		}
		return l
	}
	admin := bind(t, "Administrator@contoso.com", tl.password)
	node := bind(t, "NODE1$@contoso.com", "Node1-Pa55-word")
	users := "CN=Users,DC=contoso,DC=com"
	add := func(dn string, attrs map[string][]string) *ldap.AddRequest {
		r := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			r.Attribute(k, v)
		}
		return r
	}
	mod := func(dn string, f func(*ldap.ModifyRequest)) *ldap.ModifyRequest {
		r := ldap.NewModifyRequest(dn, nil)
		f(r)
		return r
	}
	for _, tt := range []struct {
		name    string
		conn    *ldap.Conn
		op      func(l *ldap.Conn) error
		code    uint16
		message string
		matched string
	}{
		{"a parent that does not exist", admin, func(l *ldap.Conn) error {
			return l.Add(add("CN=x,OU=Nowhere,DC=contoso,DC=com", map[string][]string{"objectClass": {"group"}}))
		}, ldap.LDAPResultNoSuchObject, "0000208D", "DC=contoso,DC=com"},
		{"a class the lab does not know", admin, func(l *ldap.Conn) error {
			return l.Add(add("CN=x,"+users, map[string][]string{"objectClass": {"printQueue"}}))
		}, ldap.LDAPResultObjectClassViolation, "0000207B", ""},
		{"no objectClass", admin, func(l *ldap.Conn) error {
			return l.Add(add("CN=x,"+users, map[string][]string{"description": {"d"}}))
		}, ldap.LDAPResultObjectClassViolation, "0000207B", ""},
		{"a root key without its data", admin, func(l *ldap.Conn) error {
			return l.Add(add("CN=7dc4a65d-8b8f-4d7e-9a3b-1c1ad8b0a001,CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,CN=Configuration,DC=contoso,DC=com",
				map[string][]string{"objectClass": {"msKds-ProvRootKey"}}))
		}, ldap.LDAPResultObjectClassViolation, "msKds-RootKeyData", ""},
		{"a group in a group's place in the tree (naming)", admin, func(l *ldap.Conn) error {
			return l.Add(add("CN=x,CN=Domain Admins,"+users, map[string][]string{"objectClass": {"group"}}))
		}, ldap.LDAPResultNamingViolation, "00002099", ""},
		{"a computer writes", node, func(l *ldap.Conn) error {
			return l.Add(add("CN=x,"+users, map[string][]string{"objectClass": {"group"}}))
		}, ldap.LDAPResultInsufficientAccessRights, "00000005", ""},
		{"objectSid is the DC's to set", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Replace("objectSid", []string{"x"}) }))
		}, ldap.LDAPResultUnwillingToPerform, "0000209A", ""},
		{"a value that is already there", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Add("servicePrincipalName", []string{"HOST/x"}) }))
		}, 0, "", ""}, // first add succeeds
		{"the same value again", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Add("servicePrincipalName", []string{"host/X"}) }))
		}, ldap.LDAPResultAttributeOrValueExists, "00002083", ""},
		{"deleting a value that is not there", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Delete("description", []string{"none"}) }))
		}, ldap.LDAPResultNoSuchAttribute, "00002080", ""},
		{"an integer attribute with text", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Replace("userAccountControl", []string{"lots"}) }))
		}, ldap.LDAPResultInvalidAttributeSyntax, "00000057", ""},
		{"a member that does not exist", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=Domain Admins,"+users, func(r *ldap.ModifyRequest) { r.Add("member", []string{"CN=ghost," + users}) }))
		}, ldap.LDAPResultNoSuchObject, "0000208D", ""},
		{"deleting a container with children", admin, func(l *ldap.Conn) error {
			return l.Del(ldap.NewDelRequest("CN=Computers,DC=contoso,DC=com", nil))
		}, ldap.LDAPResultNotAllowedOnNonLeaf, "00002015", ""},
		{"deleting a critical system object", admin, func(l *ldap.Conn) error {
			return l.Del(ldap.NewDelRequest("CN=krbtgt,"+users, nil))
		}, ldap.LDAPResultUnwillingToPerform, "critical system object", ""},
		{"changing the RDN attribute by modify", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Replace("cn", []string{"other"}) }))
		}, ldap.LDAPResultNotAllowedOnRDN, "000020B1", ""},
		{"a bad password value", admin, func(l *ldap.Conn) error {
			return l.Modify(mod("CN=NODE1,CN=Computers,DC=contoso,DC=com", func(r *ldap.ModifyRequest) { r.Replace("unicodePwd", []string{"no-quotes"}) }))
		}, ldap.LDAPResultConstraintViolation, "0000052D", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(tt.conn)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *ldap.Error
			if !errors.As(err, &le) || le.ResultCode != tt.code || !strings.Contains(le.Err.Error(), tt.message) {
				t.Fatalf("err = %v, want code %d with %q", err, tt.code, tt.message)
			}
			if tt.matched != "" && le.MatchedDN != tt.matched {
				t.Fatalf("matchedDN = %q, want %q", le.MatchedDN, tt.matched)
			}
		})
	}
	// A rename keeps memberships pointing at the entry.
	if err := admin.Modify(mod("CN=Domain Admins,"+users, func(r *ldap.ModifyRequest) {
		r.Add("member", []string{"CN=NODE1,CN=Computers,DC=contoso,DC=com"})
	})); err != nil {
		t.Fatal(err)
	}
	if err := admin.ModifyDN(ldap.NewModifyDNRequest("CN=NODE1,CN=Computers,DC=contoso,DC=com", "CN=NODE1B", true, "")); err != nil {
		t.Fatal(err)
	}
	res, err := admin.Search(ldap.NewSearchRequest("CN=Domain Admins,"+users, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValues("member"); !contains(got, "CN=NODE1B,CN=Computers,DC=contoso,DC=com") {
		t.Fatalf("members after the rename: %q", got)
	}
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}
