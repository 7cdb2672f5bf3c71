package gssapi

import (
	"encoding/binary"
	"strconv"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// ChecksumTypeGSS is the authenticator checksum type of RFC 4121 §4.1.1.
const ChecksumTypeGSS crypto.ChecksumType = 0x8003

// Flags are the context flags of RFC 2744 §5.19 that the 0x8003 checksum
// carries (RFC 4121 §4.1.1.1). Delegation is never requested by this
// package and is ignored when offered.
type Flags uint32

// Context flags.
const (
	FlagDeleg    Flags = 1
	FlagMutual   Flags = 2
	FlagReplay   Flags = 4
	FlagSequence Flags = 8
	FlagConf     Flags = 16
	FlagInteg    Flags = 32
)

// supportedFlags are those a context can honour.
const supportedFlags = FlagMutual | FlagReplay | FlagSequence | FlagConf | FlagInteg

func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	names := []string{"deleg", "mutual", "replay", "sequence", "conf", "integ"}
	s := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	if rest := f &^ 63; rest != 0 {
		if s != "" {
			s += "|"
		}
		s += "0x" + strconv.FormatUint(uint64(rest), 16)
	}
	return s
}

// checkKeyType refuses keys whose enctype has no RFC 4121 token format
// here: the AES types of RFC 3962 and RFC 8009 only.
func checkKeyType(op, what string, k crypto.Key) error {
	switch k.Type {
	case crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA384192:
		return nil
	}
	return errorf(op, ErrUnsupported, "%s is %v; only the AES encryption types are supported", what, k.Type)
}

// authChecksum is the value of the 0x8003 checksum, RFC 4121 §4.1.1:
// Lgth (16, little-endian), Bnd, Flags (little-endian), then with
// FlagDeleg a KRB-CRED this package does not send or read.
type authChecksum struct {
	Bnd   [16]byte
	Flags Flags
}

func (c authChecksum) marshal() []byte {
	b := make([]byte, 0, 24)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = append(b, c.Bnd[:]...)
	return binary.LittleEndian.AppendUint32(b, uint32(c.Flags))
}

func parseAuthChecksum(v []byte) (authChecksum, error) {
	const op = "accept"
	if len(v) < 24 {
		return authChecksum{}, errorf(op, ErrMalformed, "0x8003 checksum is %d bytes, want at least 24", len(v))
	}
	if l := binary.LittleEndian.Uint32(v); l != 16 {
		return authChecksum{}, errorf(op, ErrMalformed, "0x8003 checksum Lgth is %d, want 16", l)
	}
	var c authChecksum
	copy(c.Bnd[:], v[4:20])
	c.Flags = Flags(binary.LittleEndian.Uint32(v[20:24]))
	return c, nil
}
