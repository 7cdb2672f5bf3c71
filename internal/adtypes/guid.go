package adtypes

import "encoding/hex"

// GUID is a GUID in its [MS-DTYP] 2.3.4.2 binary layout: Data1 (uint32,
// little-endian), Data2 (uint16, little-endian), Data3 (uint16,
// little-endian), then the 8 bytes of Data4 in order — exactly as AD stores
// objectGUID and as key envelopes carry root key IDs. The string form
// ([MS-DTYP] 2.3.4.3) writes Data1..Data3 most significant digit first, so
// "0170e972-a035-af4c-993b-e052d5bd1216" is the bytes 72e97001 35a0 4caf
// 993be052d5bd1216.
//
// GUID implements encoding.TextMarshaler and encoding.TextUnmarshaler with the
// string form, so it appears in JSON as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
type GUID [16]byte

// guidTextOrder lists, for each byte of the string form in reading order,
// which byte of the binary layout it is: Data1..Data3 are reversed
// (little-endian), Data4 is not.
var guidTextOrder = [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}

// ParseGUID parses the [MS-DTYP] 2.3.4.3 string form
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", in any letter case, optionally
// wrapped in braces as Windows tools print it. Nothing else is accepted: no
// "urn:uuid:" prefix, no missing dashes, no surrounding space.
func ParseGUID(s string) (GUID, error) {
	t := s
	if len(s) == 38 {
		if s[0] != '{' || s[37] != '}' {
			return GUID{}, newError("GUID", s, "is 38 characters but not wrapped in {}; want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
		}
		t = s[1:37]
	}
	if len(t) != 36 {
		return GUID{}, newError("GUID", s, "is %d characters; want 36 (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), optionally in {}", len(s))
	}
	offset := 0 // of t in s, for error positions
	if len(s) != len(t) {
		offset = 1
	}
	var text [16]byte
	n := 0
	for i := 0; i < 36; {
		switch i {
		case 8, 13, 18, 23:
			if t[i] != '-' {
				return GUID{}, newError("GUID", s, "character %d is %q; want '-'", i+offset+1, t[i])
			}
			i++
			continue
		}
		hi, ok1 := fromHex(t[i])
		lo, ok2 := fromHex(t[i+1])
		if !ok1 || !ok2 {
			bad := i
			if ok1 {
				bad = i + 1
			}
			return GUID{}, newError("GUID", s, "character %d %q is not a hexadecimal digit", bad+offset+1, t[bad])
		}
		text[n] = hi<<4 | lo
		n++
		i += 2
	}
	var g GUID
	for i, j := range guidTextOrder {
		g[j] = text[i]
	}
	return g, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// GUIDFromBytes returns the GUID whose binary layout is b, which must be
// exactly 16 bytes (an objectGUID attribute value, for example).
func GUIDFromBytes(b []byte) (GUID, error) {
	if len(b) != 16 {
		return GUID{}, newError("GUID", hexValue(b), "is %d bytes; want 16", len(b))
	}
	return GUID(b), nil
}

// String returns the GUID in its lowercase 36-character string form, without
// braces.
func (g GUID) String() string {
	var text [16]byte
	for i, j := range guidTextOrder {
		text[i] = g[j]
	}
	var b [36]byte
	hex.Encode(b[0:8], text[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], text[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], text[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], text[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], text[10:16])
	return string(b[:])
}

// IsZero reports whether g is the nil GUID 00000000-0000-0000-0000-000000000000.
func (g GUID) IsZero() bool { return g == GUID{} }

// MarshalText implements encoding.TextMarshaler with [GUID.String].
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseGUID].
func (g *GUID) UnmarshalText(text []byte) error {
	v, err := ParseGUID(string(text))
	if err != nil {
		return err
	}
	*g = v
	return nil
}
