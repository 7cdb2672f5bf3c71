package adtypes

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SID is a security identifier, [MS-DTYP] 2.4.2. Its revision is always 1,
// the only one defined, so it is not stored.
//
// Values returned by this package always have at most 15 sub-authorities and
// an authority below 2^48; a SID built by hand must keep to the same limits
// for [SID.Bytes] to be meaningful. SID implements encoding.TextMarshaler and
// encoding.TextUnmarshaler with the string form.
type SID struct {
	Authority      uint64   // the 48-bit identifier authority: 5 for NT AUTHORITY
	SubAuthorities []uint32 // at most 15; the last one of an account SID is its RID
}

const (
	maxSubAuthorities = 15
	maxAuthority      = 1<<48 - 1
	sidHeaderLen      = 8 // revision, count, 6-byte authority
)

// ParseSID parses the string form of a SID, [MS-DTYP] 2.4.2.1:
// "S-1-" then the identifier authority, then "-" and a decimal sub-authority,
// at most 15 times. The authority is decimal when below 2^32 and otherwise
// "0x" followed by exactly 12 hexadecimal digits, as the ABNF there allows.
// A lowercase "s" is accepted, as SDDL accepts it. ParseSID rejects the empty
// string, revisions other than 1, values that overflow their field, more than
// 15 sub-authorities and anything after the last sub-authority.
func ParseSID(s string) (SID, error) {
	bad := func(format string, args ...any) (SID, error) {
		return SID{}, newError("SID", s, format, args...)
	}
	if s == "" {
		return bad("is empty")
	}
	if len(s) < 2 || (s[0] != 'S' && s[0] != 's') || s[1] != '-' {
		return bad(`does not start with "S-"`)
	}
	// Count before splitting so that a hostile string cannot make us
	// allocate one part per dash.
	if n := strings.Count(s, "-") - 2; n > maxSubAuthorities {
		return bad("has %d sub-authorities; at most %d are allowed", n, maxSubAuthorities)
	}
	parts := strings.Split(s[2:], "-")
	if parts[0] != "1" {
		return bad("revision %q is not 1", parts[0])
	}
	if len(parts) < 2 {
		return bad("has no identifier authority")
	}
	var sid SID
	auth := parts[1]
	switch {
	case strings.HasPrefix(auth, "0x") || strings.HasPrefix(auth, "0X"):
		digits := auth[2:]
		if len(digits) != 12 {
			return bad("identifier authority %q must have exactly 12 hexadecimal digits after 0x", auth)
		}
		for i := 0; i < 12; i++ {
			d, ok := fromHex(digits[i])
			if !ok {
				return bad("identifier authority %q is not hexadecimal", auth)
			}
			sid.Authority = sid.Authority<<4 | uint64(d)
		}
	default:
		v, reason := parseDecimal32(auth)
		if reason != "" {
			if reason == reasonTooBig {
				return bad("identifier authority %q is 2^32 or more; write it as 0x followed by 12 hexadecimal digits", auth)
			}
			return bad("identifier authority %q %s", auth, reason)
		}
		sid.Authority = uint64(v)
	}
	if n := len(parts) - 2; n > 0 {
		sid.SubAuthorities = make([]uint32, n)
	}
	for i, p := range parts[2:] {
		v, reason := parseDecimal32(p)
		if reason != "" {
			return bad("sub-authority %d %q %s", i+1, p, reason)
		}
		sid.SubAuthorities[i] = v
	}
	return sid, nil
}

const reasonTooBig = "does not fit in 32 bits"

// parseDecimal32 parses 1 to 10 decimal digits (the ABNF's 1*10DIGIT) into a
// uint32; on failure it returns a reason to complete an error message.
func parseDecimal32(s string) (uint32, string) {
	if s == "" {
		return 0, "is empty"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, "is not a decimal number"
		}
	}
	if len(s) > 10 {
		return 0, reasonTooBig
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, reasonTooBig
	}
	return uint32(v), ""
}

// ReadSID reads the binary form of a SID ([MS-DTYP] 2.4.2.2) at the start of
// b and returns it with the number of bytes it occupies; bytes after it are
// left alone. Security descriptors and ACEs embed SIDs this way.
func ReadSID(b []byte) (SID, int, error) {
	if len(b) < sidHeaderLen {
		return SID{}, 0, newError("SID", hexValue(b), "is %d bytes; a SID needs at least %d", len(b), sidHeaderLen)
	}
	if b[0] != 1 {
		return SID{}, 0, newError("SID", hexValue(b), "revision %d is not 1", b[0])
	}
	n := int(b[1])
	if n > maxSubAuthorities {
		return SID{}, 0, newError("SID", hexValue(b), "has %d sub-authorities; at most %d are allowed", n, maxSubAuthorities)
	}
	size := sidHeaderLen + 4*n
	if len(b) < size {
		return SID{}, 0, newError("SID", hexValue(b), "is %d bytes; %d sub-authorities need %d", len(b), n, size)
	}
	var sid SID
	for _, c := range b[2:8] {
		sid.Authority = sid.Authority<<8 | uint64(c)
	}
	if n > 0 {
		sid.SubAuthorities = make([]uint32, n)
		for i := range sid.SubAuthorities {
			sid.SubAuthorities[i] = binary.LittleEndian.Uint32(b[sidHeaderLen+4*i:])
		}
	}
	return sid, size, nil
}

// SIDFromBytes parses the binary form of a SID ([MS-DTYP] 2.4.2.2), which
// must fill b exactly (an objectSid attribute value, for example).
func SIDFromBytes(b []byte) (SID, error) {
	sid, n, err := ReadSID(b)
	if err != nil {
		return SID{}, err
	}
	if n != len(b) {
		return SID{}, newError("SID", hexValue(b), "is %d bytes, but its %d sub-authorities make %d", len(b), len(sid.SubAuthorities), n)
	}
	return sid, nil
}

// Bytes returns the binary form of s, [MS-DTYP] 2.4.2.2: revision 1, the
// sub-authority count, the authority as 6 big-endian bytes, then each
// sub-authority as a little-endian uint32.
func (s SID) Bytes() []byte {
	return s.appendBinary(make([]byte, 0, s.binaryLen()))
}

func (s SID) binaryLen() int { return sidHeaderLen + 4*len(s.SubAuthorities) }

func (s SID) appendBinary(b []byte) []byte {
	b = append(b, 1, byte(len(s.SubAuthorities)))
	for shift := 40; shift >= 0; shift -= 8 {
		b = append(b, byte(s.Authority>>shift))
	}
	for _, v := range s.SubAuthorities {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// String returns the string form of s, [MS-DTYP] 2.4.2.1: the authority in
// decimal below 2^32 and as 0x and 12 uppercase hexadecimal digits above.
func (s SID) String() string {
	b := make([]byte, 0, 16+11*len(s.SubAuthorities))
	b = append(b, "S-1-"...)
	if s.Authority < 1<<32 {
		b = strconv.AppendUint(b, s.Authority, 10)
	} else {
		b = fmt.Appendf(b, "0x%012X", s.Authority)
	}
	for _, v := range s.SubAuthorities {
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return string(b)
}

// Equal reports whether s and o are the same SID.
func (s SID) Equal(o SID) bool {
	return s.Authority == o.Authority && slices.Equal(s.SubAuthorities, o.SubAuthorities)
}

// IsZero reports whether s is the zero SID{}, which is also S-1-0 (the null
// authority with no sub-authorities, a SID nothing uses).
func (s SID) IsZero() bool { return s.Authority == 0 && len(s.SubAuthorities) == 0 }

// RID returns the last sub-authority: the relative identifier of an account
// SID. It returns false when s has no sub-authorities.
func (s SID) RID() (uint32, bool) {
	if len(s.SubAuthorities) == 0 {
		return 0, false
	}
	return s.SubAuthorities[len(s.SubAuthorities)-1], true
}

// Prefix returns s without its last sub-authority: the domain SID of an
// account SID. It returns false when s has no sub-authorities.
func (s SID) Prefix() (SID, bool) {
	if len(s.SubAuthorities) == 0 {
		return SID{}, false
	}
	return SID{Authority: s.Authority, SubAuthorities: cloneSubAuthorities(s.SubAuthorities[:len(s.SubAuthorities)-1])}, true
}

// WithRID returns s with rid appended as a new last sub-authority: the
// account SID for rid in the domain s. The result has more than 15
// sub-authorities, and is invalid, if s already has 15.
func (s SID) WithRID(rid uint32) SID {
	subs := make([]uint32, len(s.SubAuthorities), len(s.SubAuthorities)+1)
	copy(subs, s.SubAuthorities)
	return SID{Authority: s.Authority, SubAuthorities: append(subs, rid)}
}

// IsDomain reports whether s has the shape of an AD domain SID:
// S-1-5-21-x-y-z.
func (s SID) IsDomain() bool {
	return s.Authority == 5 && len(s.SubAuthorities) == 4 && s.SubAuthorities[0] == 21
}

// IsDomainAccount reports whether s has the shape of an account (or group)
// SID in an AD domain: S-1-5-21-x-y-z-RID. Callers use it to warn when a
// field that wants a domain SID holds an account SID instead.
func (s SID) IsDomainAccount() bool {
	return s.Authority == 5 && len(s.SubAuthorities) == 5 && s.SubAuthorities[0] == 21
}

// MarshalText implements encoding.TextMarshaler with [SID.String].
func (s SID) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseSID].
func (s *SID) UnmarshalText(text []byte) error {
	v, err := ParseSID(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// cloneSubAuthorities copies subs, returning nil for an empty slice so that
// equal SIDs compare equal with reflect.DeepEqual.
func cloneSubAuthorities(subs []uint32) []uint32 {
	if len(subs) == 0 {
		return nil
	}
	return slices.Clone(subs)
}
