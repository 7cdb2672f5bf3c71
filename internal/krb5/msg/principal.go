package msg

import (
	"strconv"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// NameType is a principal name type, RFC 4120 §6.2 (plus RFC 6111's
// well-known names and the Microsoft types of [MS-KILE] §2.2.4). RFC 4120
// says it is a hint: two names differing only in type are the same name.
type NameType int32

// Name types.
const (
	NameTypeUnknown           NameType = 0    // NT-UNKNOWN
	NameTypePrincipal         NameType = 1    // NT-PRINCIPAL: a user or a gMSA, "webapp01$"
	NameTypeSrvInst           NameType = 2    // NT-SRV-INST: "krbtgt/CONTOSO.COM"
	NameTypeSrvHst            NameType = 3    // NT-SRV-HST: "host/dc1.contoso.com"
	NameTypeSrvXHst           NameType = 4    // NT-SRV-XHST
	NameTypeUID               NameType = 5    // NT-UID
	NameTypeX500Principal     NameType = 6    // NT-X500-PRINCIPAL
	NameTypeSMTPName          NameType = 7    // NT-SMTP-NAME
	NameTypeEnterprise        NameType = 10   // NT-ENTERPRISE, RFC 6806 §5: "user@contoso.com" as one component
	NameTypeWellKnown         NameType = 11   // NT-WELLKNOWN, RFC 6111: "WELLKNOWN/ANONYMOUS"
	NameTypeMSPrincipal       NameType = -128 // NT-MS-PRINCIPAL, [MS-KILE]
	NameTypeMSPrincipalAndID  NameType = -129 // NT-MS-PRINCIPAL-AND-ID, [MS-KILE]
	NameTypeEntPrincipalAndID NameType = -130 // NT-ENT-PRINCIPAL-AND-ID, [MS-KILE]
)

var nameTypeNames = map[NameType]string{
	NameTypeUnknown: "NT-UNKNOWN", NameTypePrincipal: "NT-PRINCIPAL", NameTypeSrvInst: "NT-SRV-INST",
	NameTypeSrvHst: "NT-SRV-HST", NameTypeSrvXHst: "NT-SRV-XHST", NameTypeUID: "NT-UID",
	NameTypeX500Principal: "NT-X500-PRINCIPAL", NameTypeSMTPName: "NT-SMTP-NAME",
	NameTypeEnterprise: "NT-ENTERPRISE", NameTypeWellKnown: "NT-WELLKNOWN",
	NameTypeMSPrincipal: "NT-MS-PRINCIPAL", NameTypeMSPrincipalAndID: "NT-MS-PRINCIPAL-AND-ID",
	NameTypeEntPrincipalAndID: "NT-ENT-PRINCIPAL-AND-ID",
}

// String returns the RFC name ("NT-PRINCIPAL"), or "name-type-NN".
func (t NameType) String() string {
	if s, ok := nameTypeNames[t]; ok {
		return s
	}
	return "name-type-" + strconv.Itoa(int(t))
}

// PrincipalName is a Kerberos name without its realm, RFC 4120 §5.2.2:
// "krbtgt/CONTOSO.COM" is {NameTypeSrvInst, ["krbtgt", "CONTOSO.COM"]}.
type PrincipalName struct {
	NameType   NameType
	NameString []string
}

// String returns the components joined by "/", escaped as MIT's
// krb5_unparse_name does: "/", "@" and "\" get a backslash, and NUL, tab,
// newline and backspace become \0, \t, \n and \b.
func (p PrincipalName) String() string {
	var sb strings.Builder
	for i, c := range p.NameString {
		if i > 0 {
			sb.WriteByte('/')
		}
		escape(&sb, c, "/@\\")
	}
	return sb.String()
}

// WithRealm returns "name@REALM", escaped as [PrincipalName.String] and
// with "@" and "\" escaped in the realm.
func (p PrincipalName) WithRealm(realm string) string {
	var sb strings.Builder
	sb.WriteString(p.String())
	sb.WriteByte('@')
	escape(&sb, realm, "@\\")
	return sb.String()
}

func escape(sb *strings.Builder, s, special string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0:
			sb.WriteString(`\0`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\b':
			sb.WriteString(`\b`)
		case strings.IndexByte(special, c) >= 0:
			sb.WriteByte('\\')
			sb.WriteByte(c)
		default:
			sb.WriteByte(c)
		}
	}
}

// EqualFold reports whether p and q name the same principal as Active
// Directory compares names: component by component, case-insensitively,
// ignoring the name type (RFC 4120 §6.2).
func (p PrincipalName) EqualFold(q PrincipalName) bool {
	if len(p.NameString) != len(q.NameString) {
		return false
	}
	for i := range p.NameString {
		if !strings.EqualFold(p.NameString[i], q.NameString[i]) {
			return false
		}
	}
	return true
}

// ParsePrincipal reads a principal as MIT's krb5_parse_name does:
// "hftsai/extra@ATHENA.MIT.EDU" is the name {NT-PRINCIPAL, ["hftsai",
// "extra"]} and the realm "ATHENA.MIT.EDU". The realm is "" when s has none.
// Backslash escapes are those [PrincipalName.String] writes. The name type is
// inferred like MIT: NT-SRV-INST for "krbtgt/REALM", NT-WELLKNOWN for
// "WELLKNOWN/…", NT-PRINCIPAL otherwise.
func ParsePrincipal(s string) (PrincipalName, string, error) {
	bad := func(reason string) (PrincipalName, string, error) {
		return PrincipalName{}, "", &Error{Struct: "PrincipalName", Reason: strconv.Quote(s) + ": " + reason, Err: ErrBadValue}
	}
	var comps []string
	var cur strings.Builder
	realm, inRealm := "", false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s) {
				return bad("ends in a backslash")
			}
			switch e := s[i]; e {
			case '0':
				cur.WriteByte(0)
			case 't':
				cur.WriteByte('\t')
			case 'n':
				cur.WriteByte('\n')
			case 'b':
				cur.WriteByte('\b')
			default:
				cur.WriteByte(e)
			}
		case c == '/' && !inRealm:
			comps = append(comps, cur.String())
			cur.Reset()
		case c == '@':
			if inRealm {
				return bad("more than one unescaped @")
			}
			comps = append(comps, cur.String())
			cur.Reset()
			inRealm = true
		default:
			cur.WriteByte(c)
		}
	}
	if inRealm {
		realm = cur.String()
		if realm == "" {
			return bad("empty realm after @")
		}
	} else {
		comps = append(comps, cur.String())
	}
	if len(comps) == 1 && comps[0] == "" {
		return bad("empty name")
	}
	t := NameTypePrincipal
	switch {
	case len(comps) == 2 && comps[0] == "krbtgt":
		t = NameTypeSrvInst
	case len(comps) >= 1 && comps[0] == "WELLKNOWN":
		t = NameTypeWellKnown
	}
	return PrincipalName{NameType: t, NameString: comps}, realm, nil
}

// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
func readPrincipalName(s *cryptobyte.String, o opts) (PrincipalName, error) {
	p, err := openSeq(s, "PrincipalName", o)
	if err != nil {
		return PrincipalName{}, err
	}
	var n PrincipalName
	n.NameType = NameType(req(p, 0, "name-type", readInt32))
	n.NameString = req(p, 1, "name-string", seqOf(readString))
	return n, p.finish()
}

func (n *PrincipalName) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(n.NameType))
		addExplicit(b, 1, func(b *cryptobyte.Builder) {
			addSeqOf(b, n.NameString, func(s *string, b *cryptobyte.Builder) { addStringValue(b, *s) })
		})
	})
}

// addPrincipal writes a required PrincipalName field.
func addPrincipal(b *cryptobyte.Builder, n int, p *PrincipalName) {
	addExplicit(b, n, p.marshal)
}

// addOptPrincipal writes an OPTIONAL PrincipalName field unless p is nil.
func addOptPrincipal(b *cryptobyte.Builder, n int, p *PrincipalName) {
	if p != nil {
		addExplicit(b, n, p.marshal)
	}
}
