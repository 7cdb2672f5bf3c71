package pac

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// PAC is a Privilege Attribute Certificate: PACTYPE, [MS-PAC] 2.3, with the
// buffers this package understands decoded.
//
// Buffers lists every buffer in wire order with its bytes. For the buffer
// types this package decodes (logon info, client info, UPN and DNS info,
// attributes, requestor, server and KDC signatures) the typed field is
// authoritative: [PAC.Marshal] encodes it in place of that buffer's Data,
// drops the buffer when the field is nil, and inserts a buffer for a
// non-nil field that Buffers lacks, at the place Windows puts that type.
// Every other buffer (credentials, delegation info, claims, device info,
// and the ticket and full-PAC signatures) is kept as bytes and written
// back unchanged.
type PAC struct {
	Buffers []Buffer

	LogonInfo       *LogonInfo      // KERB_VALIDATION_INFO, type 1
	ClientInfo      *ClientInfo     // PAC_CLIENT_INFO, type 10
	UPNDNSInfo      *UPNDNSInfo     // UPN_DNS_INFO, type 12
	AttributesInfo  *AttributesInfo // PAC_ATTRIBUTES_INFO, type 17
	Requestor       *adtypes.SID    // PAC_REQUESTOR, type 18: the SID of the client that asked for the TGT
	ServerSignature *Signature      // PAC_SIGNATURE_DATA, type 6, keyed with the service's key
	KDCSignature    *Signature      // PAC_SIGNATURE_DATA, type 7, keyed with the krbtgt key
}

// Buffer is one PAC_INFO_BUFFER ([MS-PAC] 2.4) and the bytes it points to.
type Buffer struct {
	Type BufferType
	Data []byte
}

// BufferType is PAC_INFO_BUFFER.ulType, [MS-PAC] 2.4.
type BufferType uint32

// The buffer types of [MS-PAC] 2.4.
const (
	BufferLogonInfo        BufferType = 1  // KERB_VALIDATION_INFO, decoded
	BufferCredentialInfo   BufferType = 2  // PAC_CREDENTIAL_INFO (PKINIT), kept as bytes
	BufferServerSignature  BufferType = 6  // PAC_SIGNATURE_DATA, decoded
	BufferKDCSignature     BufferType = 7  // PAC_SIGNATURE_DATA, decoded
	BufferClientInfo       BufferType = 10 // PAC_CLIENT_INFO, decoded
	BufferDelegationInfo   BufferType = 11 // S4U_DELEGATION_INFO, kept as bytes
	BufferUPNDNSInfo       BufferType = 12 // UPN_DNS_INFO, decoded
	BufferClientClaims     BufferType = 13 // PAC_CLIENT_CLAIMS_INFO, kept as bytes
	BufferDeviceInfo       BufferType = 14 // PAC_DEVICE_INFO, kept as bytes
	BufferDeviceClaims     BufferType = 15 // PAC_DEVICE_CLAIMS_INFO, kept as bytes
	BufferTicketSignature  BufferType = 16 // ticket signature (PAC_SIGNATURE_DATA), kept as bytes
	BufferAttributesInfo   BufferType = 17 // PAC_ATTRIBUTES_INFO, decoded
	BufferRequestor        BufferType = 18 // PAC_REQUESTOR, decoded
	BufferFullPACSignature BufferType = 19 // extended KDC (full PAC) signature, kept as bytes
)

var bufferTypeNames = map[BufferType]string{
	BufferLogonInfo:        "logon info",
	BufferCredentialInfo:   "credential info",
	BufferServerSignature:  "server signature",
	BufferKDCSignature:     "KDC signature",
	BufferClientInfo:       "client info",
	BufferDelegationInfo:   "delegation info",
	BufferUPNDNSInfo:       "UPN DNS info",
	BufferClientClaims:     "client claims",
	BufferDeviceInfo:       "device info",
	BufferDeviceClaims:     "device claims",
	BufferTicketSignature:  "ticket signature",
	BufferAttributesInfo:   "attributes info",
	BufferRequestor:        "requestor",
	BufferFullPACSignature: "full PAC signature",
}

// String names t ("logon info") or gives its number ("type 42").
func (t BufferType) String() string {
	if s, ok := bufferTypeNames[t]; ok {
		return s
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}

// canonicalOrder is where Windows puts each buffer type it writes; Marshal
// inserts a typed buffer missing from Buffers before the first buffer that
// comes later in this order. Types not listed go before the signatures.
var canonicalOrder = []BufferType{
	BufferLogonInfo, BufferCredentialInfo, BufferClientInfo, BufferDelegationInfo, BufferUPNDNSInfo,
	BufferClientClaims, BufferDeviceInfo, BufferDeviceClaims, BufferAttributesInfo, BufferRequestor,
	BufferServerSignature, BufferKDCSignature, BufferTicketSignature, BufferFullPACSignature,
}

func rank(t BufferType) int {
	if i := slices.Index(canonicalOrder, t); i >= 0 {
		if i >= slices.Index(canonicalOrder, BufferServerSignature) {
			return i + 1
		}
		return i
	}
	return slices.Index(canonicalOrder, BufferServerSignature) // after the data buffers, before the signatures
}

// decodedTypes are the buffer types with a typed field, in canonical order.
var decodedTypes = []BufferType{BufferLogonInfo, BufferClientInfo, BufferUPNDNSInfo, BufferAttributesInfo, BufferRequestor, BufferServerSignature, BufferKDCSignature}

func decoded(t BufferType) bool { return slices.Contains(decodedTypes, t) }

const (
	pacHeaderLen  = 8  // cBuffers, Version
	infoBufferLen = 16 // ulType, cbBufferSize, Offset
	pacAlignment  = 8  // every buffer starts on a multiple of 8, [MS-PAC] 2.4
)

// frameBuffer is a PAC_INFO_BUFFER as read: where its bytes are.
type frameBuffer struct {
	Type   BufferType
	Offset int
	Data   []byte // a slice of the PAC, not a copy
}

// parseFrame reads PACTYPE and its PAC_INFO_BUFFERs ([MS-PAC] 2.3, 2.4),
// checking that the version is 0 and that every buffer starts on a
// multiple of 8 after the header and ends inside the PAC.
func parseFrame(b []byte) ([]frameBuffer, *Error) {
	if len(b) < pacHeaderLen {
		return nil, malformed("PACTYPE", "%d bytes; the header needs %d", len(b), pacHeaderLen)
	}
	n := binary.LittleEndian.Uint32(b)
	if v := binary.LittleEndian.Uint32(b[4:]); v != 0 {
		return nil, errorf("parse", "PACTYPE.Version", ErrUnsupported, "version %d is not 0", v)
	}
	end := pacHeaderLen + infoBufferLen*uint64(n)
	if end > uint64(len(b)) {
		return nil, malformed("PACTYPE.cBuffers", "%d buffers need a %d-byte header; the PAC is %d bytes", n, end, len(b))
	}
	bufs := make([]frameBuffer, n)
	for i := range bufs {
		h := b[pacHeaderLen+infoBufferLen*i:]
		typ := BufferType(binary.LittleEndian.Uint32(h))
		size := uint64(binary.LittleEndian.Uint32(h[4:]))
		off := binary.LittleEndian.Uint64(h[8:])
		field := fmt.Sprintf("PAC_INFO_BUFFER[%d]", i)
		switch {
		case off%pacAlignment != 0:
			return nil, malformed(field+".Offset", "%#x is not a multiple of 8", off)
		case off < end:
			return nil, malformed(field+".Offset", "%#x points into the %d-byte header", off, end)
		case off > uint64(len(b)) || size > uint64(len(b))-off:
			return nil, malformed(field+".cbBufferSize", "%d bytes at offset %#x run past the end of the %d-byte PAC", size, off, len(b))
		}
		bufs[i] = frameBuffer{Type: typ, Offset: int(off), Data: b[off : off+size]}
	}
	return bufs, nil
}

// Parse decodes a PAC (the ad-data of an AD-WIN2K-PAC element). It decodes
// the buffer types listed on [PAC] and keeps every buffer's bytes in
// Buffers. A second buffer of a decoded type is an error rather than
// something to ignore: two logon infos are ambiguous, and ambiguity in
// authorization data is how attacks start. Parse checks structure only;
// check the signatures with [Verify] and [VerifyKDC].
//
// The result shares no memory with b.
func Parse(b []byte) (*PAC, error) {
	p, err := parse(b)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parse(b []byte) (*PAC, *Error) {
	frame, err := parseFrame(b)
	if err != nil {
		return nil, err
	}
	p := &PAC{Buffers: make([]Buffer, len(frame))}
	seen := map[BufferType]int{}
	for i, f := range frame {
		p.Buffers[i] = Buffer{Type: f.Type, Data: slices.Clone(f.Data)}
		if !decoded(f.Type) {
			continue
		}
		if j, dup := seen[f.Type]; dup {
			return nil, malformed(fmt.Sprintf("PAC_INFO_BUFFER[%d].ulType", i), "a second %s buffer (the first is buffer %d)", f.Type, j)
		}
		seen[f.Type] = i
		var err *Error
		switch f.Type {
		case BufferLogonInfo:
			p.LogonInfo, err = parseLogonInfo(f.Data)
		case BufferClientInfo:
			p.ClientInfo, err = parseClientInfo(f.Data)
		case BufferUPNDNSInfo:
			p.UPNDNSInfo, err = parseUPNDNSInfo(f.Data)
		case BufferAttributesInfo:
			p.AttributesInfo, err = parseAttributesInfo(f.Data)
		case BufferRequestor:
			var s adtypes.SID
			s, err = parseRequestor(f.Data)
			p.Requestor = &s
		case BufferServerSignature:
			p.ServerSignature, err = parseSignature(f.Data, "PAC_SIGNATURE_DATA(server)")
		case BufferKDCSignature:
			p.KDCSignature, err = parseSignature(f.Data, "PAC_SIGNATURE_DATA(KDC)")
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// encodeTyped encodes the typed field for t; ok is false when it is nil.
func (p *PAC) encodeTyped(t BufferType) (data []byte, ok bool, err *Error) {
	switch t {
	case BufferLogonInfo:
		if p.LogonInfo == nil {
			return nil, false, nil
		}
		data, err = p.LogonInfo.marshal()
	case BufferClientInfo:
		if p.ClientInfo == nil {
			return nil, false, nil
		}
		data, err = p.ClientInfo.marshal()
	case BufferUPNDNSInfo:
		if p.UPNDNSInfo == nil {
			return nil, false, nil
		}
		data, err = p.UPNDNSInfo.marshal()
	case BufferAttributesInfo:
		if p.AttributesInfo == nil {
			return nil, false, nil
		}
		data, err = p.AttributesInfo.marshal()
	case BufferRequestor:
		if p.Requestor == nil {
			return nil, false, nil
		}
		data, err = marshalRequestor(*p.Requestor)
	case BufferServerSignature:
		if p.ServerSignature == nil {
			return nil, false, nil
		}
		data, err = p.ServerSignature.marshal("PAC_SIGNATURE_DATA(server)")
	case BufferKDCSignature:
		if p.KDCSignature == nil {
			return nil, false, nil
		}
		data, err = p.KDCSignature.marshal("PAC_SIGNATURE_DATA(KDC)")
	}
	return data, err == nil, err
}

// Marshal encodes p as Windows lays a PAC out: PACTYPE, the
// PAC_INFO_BUFFERs, then each buffer's bytes at the next multiple of 8,
// zero-padded, the whole PAC padded to a multiple of 8. See [PAC] for how
// Buffers and the typed fields combine. Signatures are written as they are
// in p; [PAC.Sign] computes them.
func (p *PAC) Marshal() ([]byte, error) {
	b, _, err := p.marshal()
	if err != nil {
		return nil, err
	}
	return b, nil
}

// marshal also returns each written buffer's type and offset, so that Sign
// can find the signatures.
func (p *PAC) marshal() ([]byte, []frameBuffer, *Error) {
	var out []Buffer
	used := map[BufferType]int{}
	for i, b := range p.Buffers {
		if !decoded(b.Type) {
			out = append(out, b)
			continue
		}
		if j, dup := used[b.Type]; dup {
			return nil, nil, errorf("marshal", fmt.Sprintf("Buffers[%d]", i), ErrMalformed, "a second %s buffer (the first is Buffers[%d])", b.Type, j)
		}
		used[b.Type] = i
		data, ok, err := p.encodeTyped(b.Type)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out = append(out, Buffer{Type: b.Type, Data: data})
		}
	}
	for _, t := range decodedTypes {
		if _, ok := used[t]; ok {
			continue
		}
		data, ok, err := p.encodeTyped(t)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		at := len(out)
		for i, b := range out {
			if rank(b.Type) > rank(t) {
				at = i
				break
			}
		}
		out = slices.Insert(out, at, Buffer{Type: t, Data: data})
	}

	hdr := pacHeaderLen + infoBufferLen*len(out)
	size := align(hdr, pacAlignment)
	layout := make([]frameBuffer, len(out))
	for i, b := range out {
		if uint64(len(b.Data)) > math.MaxUint32 {
			return nil, nil, errorf("marshal", fmt.Sprintf("Buffers[%d]", i), ErrMalformed, "%d bytes do not fit a PAC_INFO_BUFFER", len(b.Data))
		}
		layout[i] = frameBuffer{Type: b.Type, Offset: size, Data: b.Data}
		size = align(size+len(b.Data), pacAlignment)
	}
	buf := make([]byte, size)
	binary.LittleEndian.PutUint32(buf, uint32(len(out)))
	for i, l := range layout {
		h := buf[pacHeaderLen+infoBufferLen*i:]
		binary.LittleEndian.PutUint32(h, uint32(l.Type))
		binary.LittleEndian.PutUint32(h[4:], uint32(len(l.Data)))
		binary.LittleEndian.PutUint64(h[8:], uint64(l.Offset))
		copy(buf[l.Offset:], l.Data)
	}
	return buf, layout, nil
}
