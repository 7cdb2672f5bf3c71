package pac

import (
	"encoding/binary"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// AttributesInfo is PAC_ATTRIBUTES_INFO, [MS-PAC] 2.14: how the client came
// to have a PAC. Windows since its November 2021 updates (CVE-2021-42287)
// and Samba since its own of that month put it in TGT PACs, with
// FlagsLength 2.
type AttributesInfo struct {
	FlagsLength uint32 // how many bits of Flags are defined; 2 today, at most 32 here
	Flags       uint32 // Attribute* bits
}

// PAC_ATTRIBUTES_INFO flags, [MS-PAC] 2.14.
const (
	AttributePACWasRequested       uint32 = 0x1 // the client asked for a PAC (PA-PAC-REQUEST include-pac true)
	AttributePACWasGivenImplicitly uint32 = 0x2 // the client did not ask either way
)

func parseAttributesInfo(b []byte) (*AttributesInfo, *Error) {
	const name = "PAC_ATTRIBUTES_INFO"
	if len(b) < 4 {
		return nil, malformed(name, "%d bytes; FlagsLength needs 4", len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if n > 32 {
		return nil, errorf("parse", name+".FlagsLength", ErrUnsupported, "%d flag bits; this package reads at most 32", n)
	}
	words := int(n+31) / 32
	if len(b) != 4+4*words {
		return nil, malformed(name+".Flags", "%d bits of flags take %d bytes, but %d follow", n, 4*words, len(b)-4)
	}
	a := &AttributesInfo{FlagsLength: n}
	if words == 1 {
		a.Flags = binary.LittleEndian.Uint32(b[4:])
	}
	return a, nil
}

func (a *AttributesInfo) marshal() ([]byte, *Error) {
	const name = "PAC_ATTRIBUTES_INFO"
	switch {
	case a.FlagsLength > 32:
		return nil, errorf("marshal", name+".FlagsLength", ErrUnsupported, "%d flag bits; this package writes at most 32", a.FlagsLength)
	case a.FlagsLength == 0 && a.Flags != 0:
		return nil, errorf("marshal", name+".Flags", ErrMalformed, "%#x with FlagsLength 0", a.Flags)
	}
	b := binary.LittleEndian.AppendUint32(nil, a.FlagsLength)
	if a.FlagsLength > 0 {
		b = binary.LittleEndian.AppendUint32(b, a.Flags)
	}
	return b, nil
}

// PAC_REQUESTOR, [MS-PAC] 2.15, is the binary SID of the client the TGT was
// issued to, so that a KDC can tell that a TGT presented under one name was
// issued to another (CVE-2021-42287).
func parseRequestor(b []byte) (adtypes.SID, *Error) {
	s, err := adtypes.SIDFromBytes(b)
	if err != nil {
		return adtypes.SID{}, malformed("PAC_REQUESTOR.Sid", "%v", err)
	}
	return s, nil
}

func marshalRequestor(s adtypes.SID) ([]byte, *Error) {
	if len(s.SubAuthorities) > 15 || s.Authority >= 1<<48 {
		return nil, errorf("marshal", "PAC_REQUESTOR.Sid", ErrMalformed, "%s is not a valid SID", s)
	}
	return s.Bytes(), nil
}
