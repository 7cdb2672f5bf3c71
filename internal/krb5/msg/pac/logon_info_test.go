package pac

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Offsets in a marshalled PAC_LOGON_INFO buffer: the 16 bytes of type
// serialization headers, then the top-level pointer and the fixed part of
// KERB_VALIDATION_INFO, [MS-PAC] 2.5.
const (
	offObjectBufferLength = 8
	offBody               = serializationHeaderLen
	offTopPointer         = offBody
	offEffectiveName      = offBody + 52 // Length, MaximumLength, Buffer
	offFullName           = offBody + 60
	offGroupCount         = offBody + 112
	offGroupIDs           = offBody + 116
	offLogonServer        = offBody + 140
	offSIDCount           = offBody + 200
	offExtraSIDs          = offBody + 204
	offResourceDomainSID  = offBody + 208
	offResourceGroupIDs   = offBody + 216
)

func validLogonInfoBytes(tb testing.TB) []byte {
	tb.Helper()
	b, err := validLogonInfo().Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sidAt finds the deferred RPC_SID of s (its conformance and binary form).
func sidAt(tb testing.TB, b []byte, s adtypes.SID) int {
	tb.Helper()
	enc := binary.LittleEndian.AppendUint32(nil, uint32(len(s.SubAuthorities)))
	i := bytes.Index(b, append(enc, s.Bytes()...))
	if i < 0 {
		tb.Fatalf("%s not found", s)
	}
	return i
}

var logonInfoErrorCases = []struct {
	name    string
	mutate  func(tb testing.TB, b []byte) []byte
	wantErr error
	wantMsg string
}{
	{"a buffer shorter than the type serialization headers is malformed", func(_ testing.TB, b []byte) []byte { return b[:15] }, ErrMalformed, "headers alone"},
	{"a type serialization version other than 1 is unsupported", func(_ testing.TB, b []byte) []byte { b[0] = 2; return b }, ErrUnsupported, "version 2"},
	{"a common header length other than 8 is malformed", func(_ testing.TB, b []byte) []byte { b[2] = 16; return b }, ErrMalformed, "header length"},
	{"an ObjectBufferLength past the buffer is malformed", func(_ testing.TB, b []byte) []byte {
		put32(b, offObjectBufferLength, uint32(len(b)))
		return b
	}, ErrMalformed, "ObjectBufferLength"},
	{"a structure cut short is malformed", func(_ testing.TB, b []byte) []byte {
		put32(b, offObjectBufferLength, 100)
		return b
	}, ErrMalformed, "only 0 remain"},
	{"a NULL top-level pointer is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offTopPointer, 0); return b }, ErrMalformed, "top-level pointer is NULL"},
	{"an odd string length is malformed", func(_ testing.TB, b []byte) []byte { put16(b, offEffectiveName, 17); return b }, ErrMalformed, "KERB_VALIDATION_INFO.EffectiveName"},
	{"a Length above MaximumLength is malformed", func(_ testing.TB, b []byte) []byte { put16(b, offEffectiveName+2, 16); return b }, ErrMalformed, "exceeds MaximumLength"},
	{"a MaximumLength the array does not match is malformed", func(_ testing.TB, b []byte) []byte { put16(b, offEffectiveName+2, 20); return b }, ErrMalformed, "conformant varying array"},
	{"a string length with a NULL Buffer is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offFullName+4, 0); return b }, ErrMalformed, "with a NULL Buffer"},
	{"a GroupCount with a NULL GroupIds is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offGroupIDs, 0); return b }, ErrMalformed, "KERB_VALIDATION_INFO.GroupIds"},
	{"a GroupCount the array does not match is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offGroupCount, 3); return b }, ErrMalformed, "conformant array of 2 elements, but the count is 3"},
	{"a SidCount with a NULL ExtraSids is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offExtraSIDs, 0); return b }, ErrMalformed, "SidCount is 2"},
	{"a huge SidCount is refused before anything is allocated", func(_ testing.TB, b []byte) []byte { put32(b, offSIDCount, 0xffffffff); return b }, ErrMalformed, "KERB_VALIDATION_INFO.ExtraSids"},
	{"a ResourceGroupCount with a NULL ResourceGroupIds is malformed", func(_ testing.TB, b []byte) []byte { put32(b, offResourceGroupIDs, 0); return b }, ErrMalformed, "KERB_VALIDATION_INFO.ResourceGroupIds"},
	{"a SID whose count disagrees with its conformance is malformed", func(tb testing.TB, b []byte) []byte {
		i := sidAt(tb, b, contosoSID)
		b[i+5] = 3 // SubAuthorityCount
		return b
	}, ErrMalformed, "KERB_VALIDATION_INFO.LogonDomainId"},
	{"a SID with more than 15 sub-authorities is malformed", func(tb testing.TB, b []byte) []byte {
		i := sidAt(tb, b, contosoSID)
		put32(b, i, 16)
		b[i+5] = 16
		return b
	}, ErrMalformed, "at most 15"},
	{"a SID of revision 2 is malformed", func(tb testing.TB, b []byte) []byte {
		b[sidAt(tb, b, contosoSID)+4] = 2
		return b
	}, ErrMalformed, "revision 2"},
}

func TestParseLogonInfoRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range logonInfoErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			li, err := ParseLogonInfo(tc.mutate(t, validLogonInfoBytes(t)))
			var pe *Error
			if !errors.As(err, &pe) || li != nil {
				t.Fatalf("ParseLogonInfo: %v (%T); want an *Error and nil", err, err)
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("ParseLogonInfo: %q; want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

// A LogonInfo built by hand marshals to NDR that decodes to the same value.
func TestLogonInfoRoundTrips(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(li *LogonInfo)
	}{
		{"a gMSA with extra SIDs and resource groups", func(*LogonInfo) {}},
		{"a user with every string set", func(li *LogonInfo) {
			li.FullName, li.LogonScript, li.ProfilePath = "Jürgen Groß 𝄞", "logon.cmd", `\\fs1\profiles\jgross`
			li.HomeDirectory, li.HomeDirectoryDrive = `\\fs1\home\jgross`, "H:"
		}},
		{"every string empty", func(li *LogonInfo) {
			for _, s := range li.stringFields() {
				*s = ""
			}
		}},
		{"no extra SIDs and no resource groups", func(li *LogonInfo) {
			li.ExtraSIDs, li.ResourceGroupDomainID, li.ResourceGroupIDs = nil, adtypes.SID{}, nil
		}},
		{"empty arrays behind non-NULL pointers", func(li *LogonInfo) {
			li.GroupIDs, li.ExtraSIDs, li.ResourceGroupIDs = []GroupMembership{}, []SIDAndAttributes{}, []GroupMembership{}
		}},
		{"an extra SID element with a NULL Sid", func(li *LogonInfo) { li.ExtraSIDs[0].SID = adtypes.SID{} }},
		{"no logon domain SID", func(li *LogonInfo) { li.LogonDomainID = adtypes.SID{} }},
		{"Samba's referent order", func(li *LogonInfo) { li.referents = sambaOrder }},
		{"a session key and every time set", func(li *LogonInfo) {
			li.UserSessionKey = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
			li.LastSuccessfulILogon, li.LastFailedILogon, li.FailedILogonCount = 1, 2, 3
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			li := validLogonInfo()
			tc.mutate(li)
			b, err := li.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(b)%8 != 0 || int(binary.LittleEndian.Uint32(b[offObjectBufferLength:])) != len(b)-serializationHeaderLen {
				t.Errorf("%d bytes with ObjectBufferLength %d", len(b), binary.LittleEndian.Uint32(b[offObjectBufferLength:]))
			}
			got, err := ParseLogonInfo(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, li) {
				t.Errorf("ParseLogonInfo(Marshal(li)):\n got %+v\nwant %+v", got, li)
			}
		})
	}
}

// Windows numbers the SID pointers inside ExtraSids before
// ResourceGroupDomainSid; Samba after. Each numbering survives a round trip.
func TestLogonInfoReferentOrders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                  string
		order                 referentOrder
		resourceDomain, first uint32
	}{
		{"Windows numbers ExtraSids elements right after ExtraSids", windowsOrder, 0x00020038, 0x00020030},
		{"Samba numbers ExtraSids elements after the structure's pointers", sambaOrder, 0x00020030, 0x00020038},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			li := validLogonInfo()
			li.referents = tc.order
			b, err := li.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got := binary.LittleEndian.Uint32(b[offResourceDomainSID:]); got != tc.resourceDomain {
				t.Errorf("ResourceGroupDomainSid referent %#x, want %#x", got, tc.resourceDomain)
			}
			if got := binary.LittleEndian.Uint32(b[offExtraSIDs:]); got != 0x0002002c {
				t.Errorf("ExtraSids referent %#x, want 0x2002c", got)
			}
			// The ExtraSids array follows the LogonDomainId SID.
			arr := sidAt(t, b, contosoSID) + 4 + len(contosoSID.Bytes())
			if got := binary.LittleEndian.Uint32(b[arr+4:]); got != tc.first {
				t.Errorf("ExtraSids[0].Sid referent %#x, want %#x", got, tc.first)
			}
			got, err := ParseLogonInfo(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.referents != tc.order {
				t.Errorf("decoded as order %d, want %d", got.referents, tc.order)
			}
		})
	}
}

// Input a KDC might send that is valid NDR but not how Windows writes it
// decodes, and re-encodes canonically to the same value.
func TestLogonInfoAcceptsNonCanonicalInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(b []byte) []byte
		check  func(t *testing.T, li *LogonInfo)
	}{
		{"a NULL Buffer for an empty string", func(b []byte) []byte {
			li := validLogonInfo()
			li.forms[strLogonScript].null = true
			b, _ = li.Marshal()
			if binary.LittleEndian.Uint32(b[offBody+68+4:]) != 0 { // LogonScript.Buffer
				panic("LogonScript.Buffer is not NULL")
			}
			return b
		}, func(t *testing.T, li *LogonInfo) {
			if !li.forms[strLogonScript].null {
				t.Error("the NULL Buffer was not recorded")
			}
		}},
		{"a MaximumLength without the usual allowance", func(b []byte) []byte {
			li := validLogonInfo()
			li.forms[strLogonServer].slack = -2
			b, _ = li.Marshal()
			return b
		}, func(t *testing.T, li *LogonInfo) {
			if li.forms[strLogonServer].slack != -2 {
				t.Errorf("LogonServer slack %d, want -2", li.forms[strLogonServer].slack)
			}
		}},
		{"referent IDs in no known order", func(b []byte) []byte { put32(b, offLogonServer+4, 0x12345678); return b }, func(t *testing.T, li *LogonInfo) {
			if li.referents != windowsOrder {
				t.Error("unknown referent IDs should re-encode in Windows order")
			}
		}},
		{"a top-level referent other than 0x20000", func(b []byte) []byte { put32(b, offTopPointer, 4); return b }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			li, err := ParseLogonInfo(tc.mutate(validLogonInfoBytes(t)))
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, li)
			}
			b, err := li.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseLogonInfo(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, li) {
				t.Errorf("re-encoded value differs:\n got %+v\nwant %+v", again, li)
			}
		})
	}
}

func TestMarshalLogonInfoRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(li *LogonInfo)
	}{
		{"a string longer than a uint16 Length", func(li *LogonInfo) { li.FullName = strings.Repeat("x", 1<<15) }},
		{"a SID with 16 sub-authorities", func(li *LogonInfo) { li.LogonDomainID.SubAuthorities = make([]uint32, 16) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			li := validLogonInfo()
			tc.mutate(li)
			if b, err := li.Marshal(); !errors.Is(err, ErrMalformed) || b != nil {
				t.Errorf("Marshal: %v; want ErrMalformed", err)
			}
		})
	}
}

func TestLogonInfoSIDs(t *testing.T) {
	t.Parallel()
	li := validLogonInfo()
	if got, want := li.UserSID().String(), "S-1-5-21-1004336348-1177238915-682003330-1105"; got != want {
		t.Errorf("UserSID %s, want %s", got, want)
	}
	var got []string
	for _, s := range li.GroupSIDs() {
		got = append(got, s.String())
	}
	want := []string{
		"S-1-5-21-1004336348-1177238915-682003330-515",
		"S-1-5-21-1004336348-1177238915-682003330-1103",
		"S-1-5-21-1004336348-1177238915-682003330-1104",
		"S-1-18-1",
		"S-1-5-21-3062750306-1230139592-1973306805-1107",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("GroupSIDs:\n got %v\nwant %v", got, want)
	}
	li.ResourceGroupDomainID = adtypes.SID{}
	if n := len(li.GroupSIDs()); n != 4 {
		t.Errorf("%d group SIDs without a resource domain, want 4", n)
	}
	// The returned SIDs are copies.
	li.GroupSIDs()[2].SubAuthorities[0] = 99
	if li.ExtraSIDs[0].SID.SubAuthorities[0] != 21 {
		t.Error("GroupSIDs shares memory with ExtraSIDs")
	}
}
