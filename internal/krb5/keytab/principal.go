package keytab

import "strings"

// Principal is a Kerberos principal name (RFC 4120 §6.2): a name type, the
// name's components and the realm. "HTTP/web.contoso.com@CONTOSO.COM" has
// the components "HTTP" and "web.contoso.com".
type Principal struct {
	NameType   int32 // RFC 4120 §6.2 name type, e.g. [NameTypePrincipal]; 0 (unknown) in version 1 files
	Components []string
	Realm      string
}

// Name types, RFC 4120 §6.2 and [MS-KILE] §2.2.1 (enterprise).
const (
	NameTypeUnknown    int32 = 0  // NT-UNKNOWN
	NameTypePrincipal  int32 = 1  // NT-PRINCIPAL: users, gMSAs, computers (name$)
	NameTypeSrvInst    int32 = 2  // NT-SRV-INST: krbtgt/REALM
	NameTypeSrvHst     int32 = 3  // NT-SRV-HST: service/host
	NameTypeEnterprise int32 = 10 // NT-ENTERPRISE: user@upn.suffix as one component
)

// ParsePrincipal reads a principal as MIT krb5_parse_name does:
// components separated by "/", then "@" and the realm. A backslash escapes
// the next character; "\n", "\t", "\b" and "\0" stand for newline, tab,
// backspace and NUL. Without "@" the realm is empty. The name type is
// [NameTypeSrvInst] for "krbtgt/…" (as MIT 1.20 sets it) and
// [NameTypePrincipal] otherwise.
func ParsePrincipal(s string) (Principal, error) {
	if s == "" {
		return Principal{}, &Error{Op: "parse principal", Offset: -1, Reason: "empty name", Err: ErrMalformed}
	}
	var (
		p       Principal
		cur     strings.Builder
		inRealm bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s) {
				return Principal{}, &Error{Op: "parse principal", Offset: -1, Reason: "name ends with a lone backslash", Err: ErrMalformed}
			}
			switch s[i] {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'b':
				cur.WriteByte('\b')
			case '0':
				cur.WriteByte(0)
			default:
				cur.WriteByte(s[i])
			}
		case c == '/' && !inRealm:
			p.Components = append(p.Components, cur.String())
			cur.Reset()
		case c == '@':
			if inRealm {
				return Principal{}, &Error{Op: "parse principal", Offset: -1, Reason: "unescaped \"@\" in the realm", Err: ErrMalformed}
			}
			p.Components = append(p.Components, cur.String())
			cur.Reset()
			inRealm = true
		default:
			cur.WriteByte(c)
		}
	}
	if inRealm {
		p.Realm = cur.String()
	} else {
		p.Components = append(p.Components, cur.String())
	}
	p.NameType = NameTypePrincipal
	if len(p.Components) == 2 && p.Components[0] == "krbtgt" {
		p.NameType = NameTypeSrvInst
	}
	return p, nil
}

// String writes the principal as MIT krb5_unparse_name does, escaping "/",
// "@", "\" and control characters so that ParsePrincipal reads it back. The
// realm, when empty, is left out with its "@".
func (p Principal) String() string {
	var b strings.Builder
	for i, c := range p.Components {
		if i > 0 {
			b.WriteByte('/')
		}
		quote(&b, c)
	}
	if p.Realm != "" {
		b.WriteByte('@')
		quote(&b, p.Realm)
	}
	return b.String()
}

func quote(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/', '@', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
}

// Equal reports whether p and q name the same principal: the same
// components and realm compared case-insensitively (Unicode simple
// folding), as Active Directory compares names. The name type is ignored,
// as MIT's krb5_principal_compare ignores it.
func (p Principal) Equal(q Principal) bool {
	if len(p.Components) != len(q.Components) || !strings.EqualFold(p.Realm, q.Realm) {
		return false
	}
	for i := range p.Components {
		if !strings.EqualFold(p.Components[i], q.Components[i]) {
			return false
		}
	}
	return true
}
