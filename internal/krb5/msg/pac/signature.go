package pac

import (
	"encoding/binary"
	"slices"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Signature is PAC_SIGNATURE_DATA, [MS-PAC] 2.8: a keyed checksum and, in
// PACs a read-only domain controller signs, its RODCIdentifier.
type Signature struct {
	Type           crypto.ChecksumType // the checksum type of the key: crypto.HMACSHA196AES256, crypto.HMACMD5, …
	Value          []byte              // 12 bytes for hmac-sha1-96-aes128/256, 16 for hmac-md5
	RODCIdentifier uint16              // the RODC's krbtgt key version number's high 16 bits; 0 (and absent) from a writable DC
}

// signatureSize returns the checksum length of t, or false for a type this
// package cannot compute (and so cannot tell where an RODCIdentifier
// starts).
func signatureSize(t crypto.ChecksumType) (int, bool) {
	switch t {
	case crypto.HMACMD5:
		return 16, true
	case crypto.HMACSHA196AES128, crypto.HMACSHA196AES256:
		return 12, true
	case crypto.HMACSHA256128AES128:
		return 16, true
	case crypto.HMACSHA384192AES256:
		return 24, true
	}
	return 0, false
}

func parseSignature(b []byte, name string) (*Signature, *Error) {
	if len(b) < 4 {
		return nil, malformed(name, "%d bytes; SignatureType needs 4", len(b))
	}
	s := &Signature{Type: crypto.ChecksumType(int32(binary.LittleEndian.Uint32(b)))}
	rest := b[4:]
	n, known := signatureSize(s.Type)
	switch {
	case !known:
		s.Value = slices.Clone(rest)
	case len(rest) == n:
		s.Value = slices.Clone(rest)
	case len(rest) == n+2:
		s.Value = slices.Clone(rest[:n])
		s.RODCIdentifier = binary.LittleEndian.Uint16(rest[n:])
	default:
		return nil, malformed(name+".Signature", "%d bytes for %s; want %d, or %d with an RODCIdentifier", len(rest), s.Type, n, n+2)
	}
	return s, nil
}

func (s *Signature) marshal(name string) ([]byte, *Error) {
	n, known := signatureSize(s.Type)
	switch {
	case known && len(s.Value) != n:
		return nil, errorf("marshal", name+".Signature", ErrMalformed, "%d bytes for %s; want %d", len(s.Value), s.Type, n)
	case !known && s.RODCIdentifier != 0:
		return nil, errorf("marshal", name+".RODCIdentifier", ErrUnsupported, "cannot follow a signature of unknown type %s", s.Type)
	}
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(s.Value)+2), uint32(s.Type))
	b = append(b, s.Value...)
	if s.RODCIdentifier != 0 {
		b = binary.LittleEndian.AppendUint16(b, s.RODCIdentifier)
	}
	return b, nil
}
