package ldapserver

import (
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// FilterKind is the chosen alternative of the Filter CHOICE; its value is
// the context tag of RFC 4511 §4.5.1.
type FilterKind int

// Filter alternatives.
const (
	FilterAnd            FilterKind = 0
	FilterOr             FilterKind = 1
	FilterNot            FilterKind = 2
	FilterEquality       FilterKind = 3
	FilterSubstrings     FilterKind = 4
	FilterGreaterOrEqual FilterKind = 5
	FilterLessOrEqual    FilterKind = 6
	FilterPresent        FilterKind = 7
	FilterApprox         FilterKind = 8
	FilterExtensible     FilterKind = 9
)

// maxFilterDepth bounds the nesting of and/or/not.
const maxFilterDepth = 64

// Filter is a search filter (RFC 4511 §4.5.1.7). Which fields are used
// depends on Kind:
//   - and, or: Children (and with no children is absolute true, or with none
//     absolute false, RFC 4526);
//   - not: Children[0];
//   - equality, greaterOrEqual, lessOrEqual, approx: Attr and Value;
//   - present: Attr;
//   - substrings: Attr, Initial, Any and Final (Initial/Final nil when absent);
//   - extensible: MatchingRule ("" when absent), Attr ("" when absent),
//     Value and DNAttributes.
type Filter struct {
	Kind         FilterKind
	Children     []Filter
	Attr         string
	Value        []byte
	Initial      []byte
	Any          [][]byte
	Final        []byte
	MatchingRule string
	DNAttributes bool
}

// DecodeFilter decodes a BER-encoded Filter.
func DecodeFilter(b []byte) (Filter, error) {
	p, err := ber.DecodePacketErr(b)
	if err != nil {
		return Filter{}, errf("filter: %v", err)
	}
	return decodeFilter(p, 0)
}

func decodeFilter(p *ber.Packet, depth int) (Filter, error) {
	if depth > maxFilterDepth {
		return Filter{}, errf("filter nested deeper than %d", maxFilterDepth)
	}
	if p.ClassType != ber.ClassContext || p.Tag > 9 {
		return Filter{}, errf("filter is %s, want a context tag 0..9", describe(p))
	}
	f := Filter{Kind: FilterKind(p.Tag)}
	wantConstructed := f.Kind != FilterPresent
	if (p.TagType == ber.TypeConstructed) != wantConstructed {
		return Filter{}, errf("filter %s has the wrong form", describe(p))
	}
	switch f.Kind {
	case FilterAnd, FilterOr:
		f.Children = make([]Filter, 0, len(p.Children))
		for _, c := range p.Children {
			cf, err := decodeFilter(c, depth+1)
			if err != nil {
				return Filter{}, err
			}
			f.Children = append(f.Children, cf)
		}
	case FilterNot:
		if len(p.Children) != 1 {
			return Filter{}, errf("not filter has %d elements, want 1", len(p.Children))
		}
		cf, err := decodeFilter(p.Children[0], depth+1)
		if err != nil {
			return Filter{}, err
		}
		f.Children = []Filter{cf}
	case FilterEquality, FilterGreaterOrEqual, FilterLessOrEqual, FilterApprox:
		a, v, err := decodeAVA(p, "filter AttributeValueAssertion")
		if err != nil {
			return Filter{}, err
		}
		f.Attr, f.Value = a, v
	case FilterPresent:
		f.Attr = string(p.Data.Bytes())
	case FilterSubstrings:
		if len(p.Children) != 2 {
			return Filter{}, errf("substrings filter has %d elements, want 2", len(p.Children))
		}
		a, err := octets(p.Children[0], "substrings.type")
		if err != nil {
			return Filter{}, err
		}
		f.Attr = string(a)
		seq := p.Children[1]
		if !is(seq, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(seq.Children) == 0 {
			return Filter{}, errf("substrings.substrings is %s with %d elements, want non-empty SEQUENCE", describe(seq), len(seq.Children))
		}
		for i, s := range seq.Children {
			if s.ClassType != ber.ClassContext || s.TagType != ber.TypePrimitive || s.Tag > 2 {
				return Filter{}, errf("substring %d is %s, want [0], [1] or [2]", i, describe(s))
			}
			v := append([]byte{}, s.Data.Bytes()...)
			switch s.Tag {
			case 0:
				if i != 0 {
					return Filter{}, errf("substring initial at position %d, must be first", i)
				}
				f.Initial = v
			case 1:
				if f.Final != nil {
					return Filter{}, errf("substring any after final")
				}
				f.Any = append(f.Any, v)
			case 2:
				if i != len(seq.Children)-1 {
					return Filter{}, errf("substring final at position %d, must be last", i)
				}
				f.Final = v
			}
		}
	case FilterExtensible:
		seen := -1
		hasValue := false
		for _, c := range p.Children {
			if c.ClassType != ber.ClassContext || c.TagType != ber.TypePrimitive || c.Tag < 1 || c.Tag > 4 || int(c.Tag) <= seen {
				return Filter{}, errf("extensibleMatch element %s out of place", describe(c))
			}
			seen = int(c.Tag)
			switch c.Tag {
			case 1:
				f.MatchingRule = string(c.Data.Bytes())
			case 2:
				f.Attr = string(c.Data.Bytes())
			case 3:
				f.Value = append([]byte{}, c.Data.Bytes()...)
				hasValue = true
			case 4:
				b := c.Data.Bytes()
				if len(b) != 1 {
					return Filter{}, errf("extensibleMatch.dnAttributes has %d octets, want 1", len(b))
				}
				f.DNAttributes = b[0] != 0
			}
		}
		if !hasValue {
			return Filter{}, errf("extensibleMatch without matchValue")
		}
		if f.MatchingRule == "" && f.Attr == "" {
			return Filter{}, errf("extensibleMatch without matchingRule and type")
		}
	}
	return f, nil
}

// Encode returns the BER encoding of f (the inverse of [DecodeFilter]).
func (f Filter) Encode() []byte { return f.packet().Bytes() }

func (f Filter) packet() *ber.Packet {
	tag := ber.Tag(f.Kind)
	switch f.Kind {
	case FilterAnd, FilterOr, FilterNot:
		p := ber.Encode(ber.ClassContext, ber.TypeConstructed, tag, nil, "")
		for _, c := range f.Children {
			p.AppendChild(c.packet())
		}
		return p
	case FilterPresent:
		return ber.NewString(ber.ClassContext, ber.TypePrimitive, tag, f.Attr, "")
	case FilterSubstrings:
		p := ber.Encode(ber.ClassContext, ber.TypeConstructed, tag, nil, "")
		p.AppendChild(octetString(f.Attr))
		seq := ber.NewSequence("")
		if f.Initial != nil {
			seq.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, string(f.Initial), ""))
		}
		for _, a := range f.Any {
			seq.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, string(a), ""))
		}
		if f.Final != nil {
			seq.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 2, string(f.Final), ""))
		}
		p.AppendChild(seq)
		return p
	case FilterExtensible:
		p := ber.Encode(ber.ClassContext, ber.TypeConstructed, tag, nil, "")
		if f.MatchingRule != "" {
			p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, f.MatchingRule, ""))
		}
		if f.Attr != "" {
			p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 2, f.Attr, ""))
		}
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 3, string(f.Value), ""))
		if f.DNAttributes {
			p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 4, "\xff", ""))
		}
		return p
	default: // AttributeValueAssertion kinds
		p := ber.Encode(ber.ClassContext, ber.TypeConstructed, tag, nil, "")
		p.AppendChild(octetString(f.Attr))
		p.AppendChild(octetString(string(f.Value)))
		return p
	}
}

// String returns f in the string form of RFC 4515, escaping '*', '(', ')',
// '\', NUL and every byte outside printable ASCII as \XX.
func (f Filter) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f Filter) write(b *strings.Builder) {
	b.WriteByte('(')
	switch f.Kind {
	case FilterAnd, FilterOr, FilterNot:
		b.WriteByte("&|!"[f.Kind])
		for _, c := range f.Children {
			c.write(b)
		}
	case FilterEquality:
		b.WriteString(f.Attr + "=")
		escape(b, f.Value)
	case FilterGreaterOrEqual:
		b.WriteString(f.Attr + ">=")
		escape(b, f.Value)
	case FilterLessOrEqual:
		b.WriteString(f.Attr + "<=")
		escape(b, f.Value)
	case FilterApprox:
		b.WriteString(f.Attr + "~=")
		escape(b, f.Value)
	case FilterPresent:
		b.WriteString(f.Attr + "=*")
	case FilterSubstrings:
		b.WriteString(f.Attr + "=")
		escape(b, f.Initial)
		b.WriteByte('*')
		for _, a := range f.Any {
			escape(b, a)
			b.WriteByte('*')
		}
		escape(b, f.Final)
	case FilterExtensible:
		b.WriteString(f.Attr)
		if f.DNAttributes {
			b.WriteString(":dn")
		}
		if f.MatchingRule != "" {
			b.WriteString(":" + f.MatchingRule)
		}
		b.WriteString(":=")
		escape(b, f.Value)
	}
	b.WriteByte(')')
}

func escape(b *strings.Builder, v []byte) {
	const hex = "0123456789abcdef"
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '*' || c == '(' || c == ')' || c == '\\' {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}
