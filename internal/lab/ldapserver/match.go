package ldapserver

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Tristate is the value of a filter: True, False or Undefined (RFC 4511
// §4.5.1.7).
type Tristate int8

// Filter results.
const (
	False Tristate = iota
	True
	Undefined
)

// String returns "TRUE", "FALSE" or "Undefined".
func (t Tristate) String() string {
	switch t {
	case False:
		return "FALSE"
	case True:
		return "TRUE"
	}
	return "Undefined"
}

// Entry is what a filter is evaluated against. Get returns the values of
// an attribute, its name compared case-insensitively, or nil when the entry
// has none. Get receives the attribute's base name, without options.
type Entry interface {
	DN() string
	Get(attr string) [][]byte
}

// Syntax says how the values of an attribute compare.
type Syntax int

// Syntaxes. The zero value is CaseIgnoreString, the default.
const (
	CaseIgnoreString Syntax = iota // case-folded, insignificant spaces removed
	CaseExactString                // as CaseIgnoreString without folding
	Integer                        // decimal, signed 64-bit ordering
	OctetString                    // byte comparison and ordering
	DN                             // distinguished names, compared normalized
	GeneralizedTime                // ordering by time
	Boolean                        // "TRUE" / "FALSE"; no ordering
	SID                            // binary SID; assertions in binary or "S-1-…" form
	UnknownAttribute               // the attribute is not defined: every item is Undefined
)

// Schema gives the syntax of each attribute (attr is the base name, any
// case). A Schema may also implement [DNNormalizer] and [InChainer].
type Schema interface {
	Syntax(attr string) Syntax
}

// DNNormalizer is implemented by a Schema that normalizes DNs for the DN
// syntax; without it, DNs are compared case-insensitively with spaces
// around ',', '+' and '=' removed.
type DNNormalizer interface {
	NormalizeDN(dn string) (string, bool)
}

// InChainer is implemented by a Schema that can evaluate the AD matching
// rule LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941): whether dn
// is reachable from e by following attr transitively. Without it the rule
// is Undefined.
type InChainer interface {
	InChain(e Entry, attr string, dn string) bool
}

// Matching rule OIDs understood by extensibleMatch.
const (
	RuleBitAnd  = "1.2.840.113556.1.4.803"
	RuleBitOr   = "1.2.840.113556.1.4.804"
	RuleInChain = "1.2.840.113556.1.4.1941"
)

// BaseAttr strips the options from an attribute description:
// "member;range=0-*" → "member".
func BaseAttr(desc string) string {
	if i := strings.IndexByte(desc, ';'); i >= 0 {
		return desc[:i]
	}
	return desc
}

type defaultSchema struct{}

func (defaultSchema) Syntax(string) Syntax { return CaseIgnoreString }

// Match evaluates f against e. A nil Schema gives every attribute the
// CaseIgnoreString syntax.
func (f Filter) Match(e Entry, s Schema) Tristate {
	if s == nil {
		s = defaultSchema{}
	}
	switch f.Kind {
	case FilterAnd:
		out := True
		for _, c := range f.Children {
			switch c.Match(e, s) {
			case False:
				return False
			case Undefined:
				out = Undefined
			}
		}
		return out
	case FilterOr:
		out := False
		for _, c := range f.Children {
			switch c.Match(e, s) {
			case True:
				return True
			case Undefined:
				out = Undefined
			}
		}
		return out
	case FilterNot:
		if len(f.Children) != 1 {
			return Undefined
		}
		switch f.Children[0].Match(e, s) {
		case True:
			return False
		case False:
			return True
		}
		return Undefined
	case FilterPresent:
		attr := BaseAttr(f.Attr)
		if s.Syntax(attr) == UnknownAttribute {
			return Undefined
		}
		if len(e.Get(attr)) > 0 {
			return True
		}
		return False
	case FilterEquality, FilterApprox:
		return compareAll(e, s, f.Attr, f.Value, func(c int) bool { return c == 0 }, false)
	case FilterGreaterOrEqual:
		return compareAll(e, s, f.Attr, f.Value, func(c int) bool { return c >= 0 }, true)
	case FilterLessOrEqual:
		return compareAll(e, s, f.Attr, f.Value, func(c int) bool { return c <= 0 }, true)
	case FilterSubstrings:
		return f.matchSubstrings(e, s)
	case FilterExtensible:
		return f.matchExtensible(e, s)
	}
	return Undefined
}

// compareAll is True when some value v of attr satisfies ok(compare(v, a)).
func compareAll(e Entry, s Schema, desc string, assertion []byte, ok func(int) bool, ordering bool) Tristate {
	attr := BaseAttr(desc)
	syn := s.Syntax(attr)
	if syn == UnknownAttribute || (ordering && (syn == Boolean || syn == SID)) {
		return Undefined
	}
	a, valid := normalize(s, syn, assertion, true)
	if !valid {
		return Undefined
	}
	out := False
	for _, v := range e.Get(attr) {
		nv, valid := normalize(s, syn, v, false)
		if !valid {
			out = Undefined
			continue
		}
		if ok(compareNormalized(syn, nv, a)) {
			return True
		}
	}
	return out
}

// normalized is a value prepared for comparison under a syntax.
type normalized struct {
	b []byte
	i int64
	t time.Time
}

func normalize(s Schema, syn Syntax, v []byte, assertion bool) (normalized, bool) {
	switch syn {
	case CaseIgnoreString:
		return normalized{b: []byte(strings.ToLower(squeeze(string(v))))}, true
	case CaseExactString:
		return normalized{b: []byte(squeeze(string(v)))}, true
	case Integer:
		i, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
		return normalized{i: i}, err == nil
	case OctetString:
		return normalized{b: v}, true
	case DN:
		if n, ok := s.(DNNormalizer); ok {
			d, ok := n.NormalizeDN(string(v))
			return normalized{b: []byte(d)}, ok
		}
		return normalized{b: []byte(defaultNormalizeDN(string(v)))}, true
	case GeneralizedTime:
		t, ok := parseGeneralizedTime(string(v))
		return normalized{t: t}, ok
	case Boolean:
		switch strings.ToUpper(strings.TrimSpace(string(v))) {
		case "TRUE":
			return normalized{i: 1}, true
		case "FALSE":
			return normalized{i: 0}, true
		}
		return normalized{}, false
	case SID:
		if assertion && bytes.HasPrefix(bytes.ToUpper(v), []byte("S-")) {
			sid, err := adtypes.ParseSID(string(v))
			if err != nil {
				return normalized{}, false
			}
			return normalized{b: sid.Bytes()}, true
		}
		return normalized{b: v}, true
	}
	return normalized{}, false
}

func compareNormalized(syn Syntax, v, a normalized) int {
	switch syn {
	case Integer, Boolean:
		switch {
		case v.i < a.i:
			return -1
		case v.i > a.i:
			return 1
		}
		return 0
	case GeneralizedTime:
		return v.t.Compare(a.t)
	}
	return bytes.Compare(v.b, a.b)
}

// squeeze removes leading and trailing spaces and collapses inner runs of
// spaces to one (RFC 4518 §2.6.1, insignificant space handling).
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func defaultNormalizeDN(dn string) string {
	var b strings.Builder
	for i, part := range splitDN(dn) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, v, _ := strings.Cut(part, "=")
		b.WriteString(strings.ToLower(strings.TrimSpace(k)))
		b.WriteByte('=')
		b.WriteString(strings.ToLower(strings.TrimSpace(v)))
	}
	return b.String()
}

// splitDN splits a DN string at unescaped commas (and '+' of multi-valued
// RDNs), keeping escapes as they are.
func splitDN(dn string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',', '+':
			parts = append(parts, dn[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(dn) != "" {
		parts = append(parts, dn[start:])
	}
	return parts
}

// parseGeneralizedTime parses the GeneralizedTime syntax of RFC 4517
// §3.3.13: YYYYMMDDHH[MM[SS[(.|,)fraction]]](Z|±HH[MM]); this package
// accepts a fraction of seconds only.
func parseGeneralizedTime(s string) (time.Time, bool) {
	if len(s) < 11 {
		return time.Time{}, false
	}
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits != 10 && digits != 12 && digits != 14 {
		return time.Time{}, false
	}
	layout := "2006010215" + "0405"[:digits-10]
	rest := s[digits:]
	frac := ""
	if rest != "" && (rest[0] == '.' || rest[0] == ',') {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 1 || digits != 14 {
			return time.Time{}, false
		}
		frac, rest = "."+rest[1:j], rest[j:]
	}
	var loc *time.Location
	switch {
	case rest == "Z":
		loc = time.UTC
	case len(rest) == 3 || len(rest) == 5:
		sign := 1
		switch rest[0] {
		case '+':
		case '-':
			sign = -1
		default:
			return time.Time{}, false
		}
		h, err1 := strconv.Atoi(rest[1:3])
		m := 0
		var err2 error
		if len(rest) == 5 {
			m, err2 = strconv.Atoi(rest[3:5])
		}
		if err1 != nil || err2 != nil || h > 23 || m > 59 {
			return time.Time{}, false
		}
		loc = time.FixedZone("", sign*(h*3600+m*60))
	default:
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s[:digits], loc)
	if err != nil {
		return time.Time{}, false
	}
	if frac != "" {
		f, err := strconv.ParseFloat("0"+frac, 64)
		if err != nil {
			return time.Time{}, false
		}
		t = t.Add(time.Duration(f * float64(time.Second)))
	}
	return t, true
}

func (f Filter) matchSubstrings(e Entry, s Schema) Tristate {
	attr := BaseAttr(f.Attr)
	syn := s.Syntax(attr)
	switch syn {
	case CaseIgnoreString, CaseExactString, OctetString, DN:
	default:
		return Undefined
	}
	prep := func(v []byte) []byte {
		switch syn {
		case CaseIgnoreString, DN:
			return []byte(strings.ToLower(string(v)))
		}
		return v
	}
	initial, final := prep(f.Initial), prep(f.Final)
	anys := make([][]byte, len(f.Any))
	for i, a := range f.Any {
		anys[i] = prep(a)
	}
	for _, v := range e.Get(attr) {
		if syn == CaseIgnoreString || syn == CaseExactString {
			v = []byte(squeeze(string(v)))
		}
		v = prep(v)
		if !bytes.HasPrefix(v, initial) {
			continue
		}
		rest := v[len(initial):]
		ok := true
		for _, a := range anys {
			i := bytes.Index(rest, a)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(a):]
		}
		if ok && len(rest) >= len(final) && bytes.HasSuffix(rest, final) {
			return True
		}
	}
	return False
}

func (f Filter) matchExtensible(e Entry, s Schema) Tristate {
	attr := BaseAttr(f.Attr)
	if attr == "" {
		return Undefined // matching every attribute of an entry is not supported
	}
	switch f.MatchingRule {
	case RuleBitAnd, RuleBitOr:
		a, err := strconv.ParseInt(strings.TrimSpace(string(f.Value)), 10, 64)
		if err != nil {
			return Undefined
		}
		out := False
		for _, v := range e.Get(attr) {
			n, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
			if err != nil {
				out = Undefined
				continue
			}
			if (f.MatchingRule == RuleBitAnd && uint64(n)&uint64(a) == uint64(a)) ||
				(f.MatchingRule == RuleBitOr && uint64(n)&uint64(a) != 0) {
				return True
			}
		}
		return out
	case RuleInChain:
		c, ok := s.(InChainer)
		if !ok {
			return Undefined
		}
		if c.InChain(e, attr, string(f.Value)) {
			return True
		}
		return False
	}
	syn := s.Syntax(attr)
	if f.MatchingRule != "" {
		r, ok := ruleSyntax[strings.ToLower(f.MatchingRule)]
		if !ok {
			return Undefined
		}
		syn = r
	}
	eq := Filter{Kind: FilterEquality, Attr: attr, Value: f.Value}
	res := eq.Match(e, fixedSchema{s, attr, syn})
	if res == True || !f.DNAttributes {
		return res
	}
	// dnAttributes: also the attribute values of the entry's DN.
	a, ok := normalize(s, syn, f.Value, true)
	if !ok {
		return Undefined
	}
	for _, part := range splitDN(e.DN()) {
		k, v, _ := strings.Cut(part, "=")
		if !strings.EqualFold(strings.TrimSpace(k), attr) {
			continue
		}
		if nv, ok := normalize(s, syn, []byte(strings.TrimSpace(v)), false); ok && compareNormalized(syn, nv, a) == 0 {
			return True
		}
	}
	return res
}

// ruleSyntax maps equality matching rules (names and OIDs of RFC 4517) to
// the syntax that compares the same way.
var ruleSyntax = map[string]Syntax{
	"caseignorematch": CaseIgnoreString, "2.5.13.2": CaseIgnoreString,
	"caseexactmatch": CaseExactString, "2.5.13.5": CaseExactString,
	"integermatch": Integer, "2.5.13.14": Integer,
	"octetstringmatch": OctetString, "2.5.13.17": OctetString,
	"distinguishednamematch": DN, "2.5.13.1": DN,
	"generalizedtimematch": GeneralizedTime, "2.5.13.27": GeneralizedTime,
	"booleanmatch": Boolean, "2.5.13.13": Boolean,
}

// fixedSchema overrides the syntax of one attribute.
type fixedSchema struct {
	Schema
	attr string
	syn  Syntax
}

func (f fixedSchema) Syntax(a string) Syntax {
	if strings.EqualFold(a, f.attr) {
		return f.syn
	}
	return f.Schema.Syntax(a)
}

func (f fixedSchema) NormalizeDN(dn string) (string, bool) {
	if n, ok := f.Schema.(DNNormalizer); ok {
		return n.NormalizeDN(dn)
	}
	return defaultNormalizeDN(dn), true
}
