package store

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// DNError reports a DN that RFC 4514 does not accept.
type DNError struct {
	DN     string
	Reason string
}

// Error names the DN and what is wrong with it.
func (e *DNError) Error() string {
	return fmt.Sprintf("lab store: DN %q: %s", e.DN, e.Reason)
}

// NormalizeDN returns the canonical string form of dn used to compare DNs:
// attribute types lower-cased, values unescaped, stripped of insignificant
// (unescaped leading and trailing) spaces, lower-cased, and escaped again in
// one canonical way; the attribute-value pairs of a multi-valued RDN are
// sorted; RDNs are joined by "," with no spaces. The empty DN normalizes to
// "". Two DNs name the same entry exactly when their normal forms are equal.
// The error is a *DNError naming dn.
func NormalizeDN(dn string) (string, error) {
	rdns, err := parseDN(dn)
	if err != nil {
		return "", err
	}
	return strings.Join(rdns, ","), nil
}

// ParentDN returns dn without its first RDN, as written in dn (case and
// escapes preserved, leading spaces removed), or "" when dn has a single
// RDN (the parent of a naming-context root such as "DC=com" or of a DN the
// caller registered as a root is then whatever the caller says; this
// function is purely syntactic). It does not validate dn.
func ParentDN(dn string) string {
	i := firstSeparator(dn)
	if i < 0 {
		return ""
	}
	return strings.TrimLeft(dn[i+1:], " ")
}

// firstSeparator returns the index of the first unescaped ',' in dn, or -1.
func firstSeparator(dn string) int {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++ // the escaped byte (or the first of two hex digits) is not a separator
		case ',':
			return i
		}
	}
	return -1
}

// splitRawRDNs splits dn at its unescaped commas without decoding anything.
func splitRawRDNs(dn string) []string {
	var out []string
	for {
		i := firstSeparator(dn)
		if i < 0 {
			return append(out, dn)
		}
		out = append(out, dn[:i])
		dn = dn[i+1:]
	}
}

// parseDN parses dn and returns its RDNs in normalized string form, first
// RDN first.
func parseDN(dn string) ([]string, error) {
	p := dnParser{dn: dn}
	if strings.TrimSpace(dn) == "" {
		return nil, nil
	}
	var rdns []string
	var avas []string
	for {
		ava, err := p.ava()
		if err != nil {
			return nil, err
		}
		avas = append(avas, ava)
		if p.i == len(dn) || dn[p.i] == ',' {
			if len(avas) > 1 {
				slices.Sort(avas)
			}
			rdns = append(rdns, strings.Join(avas, "+"))
			avas = avas[:0]
			if p.i == len(dn) {
				return rdns, nil
			}
		}
		p.i++ // skip ',' or '+'
	}
}

type dnParser struct {
	dn string
	i  int
}

func (p *dnParser) fail(format string, args ...any) error {
	return &DNError{DN: p.dn, Reason: fmt.Sprintf(format, args...)}
}

func (p *dnParser) skipSpaces() {
	for p.i < len(p.dn) && p.dn[p.i] == ' ' {
		p.i++
	}
}

// ava parses one attributeTypeAndValue and returns "type=value" normalized.
// On return p.i is at ',', '+' or the end.
func (p *dnParser) ava() (string, error) {
	p.skipSpaces()
	start := p.i
	for p.i < len(p.dn) && p.dn[p.i] != '=' && p.dn[p.i] != ',' && p.dn[p.i] != '+' {
		p.i++
	}
	if p.i == len(p.dn) || p.dn[p.i] != '=' {
		return "", p.fail("RDN at offset %d has no '='", start)
	}
	typ := strings.ToLower(strings.TrimRight(p.dn[start:p.i], " "))
	if !validType(typ) {
		return "", p.fail("attribute type %q is not a name or an OID", typ)
	}
	p.i++ // '='
	p.skipSpaces()
	var b strings.Builder
	b.Grow(len(typ) + 16)
	b.WriteString(typ)
	b.WriteByte('=')
	if p.i < len(p.dn) && p.dn[p.i] == '#' {
		v, err := p.hexValue()
		if err != nil {
			return "", err
		}
		b.WriteByte('#')
		b.WriteString(hex.EncodeToString(v))
		return b.String(), nil
	}
	v, err := p.stringValue()
	if err != nil {
		return "", err
	}
	escapeValue(&b, foldValue(v))
	return b.String(), nil
}

func (p *dnParser) hexValue() ([]byte, error) {
	p.i++ // '#'
	start := p.i
	for p.i < len(p.dn) && p.dn[p.i] != ',' && p.dn[p.i] != '+' && p.dn[p.i] != ' ' {
		p.i++
	}
	v, err := hex.DecodeString(p.dn[start:p.i])
	if err != nil || p.i == start {
		return nil, p.fail("value #%s is not a hex string", p.dn[start:p.i])
	}
	p.skipSpaces()
	if p.i < len(p.dn) && p.dn[p.i] != ',' && p.dn[p.i] != '+' {
		return nil, p.fail("unexpected %q after hex value at offset %d", p.dn[p.i], p.i)
	}
	return v, nil
}

// stringValue unescapes a string value, dropping unescaped leading (already
// skipped) and trailing spaces.
func (p *dnParser) stringValue() ([]byte, error) {
	v := make([]byte, 0, 16)
	significant := 0 // length of v up to its last escaped or non-space byte
	for p.i < len(p.dn) {
		c := p.dn[p.i]
		switch c {
		case ',', '+':
			return v[:significant], nil
		case '\\':
			if p.i+1 >= len(p.dn) {
				return nil, p.fail("trailing backslash")
			}
			n := p.dn[p.i+1]
			if isHex(n) {
				if p.i+2 >= len(p.dn) || !isHex(p.dn[p.i+2]) {
					return nil, p.fail("bad hex escape at offset %d", p.i)
				}
				x, _ := hex.DecodeString(p.dn[p.i+1 : p.i+3])
				v = append(v, x[0])
				p.i += 3
			} else if strings.IndexByte(" \"#+,;<=>\\", n) >= 0 {
				v = append(v, n)
				p.i += 2
			} else {
				return nil, p.fail("bad escape %q at offset %d", p.dn[p.i:p.i+2], p.i)
			}
			significant = len(v)
			continue
		case '"', ';', '<', '>', 0:
			return nil, p.fail("unescaped %q at offset %d", c, p.i)
		}
		v = append(v, c)
		if c != ' ' {
			significant = len(v)
		}
		p.i++
	}
	return v[:significant], nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validType accepts a descr (ALPHA *(ALPHA / DIGIT / "-")) or a numericoid.
func validType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" || len(part) > 1 && part[0] == '0' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// foldValue lower-cases a value: Unicode-aware when it is valid UTF-8, ASCII
// only otherwise (so that distinct invalid bytes stay distinct).
func foldValue(v []byte) []byte {
	ascii := true
	for _, c := range v {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		out := make([]byte, len(v))
		for i, c := range v {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out[i] = c
		}
		return out
	}
	if utf8.Valid(v) {
		// Fold until stable: ToLower is not idempotent for every rune.
		s := string(v)
		for range 4 {
			l := strings.ToLower(s)
			if l == s {
				break
			}
			s = l
		}
		return []byte(s)
	}
	out := make([]byte, len(v))
	for i, c := range v {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// escapeValue writes v in the canonical escaped form: the RFC 4514 special
// characters and '=' escaped with a backslash, control bytes, DEL and the
// bytes of invalid UTF-8 as \xx, a leading space or '#' and a trailing space
// escaped. The result never contains a NUL byte (entry keys rely on it).
func escapeValue(b *strings.Builder, v []byte) {
	valid := utf8.Valid(v)
	for i, c := range v {
		switch {
		case strings.IndexByte("\"+,;<>\\=", c) >= 0,
			c == ' ' && (i == 0 || i == len(v)-1),
			c == '#' && i == 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f || c >= 0x80 && !valid:
			b.WriteString(fmt.Sprintf("\\%02x", c))
		default:
			b.WriteByte(c)
		}
	}
}

// dnKey returns the bucket key of a DN: its normalized RDNs in reverse
// order, each followed by NUL. The empty DN has the empty key.
func dnKey(dn string) ([]byte, error) {
	rdns, err := parseDN(dn)
	if err != nil {
		return nil, err
	}
	return rdnsKey(rdns), nil
}

func rdnsKey(rdns []string) []byte {
	n := 0
	for _, r := range rdns {
		n += len(r) + 1
	}
	k := make([]byte, 0, n)
	for i := len(rdns) - 1; i >= 0; i-- {
		k = append(k, rdns[i]...)
		k = append(k, 0)
	}
	return k
}

// keyText renders a key (an entry key, or any bucket key) for messages:
// `"DN"` with the normalized DN when it is an entry key, else the bytes
// quoted by %q.
func keyText(k []byte) string {
	if len(k) == 0 || k[len(k)-1] != 0 || bytes.IndexFunc(k, func(r rune) bool { return r > 0 && r < 0x20 || r == '"' }) >= 0 {
		return fmt.Sprintf("%q", k)
	}
	parts := bytes.Split(k[:len(k)-1], []byte{0})
	slices.Reverse(parts)
	return `"` + string(bytes.Join(parts, []byte(","))) + `"`
}

// keyDepth is the number of RDNs a key encodes.
func keyDepth(k []byte) int { return bytes.Count(k, []byte{0}) }

// subtreeEnd returns the smallest key greater than every key in the subtree
// of k (k itself included). RDN strings contain no NUL, so replacing k's
// final NUL by 0x01 skips exactly the keys that have k as prefix.
func subtreeEnd(k []byte) []byte {
	end := bytes.Clone(k)
	end[len(end)-1] = 1
	return end
}
