package gkdi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf16"
)

// KdfParameters is the [MS-GKDI] 2.2.1 structure stored in msKds-KDFParam:
// u32 0 | u32 1 | u32 length of the hash name in bytes (with its UTF-16 NUL) |
// u32 0 | the hash name, UTF-16LE, NUL-terminated.

// MarshalKDFParameters encodes the KdfParameters blob that names h.
func MarshalKDFParameters(h Hash) []byte {
	name := utf16z(h.String())
	b := make([]byte, 0, 16+len(name))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, name...)
}

// ParseKDFParameters decodes msKds-KDFParam. An empty (absent) value means
// [DefaultHash]. The hash name is compared exactly, as Samba does.
func ParseKDFParameters(b []byte) (Hash, error) {
	if len(b) == 0 {
		return DefaultHash, nil
	}
	const field = "KdfParameters"
	if len(b) < 16 {
		return 0, errorf(ErrMalformed, field, hexValue(b), "shorter than its 16-byte header")
	}
	if r0, r1, r3 := le32(b, 0), le32(b, 4), le32(b, 12); r0 != 0 || r1 != 1 || r3 != 0 {
		return 0, errorf(ErrMalformed, field, hexValue(b), "header must be 0, 1, length, 0")
	}
	n := le32(b, 8)
	if uint64(n) != uint64(len(b)-16) {
		return 0, errorf(ErrMalformed, field+".HashNameLength", strconv.FormatUint(uint64(n), 10), "does not match the %d bytes that follow the header", len(b)-16)
	}
	name, err := utf16zString(b[16:], field+".HashName")
	if err != nil {
		return 0, err
	}
	for h, hn := range hashNames {
		if name == hn {
			return h, nil
		}
	}
	return 0, errorf(ErrNotSupported, field+".HashName", quote(name), "unknown hash (want SHA1, SHA256, SHA384 or SHA512)")
}

// FfcDHParameters is the [MS-GKDI] 2.2.2 structure stored in
// msKds-SecretAgreementParam for the "DH" algorithm. gMSA passwords do not use
// it; it is carried so that root keys can be created exactly as Windows does.
type FfcDHParameters struct {
	FieldOrder *big.Int // p
	Generator  *big.Int // g
	KeyLength  int      // bytes of p and g (256 for the RFC 5114 2048-bit group)
}

// ffcMagic is "DHPM".
var ffcMagic = []byte("DHPM")

// Marshal encodes the parameters: u32 length (12 + 2·KeyLength) | "DHPM" |
// u32 KeyLength | p | g, with p and g big-endian and left-padded.
func (p *FfcDHParameters) Marshal() ([]byte, error) {
	k := p.KeyLength
	if k <= 0 || p.FieldOrder == nil || p.Generator == nil || p.FieldOrder.Sign() < 0 || p.Generator.Sign() < 0 ||
		len(p.FieldOrder.Bytes()) > k || len(p.Generator.Bytes()) > k {
		return nil, errorf(ErrInvalidParameter, "FfcDhParameters.KeyLength", strconv.Itoa(k), "p and g must be non-negative and fit in KeyLength bytes")
	}
	b := make([]byte, 12+2*k)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	copy(b[4:], ffcMagic)
	binary.LittleEndian.PutUint32(b[8:], uint32(k))
	p.FieldOrder.FillBytes(b[12 : 12+k])
	p.Generator.FillBytes(b[12+k:])
	return b, nil
}

// ParseFfcDHParameters decodes msKds-SecretAgreementParam.
func ParseFfcDHParameters(b []byte) (*FfcDHParameters, error) {
	const field = "FfcDhParameters"
	if len(b) < 12 {
		return nil, errorf(ErrMalformed, field, hexValue(b), "shorter than its 12-byte header")
	}
	if !bytes.Equal(b[4:8], ffcMagic) {
		return nil, errorf(ErrMalformed, field+".Magic", fmt.Sprintf("%x", b[4:8]), `want "DHPM"`)
	}
	length, k := le32(b, 0), le32(b, 8)
	if uint64(length) != uint64(len(b)) {
		return nil, errorf(ErrMalformed, field+".Length", strconv.FormatUint(uint64(length), 10), "structure is %d bytes", len(b))
	}
	if k == 0 || uint64(12)+2*uint64(k) != uint64(len(b)) {
		return nil, errorf(ErrMalformed, field+".KeyLength", strconv.FormatUint(uint64(k), 10), "want (Length − 12) / 2 = %d", (len(b)-12)/2)
	}
	return &FfcDHParameters{
		KeyLength:  int(k),
		FieldOrder: new(big.Int).SetBytes(b[12 : 12+k]),
		Generator:  new(big.Int).SetBytes(b[12+k:]),
	}, nil
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// utf16z encodes s as UTF-16LE with a terminating NUL unit.
func utf16z(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units)+2)
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// utf16zString decodes a UTF-16LE string that must end in exactly one NUL
// unit (the lengths in these structures count it).
func utf16zString(b []byte, field string) (string, error) {
	if len(b) < 2 || len(b)%2 != 0 {
		return "", errorf(ErrMalformed, field, hexValue(b), "not a NUL-terminated UTF-16 string (odd or zero length)")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	last := len(units) - 1
	if units[last] != 0 {
		return "", errorf(ErrMalformed, field, hexValue(b), "missing the terminating UTF-16 NUL")
	}
	for _, u := range units[:last] {
		if u == 0 {
			return "", errorf(ErrMalformed, field, hexValue(b), "embedded UTF-16 NUL")
		}
	}
	str := string(utf16.Decode(units[:last]))
	if len(utf16.Encode([]rune(str))) != last || !equalUnits(utf16.Encode([]rune(str)), units[:last]) {
		return "", errorf(ErrMalformed, field, hexValue(b), "invalid UTF-16 (unpaired surrogate)")
	}
	return str, nil
}

func equalUnits(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func quote(s string) string { return strconv.Quote(s) }
