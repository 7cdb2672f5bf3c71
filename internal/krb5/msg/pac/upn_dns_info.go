package pac

import (
	"encoding/binary"
	"math"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// UPNDNSInfo is UPN_DNS_INFO, [MS-PAC] 2.10: the client's user principal
// name and its domain's DNS name and, when Flags has UPNHasSAMNameAndSID
// (Windows and Samba since the November 2021 updates), its sAMAccountName
// and SID.
type UPNDNSInfo struct {
	UPN           string      // userPrincipalName, or sAMAccountName@dnsdomain with UPNConstructed
	DNSDomainName string      // the DNS name of the client's domain, as Windows writes it in upper case
	Flags         uint32      // UPN* bits
	SAMName       string      // with UPNHasSAMNameAndSID: the sAMAccountName
	SID           adtypes.SID // with UPNHasSAMNameAndSID: the account's objectSid
}

// UPN_DNS_INFO flags, [MS-PAC] 2.10.
const (
	UPNConstructed      uint32 = 0x1 // U: the account has no userPrincipalName; UPN was built from its sAMAccountName
	UPNHasSAMNameAndSID uint32 = 0x2 // S: SAMName and SID follow the DNS domain name
)

const (
	upnHeaderLen         = 12 // UpnLength, UpnOffset, DnsDomainNameLength, DnsDomainNameOffset, Flags
	upnExtendedHeaderLen = 20 // and SamNameLength, SamNameOffset, SidLength, SidOffset
)

func parseUPNDNSInfo(b []byte) (*UPNDNSInfo, *Error) {
	const name = "UPN_DNS_INFO"
	if len(b) < upnHeaderLen {
		return nil, malformed(name, "%d bytes; the header needs %d", len(b), upnHeaderLen)
	}
	u16 := func(i int) int { return int(binary.LittleEndian.Uint16(b[i:])) }
	u := &UPNDNSInfo{Flags: binary.LittleEndian.Uint32(b[8:])}
	hdr := upnHeaderLen
	if u.Flags&UPNHasSAMNameAndSID != 0 {
		hdr = upnExtendedHeaderLen
		if len(b) < hdr {
			return nil, malformed(name, "%d bytes; with the S flag the header needs %d", len(b), hdr)
		}
	}
	// part returns the bytes at an offset and length of the header, which
	// must lie after the header and inside the buffer.
	part := func(field string, length, off int) ([]byte, *Error) {
		if length == 0 {
			return nil, nil
		}
		if off < hdr || off+length > len(b) {
			return nil, malformed(name+"."+field+"Offset", "%d bytes at offset %d are not between the %d-byte header and the end of the %d-byte buffer", length, off, hdr, len(b))
		}
		return b[off : off+length], nil
	}
	text := func(field string, length, off int) (string, *Error) {
		if length%2 != 0 {
			return "", malformed(name+"."+field+"Length", "%d is odd; the name is UTF-16", length)
		}
		p, err := part(field, length, off)
		if err != nil {
			return "", err
		}
		return decodeUTF16(p), nil
	}
	var err *Error
	if u.UPN, err = text("Upn", u16(0), u16(2)); err != nil {
		return nil, err
	}
	if u.DNSDomainName, err = text("DnsDomainName", u16(4), u16(6)); err != nil {
		return nil, err
	}
	if hdr == upnExtendedHeaderLen {
		if u.SAMName, err = text("SamName", u16(12), u16(14)); err != nil {
			return nil, err
		}
		sid, err := part("Sid", u16(16), u16(18))
		if err != nil {
			return nil, err
		}
		if sid != nil {
			s, serr := adtypes.SIDFromBytes(sid)
			if serr != nil {
				return nil, malformed(name+".Sid", "%v", serr)
			}
			u.SID = s
		}
	}
	// Offsets are 16-bit: names placed anywhere (even overlapping) in a
	// larger buffer might not fit one after another, as Marshal writes them.
	if _, err := u.marshal(); err != nil {
		return nil, malformed(name, "the names do not fit one after another within 16-bit offsets")
	}
	return u, nil
}

// marshal lays the names out after the header, each at the next multiple
// of 8, in the order UPN, DNS domain name, SAM name, SID, and pads the
// buffer to a multiple of 8: what the Windows samples show for the UPN and
// DNS name, and what Samba's NDR rules (ALIGN8 throughout PAC_INFO) give
// for the SAM name and SID, for which no Windows sample was at hand.
func (u *UPNDNSInfo) marshal() ([]byte, *Error) {
	const name = "UPN_DNS_INFO"
	extended := u.Flags&UPNHasSAMNameAndSID != 0
	if !extended && (u.SAMName != "" || !u.SID.IsZero()) {
		return nil, errorf("marshal", name+".Flags", ErrMalformed, "SAMName or SID is set but the S flag (UPNHasSAMNameAndSID) is not")
	}
	var parts [][]byte
	for _, f := range []struct{ field, s string }{{"Upn", u.UPN}, {"DnsDomainName", u.DNSDomainName}, {"SamName", u.SAMName}} {
		p, err := utf16Field("marshal", name+"."+f.field, f.s, math.MaxUint16-1)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	hdr := upnHeaderLen
	if extended {
		if len(u.SID.SubAuthorities) > 15 {
			return nil, errorf("marshal", name+".Sid", ErrMalformed, "%s has %d sub-authorities; at most 15 are allowed", u.SID, len(u.SID.SubAuthorities))
		}
		var sid []byte
		if !u.SID.IsZero() {
			sid = u.SID.Bytes()
		}
		parts = append(parts, sid)
		hdr = upnExtendedHeaderLen
	} else {
		parts = parts[:2]
	}
	b := make([]byte, hdr)
	binary.LittleEndian.PutUint32(b[8:], u.Flags)
	lengthAt := [...]int{0, 4, 12, 16} // each Length, followed by its Offset
	for i, p := range parts {
		off := align(len(b), 8)
		if off+len(p) > math.MaxUint16 {
			return nil, errorf("marshal", name, ErrMalformed, "the names take more than the %d bytes 16-bit offsets reach", math.MaxUint16)
		}
		binary.LittleEndian.PutUint16(b[lengthAt[i]:], uint16(len(p)))
		binary.LittleEndian.PutUint16(b[lengthAt[i]+2:], uint16(off))
		b = append(b, make([]byte, off-len(b))...)
		b = append(b, p...)
	}
	return append(b, make([]byte, align(len(b), 8)-len(b))...), nil
}
