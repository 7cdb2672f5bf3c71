package ldapserver

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// compile turns an RFC 4515 string into our Filter through go-ldap's
// encoder (go-ldap is only a test oracle here).
func compile(t testing.TB, s string) Filter {
	t.Helper()
	p, err := ldap.CompileFilter(s)
	if err != nil {
		t.Fatalf("go-ldap CompileFilter(%q): %v", s, err)
	}
	f, err := DecodeFilter(p.Bytes())
	if err != nil {
		t.Fatalf("DecodeFilter(%q): %v", s, err)
	}
	return f
}

var filterStrings = []string{
	"(cn=foo)",
	"(&(objectClass=user)(!(cn=x))(|(a=1)(b>=2)(c<=3)))",
	"(cn=*)",
	"(cn=a*b*c)",
	"(cn=*mid*)",
	"(cn=init*)",
	"(cn=*final)",
	"(sn~=smith)",
	"(userAccountControl:1.2.840.113556.1.4.803:=2)",
	"(cn:dn:caseExactMatch:=Foo)",
	"(:dn:2.5.13.5:=x)",
	"(cn=\\28paren\\29 \\2a star \\5c back)",
	"(cn=caf\\c3\\a9)",
	"(objectSid=\\01\\05\\00)",
	"(&)",
	"(|)",
}

func TestFilterStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range filterStrings {
		f := compile(t, s)
		again := compile(t, f.String())
		if !bytes.Equal(f.Encode(), again.Encode()) {
			t.Errorf("%q: String %q re-parses to a different filter", s, f.String())
		}
		want, _ := ldap.CompileFilter(s)
		// go-ldap encodes dnAttributes TRUE as 0x01; RFC 4511 §5.1 asks for 0xFF.
		if !strings.Contains(s, ":dn") && !bytes.Equal(f.Encode(), want.Bytes()) {
			t.Errorf("%q: Encode differs from go-ldap's encoding", s)
		}
	}
}

type mapEntry struct {
	dn    string
	attrs map[string][]string
}

func (e mapEntry) DN() string { return e.dn }
func (e mapEntry) Get(a string) [][]byte {
	for k, vs := range e.attrs {
		if equalFold(k, a) {
			var out [][]byte
			for _, v := range vs {
				out = append(out, []byte(v))
			}
			return out
		}
	}
	return nil
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

type chainSchema struct{ testSchema }

func (chainSchema) InChain(e Entry, attr, dn string) bool {
	return attr == "memberOf" && dn == "cn=top,dc=x"
}

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	e := mapEntry{dn: "CN=Web01,OU=Servers,DC=x", attrs: map[string][]string{
		"cn":                     {"Web01"},
		"description":            {"  Front   end  server "},
		"uidNumber":              {"-5"},
		"userAccountControl":     {"4098"},
		"groupType":              {"-2147483646"},
		"whenCreated":            {"20240301120000.0Z"},
		"member":                 {"CN=A,DC=x"},
		"badInt":                 {"x"},
		"isCriticalSystemObject": {"FALSE"},
	}}
	tests := []struct {
		filter string
		schema Schema
		want   Tristate
	}{
		{"(cn=web01)", testSchema{}, True},
		{"(cn;binary=WEB01)", testSchema{}, True},
		{"(CN=web02)", testSchema{}, False},
		{"(description=front end server)", testSchema{}, True},
		{"(description=*end*)", testSchema{}, True},
		{"(description=front*server)", testSchema{}, True},
		{"(description=server*)", testSchema{}, False},
		{"(cn=*01*1)", testSchema{}, False},
		{"(mail=*)", testSchema{}, False},
		{"(uidNumber>=-10)", testSchema{}, True},
		{"(uidNumber<=-6)", testSchema{}, False},
		{"(uidNumber=abc)", testSchema{}, Undefined},
		{"(uidNumber=*5)", testSchema{}, Undefined},
		{"(whenCreated>=20240301110000Z)", testSchema{}, True},
		{"(whenCreated<=2024030115+0200)", testSchema{}, True},
		{"(whenCreated=yesterday)", testSchema{}, Undefined},
		{"(member=cn=a, dc=X)", testSchema{}, True},
		{"(isCriticalSystemObject=false)", testSchema{}, True},
		{"(isCriticalSystemObject>=TRUE)", testSchema{}, Undefined},
		{"(noSuchAttr=1)", testSchema{}, Undefined},
		{"(!(noSuchAttr=1))", testSchema{}, Undefined},
		{"(&(cn=web01)(noSuchAttr=1))", testSchema{}, Undefined},
		{"(&(cn=nope)(noSuchAttr=1))", testSchema{}, False},
		{"(|(cn=web01)(noSuchAttr=1))", testSchema{}, True},
		{"(|(cn=nope)(noSuchAttr=1))", testSchema{}, Undefined},
		{"(&)", testSchema{}, True},
		{"(|)", testSchema{}, False},
		{"(userAccountControl:1.2.840.113556.1.4.803:=4098)", testSchema{}, True},
		{"(userAccountControl:1.2.840.113556.1.4.803:=3)", testSchema{}, False},
		{"(userAccountControl:1.2.840.113556.1.4.804:=3)", testSchema{}, True},
		{"(groupType:1.2.840.113556.1.4.803:=2147483648)", testSchema{}, True},
		{"(badInt:1.2.840.113556.1.4.803:=1)", testSchema{}, Undefined},
		{"(memberOf:1.2.840.113556.1.4.1941:=cn=top,dc=x)", testSchema{}, Undefined},
		{"(memberOf:1.2.840.113556.1.4.1941:=cn=top,dc=x)", chainSchema{}, True},
		{"(memberOf:1.2.840.113556.1.4.1941:=cn=other,dc=x)", chainSchema{}, False},
		{"(cn:1.2.3.4.unknown:=x)", testSchema{}, Undefined},
		{"(cn:caseExactMatch:=web01)", testSchema{}, False},
		{"(cn:2.5.13.5:=Web01)", testSchema{}, True},
		{"(ou:dn:=servers)", testSchema{}, True},
		{"(ou:=servers)", testSchema{}, False},
		{"(:dn:2.5.13.2:=x)", testSchema{}, Undefined},
		{"(cn~=WEB01)", nil, True},
	}
	for _, tt := range tests {
		if got := compile(t, tt.filter).Match(e, tt.schema); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestSIDAssertions(t *testing.T) {
	t.Parallel()
	sid := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0} // S-1-5-32-544
	e := mapEntry{attrs: map[string][]string{"objectSid": {string(sid)}}}
	for _, tt := range []struct {
		value []byte
		want  Tristate
	}{
		{[]byte("S-1-5-32-544"), True},
		{[]byte("s-1-5-32-544"), True},
		{[]byte("S-1-5-32-545"), False},
		{sid, True},
		{[]byte("S-1-x"), Undefined},
	} {
		f := Filter{Kind: FilterEquality, Attr: "objectSid", Value: tt.value}
		if got := f.Match(e, testSchema{}); got != tt.want {
			t.Errorf("objectSid=%q: %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestSelectAttributes(t *testing.T) {
	t.Parallel()
	all := []Attribute{attr("cn", "a"), attr("Mail", "m"), attr("whenCreated", "t"), attr("member;range=0-*", "x")}
	names := func(as []Attribute) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Name)
		}
		return out
	}
	tests := []struct {
		requested []string
		want      []string
	}{
		{nil, []string{"cn", "Mail", "member;range=0-*"}},
		{[]string{"*"}, []string{"cn", "Mail", "member;range=0-*"}},
		{[]string{"+"}, []string{"whenCreated"}},
		{[]string{"*", "+"}, []string{"cn", "Mail", "whenCreated", "member;range=0-*"}},
		{[]string{"1.1"}, nil},
		{[]string{"1.1", "cn"}, []string{"cn"}},
		{[]string{"MAIL", "WhenCreated"}, []string{"Mail", "whenCreated"}},
		{[]string{"member"}, []string{"member;range=0-*"}},
		{[]string{"nothing"}, nil},
	}
	for _, tt := range tests {
		if got := names(SelectAttributes(tt.requested, all, isOperational, false)); !slices.Equal(got, tt.want) {
			t.Errorf("SelectAttributes(%q) = %v, want %v", tt.requested, got, tt.want)
		}
	}
	got := SelectAttributes([]string{"cn"}, all, isOperational, true)
	if len(got) != 1 || got[0].Values != nil {
		t.Errorf("typesOnly kept values: %v", got)
	}
}

func TestResultCodeString(t *testing.T) {
	t.Parallel()
	if NoSuchObject.String() != "noSuchObject" || ResultCode(99).String() != "resultCode(99)" {
		t.Errorf("String: %q, %q", NoSuchObject, ResultCode(99))
	}
}
