package pac

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

const never adtypes.FileTime = 0x7fffffffffffffff

func mustSID(tb testing.TB, s string) adtypes.SID {
	tb.Helper()
	sid, err := adtypes.ParseSID(s)
	if err != nil {
		tb.Fatal(err)
	}
	return sid
}

var contosoSID = adtypes.SID{Authority: 5, SubAuthorities: []uint32{21, 1004336348, 1177238915, 682003330}}

// validLogonInfo is what a KDC would write for the gMSA WebApp01$ of
// CONTOSO: a computer-like account in Domain Computers, a member of one
// domain-local group (an extra SID with the resource attribute) and of a
// resource group of another domain.
func validLogonInfo() *LogonInfo {
	return &LogonInfo{
		LogonTime:          133497504000000000, // 2024-01-15T00:00:00Z
		LogoffTime:         never,
		KickOffTime:        never,
		PasswordLastSet:    133490592000000000,
		PasswordCanChange:  133491456000000000,
		PasswordMustChange: never,
		EffectiveName:      "WebApp01$",
		FullName:           "WebApp01",
		LogonCount:         12,
		UserID:             1105,
		PrimaryGroupID:     515,
		GroupIDs:           []GroupMembership{{RelativeID: 515, Attributes: 7}, {RelativeID: 1103, Attributes: 7}},
		UserFlags:          UserFlagExtraSIDs | UserFlagResourceGroups,
		LogonServer:        "DC1",
		LogonDomainName:    "CONTOSO",
		LogonDomainID:      contosoSID,
		UserAccountControl: 0x00000080, // USER_WORKSTATION_TRUST_ACCOUNT
		ExtraSIDs: []SIDAndAttributes{
			{SID: contosoSID.WithRID(1104), Attributes: GroupMandatory | GroupEnabledByDefault | GroupEnabled | GroupResource},
			{SID: adtypes.SID{Authority: 18, SubAuthorities: []uint32{1}}, Attributes: 7}, // Authentication authority asserted identity
		},
		ResourceGroupDomainID: adtypes.SID{Authority: 5, SubAuthorities: []uint32{21, 3062750306, 1230139592, 1973306805}},
		ResourceGroupIDs:      []GroupMembership{{RelativeID: 1107, Attributes: 0x20000007}},
	}
}

// validPAC is a whole PAC around validLogonInfo, with every buffer type
// this package decodes and zero signatures.
func validPAC() *PAC {
	user := contosoSID.WithRID(1105)
	return &PAC{
		LogonInfo:  validLogonInfo(),
		ClientInfo: &ClientInfo{ClientID: 133497504000000000, Name: "WebApp01$"},
		UPNDNSInfo: &UPNDNSInfo{
			UPN:           "WebApp01$@contoso.com",
			DNSDomainName: "CONTOSO.COM",
			Flags:         UPNConstructed | UPNHasSAMNameAndSID,
			SAMName:       "WebApp01$",
			SID:           user,
		},
		AttributesInfo:  &AttributesInfo{FlagsLength: 2, Flags: AttributePACWasRequested},
		Requestor:       &user,
		ServerSignature: &Signature{Type: crypto.HMACSHA196AES256, Value: make([]byte, 12)},
		KDCSignature:    &Signature{Type: crypto.HMACSHA196AES256, Value: make([]byte, 12)},
	}
}

func validPACBytes(tb testing.TB) []byte {
	tb.Helper()
	b, err := validPAC().Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// infoBuffer returns the header position of PAC_INFO_BUFFER i and the
// offset and size of its data.
func infoBuffer(b []byte, i int) (hdr, off, size int) {
	hdr = pacHeaderLen + infoBufferLen*i
	return hdr, int(binary.LittleEndian.Uint64(b[hdr+8:])), int(binary.LittleEndian.Uint32(b[hdr+4:]))
}

// bufferIndex returns the index of the first buffer of type t in b.
func bufferIndex(b []byte, t BufferType) int {
	for i := range int(binary.LittleEndian.Uint32(b)) {
		if BufferType(binary.LittleEndian.Uint32(b[pacHeaderLen+infoBufferLen*i:])) == t {
			return i
		}
	}
	panic("no buffer of type " + t.String())
}

// dataOf returns the data of the first buffer of type t in b (not a copy).
func dataOf(b []byte, t BufferType) []byte {
	_, off, size := infoBuffer(b, bufferIndex(b, t))
	return b[off : off+size]
}

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }

// parseErrorCases each change one thing in validPACBytes.
var parseErrorCases = []struct {
	name    string
	mutate  func(b []byte) []byte
	wantErr error
	wantMsg string
}{
	{"a PAC shorter than its header is malformed", func(b []byte) []byte { return b[:7] }, ErrMalformed, "PACTYPE"},
	{"a PACTYPE version other than 0 is unsupported", func(b []byte) []byte { put32(b, 4, 1); return b }, ErrUnsupported, "PACTYPE.Version"},
	{"a buffer count the header cannot hold is malformed", func(b []byte) []byte { put32(b, 0, 1<<28); return b }, ErrMalformed, "PACTYPE.cBuffers"},
	{"an offset that is not a multiple of 8 is malformed", func(b []byte) []byte {
		hdr, off, _ := infoBuffer(b, 1)
		put32(b, hdr+8, uint32(off+4))
		return b
	}, ErrMalformed, "PAC_INFO_BUFFER[1].Offset"},
	{"an offset into the PAC header is malformed", func(b []byte) []byte { put32(b, pacHeaderLen+8, 8); return b }, ErrMalformed, "points into"},
	{"a buffer that runs past the end is malformed", func(b []byte) []byte {
		hdr, _, _ := infoBuffer(b, 2)
		put32(b, hdr+4, uint32(len(b)))
		return b
	}, ErrMalformed, "PAC_INFO_BUFFER[2].cbBufferSize"},
	{"a second logon info buffer is malformed", func(b []byte) []byte {
		put32(b, pacHeaderLen+infoBufferLen*bufferIndex(b, BufferClientInfo), uint32(BufferLogonInfo))
		return b
	}, ErrMalformed, "a second logon info buffer"},
	{"big-endian NDR is unsupported", func(b []byte) []byte { dataOf(b, BufferLogonInfo)[1] = 0x00; return b }, ErrUnsupported, "little-endian"},
	{"an ObjectBufferLength longer than the logon info buffer is malformed", func(b []byte) []byte {
		put32(dataOf(b, BufferLogonInfo), 8, 1<<20)
		return b
	}, ErrMalformed, "KERB_VALIDATION_INFO private header"},
	{"an odd client name length is malformed", func(b []byte) []byte { put16(dataOf(b, BufferClientInfo), 8, 17); return b }, ErrMalformed, "PAC_CLIENT_INFO.NameLength"},
	{"a client name length that disagrees with the buffer is malformed", func(b []byte) []byte { put16(dataOf(b, BufferClientInfo), 8, 16); return b }, ErrMalformed, "PAC_CLIENT_INFO.NameLength"},
	{"a UPN that runs past its buffer is malformed", func(b []byte) []byte { put16(dataOf(b, BufferUPNDNSInfo), 2, 0xff00); return b }, ErrMalformed, "UPN_DNS_INFO.UpnOffset"},
	{"a UPN that starts in the header is malformed", func(b []byte) []byte { put16(dataOf(b, BufferUPNDNSInfo), 2, 4); return b }, ErrMalformed, "UPN_DNS_INFO.UpnOffset"},
	{"an odd DNS domain name length is malformed", func(b []byte) []byte { put16(dataOf(b, BufferUPNDNSInfo), 4, 21); return b }, ErrMalformed, "UPN_DNS_INFO.DnsDomainNameLength"},
	{"a UPN_DNS_INFO SID that is not a SID is malformed", func(b []byte) []byte {
		u := dataOf(b, BufferUPNDNSInfo)
		u[binary.LittleEndian.Uint16(u[18:])] = 2 // the revision
		return b
	}, ErrMalformed, "UPN_DNS_INFO.Sid"},
	{"a signature of the wrong length for its type is malformed", func(b []byte) []byte {
		put32(dataOf(b, BufferServerSignature), 0, uint32(0xffffff76)) // hmac-md5 wants 16 bytes
		return b
	}, ErrMalformed, "PAC_SIGNATURE_DATA(server).Signature"},
	{"a requestor that is not a SID is malformed", func(b []byte) []byte { dataOf(b, BufferRequestor)[0] = 2; return b }, ErrMalformed, "PAC_REQUESTOR.Sid"},
	{"attributes with more than 32 flag bits are unsupported", func(b []byte) []byte { put32(dataOf(b, BufferAttributesInfo), 0, 33); return b }, ErrUnsupported, "PAC_ATTRIBUTES_INFO.FlagsLength"},
	{"attributes whose flags do not fill the buffer are malformed", func(b []byte) []byte { put32(dataOf(b, BufferAttributesInfo), 0, 0); return b }, ErrMalformed, "PAC_ATTRIBUTES_INFO.Flags"},
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tc.mutate(validPACBytes(t)))
			var pe *Error
			if !errors.As(err, &pe) || p != nil {
				t.Fatalf("Parse: %v (%T) with a PAC %v; want an *Error and nil", err, err, p != nil)
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Parse: %q; want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

func TestParseReadsWhatMarshalWrote(t *testing.T) {
	t.Parallel()
	b := validPACBytes(t)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := validPAC()
	if !reflect.DeepEqual(p.LogonInfo, want.LogonInfo) || !reflect.DeepEqual(p.ClientInfo, want.ClientInfo) ||
		!reflect.DeepEqual(p.UPNDNSInfo, want.UPNDNSInfo) || !reflect.DeepEqual(p.AttributesInfo, want.AttributesInfo) ||
		!reflect.DeepEqual(p.Requestor, want.Requestor) || !reflect.DeepEqual(p.ServerSignature, want.ServerSignature) ||
		!reflect.DeepEqual(p.KDCSignature, want.KDCSignature) {
		t.Errorf("Parse(Marshal(p)) differs from p:\n got %+v\nwant %+v", p, want)
	}
	var types []BufferType
	for _, buf := range p.Buffers {
		types = append(types, buf.Type)
	}
	// The order Windows Server 2022 writes.
	wantTypes := []BufferType{BufferLogonInfo, BufferClientInfo, BufferUPNDNSInfo, BufferAttributesInfo, BufferRequestor, BufferServerSignature, BufferKDCSignature}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("buffer order %v, want %v", types, wantTypes)
	}
	for i := range p.Buffers {
		_, off, _ := infoBuffer(b, i)
		if off%8 != 0 {
			t.Errorf("buffer %d at offset %d", i, off)
		}
	}
	if len(b)%8 != 0 {
		t.Errorf("PAC of %d bytes is not padded to a multiple of 8", len(b))
	}
	_, off, _ := infoBuffer(b, 0)
	b[off+20] ^= 0xff
	if p.Buffers[0].Data[20] == b[off+20] {
		t.Error("Parse result shares memory with its input")
	}
}

func TestMarshalCombinesBuffersAndTypedFields(t *testing.T) {
	t.Parallel()
	claims := []byte("claims blob, kept as bytes")
	ticket := Buffer{Type: BufferTicketSignature, Data: []byte{0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	cases := []struct {
		name      string
		mutate    func(p *PAC)
		wantTypes []BufferType
		wantErr   error
	}{
		{"typed fields missing from Buffers go where Windows puts them", func(p *PAC) {
			p.Buffers = []Buffer{{Type: BufferClientClaims, Data: claims}, ticket}
		}, []BufferType{1, 10, 12, 13, 17, 18, 6, 7, 16}, nil},
		{"an unknown type goes after the data buffers and before the signatures", func(p *PAC) {
			p.Buffers = []Buffer{{Type: 42, Data: claims}}
		}, []BufferType{1, 10, 12, 17, 18, 42, 6, 7}, nil},
		{"Buffers order is kept for typed buffers too", func(p *PAC) {
			p.Buffers = []Buffer{{Type: BufferKDCSignature}, {Type: BufferServerSignature}, {Type: BufferLogonInfo}}
		}, []BufferType{10, 12, 17, 18, 7, 6, 1}, nil}, // each missing one before the first buffer Windows puts after it
		{"a nil typed field drops its buffer", func(p *PAC) {
			p.Buffers = []Buffer{{Type: BufferLogonInfo}, {Type: BufferUPNDNSInfo, Data: []byte("stale")}}
			p.UPNDNSInfo, p.Requestor, p.AttributesInfo = nil, nil, nil
		}, []BufferType{1, 10, 6, 7}, nil},
		{"a decoded type twice in Buffers is an error", func(p *PAC) {
			p.Buffers = []Buffer{{Type: BufferClientInfo}, {Type: BufferClientInfo}}
		}, nil, ErrMalformed},
		{"a signature of the wrong length is an error", func(p *PAC) { p.KDCSignature.Value = p.KDCSignature.Value[:10] }, nil, ErrMalformed},
		{"a SAM name without the S flag is an error", func(p *PAC) { p.UPNDNSInfo.Flags = 0 }, nil, ErrMalformed},
		{"attribute flags beyond FlagsLength 0 are an error", func(p *PAC) { p.AttributesInfo.FlagsLength = 0 }, nil, ErrMalformed},
		{"an empty PAC is eight bytes", func(p *PAC) { *p = PAC{} }, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := validPAC()
			tc.mutate(p)
			b, err := p.Marshal()
			if tc.wantErr != nil {
				var pe *Error
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &pe) || b != nil {
					t.Fatalf("Marshal: %v; want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			var types []BufferType
			for _, buf := range q.Buffers {
				types = append(types, buf.Type)
				if buf.Type == BufferClientClaims && !bytes.Equal(buf.Data, claims) {
					t.Errorf("claims buffer %q, want %q", buf.Data, claims)
				}
			}
			if !slices.Equal(types, tc.wantTypes) {
				t.Errorf("buffer types %v, want %v", types, tc.wantTypes)
			}
		})
	}
}

func TestBufferTypeNamesItself(t *testing.T) {
	t.Parallel()
	for typ, want := range map[BufferType]string{BufferLogonInfo: "logon info", BufferFullPACSignature: "full PAC signature", 42: "type 42"} {
		if got := typ.String(); got != want {
			t.Errorf("BufferType(%d).String() = %q, want %q", uint32(typ), got, want)
		}
	}
}

func TestErrorMessagesNameTheField(t *testing.T) {
	t.Parallel()
	err := &Error{Op: "parse", Field: "PAC_INFO_BUFFER[2].Offset", Reason: "0x13 is not a multiple of 8", Err: ErrMalformed}
	if got, want := err.Error(), "pac: parse PAC_INFO_BUFFER[2].Offset: 0x13 is not a multiple of 8: malformed PAC"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(ErrIntegrity, crypto.ErrIntegrity) {
		t.Error("ErrIntegrity is not crypto.ErrIntegrity")
	}
}
