package spnego

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// tokenCases are valid tokens of both kinds; they seed the fuzz targets.
var tokenCases = []struct {
	name string
	init *NegTokenInit
	resp *NegTokenResp
}{
	{name: "an init with both Kerberos OIDs and a token", init: &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDKerberos, OIDMSKerberos}, MechToken: []byte{0x60, 0x01, 0x00}}},
	{name: "an init as Windows sends it, MS OID first, with reqFlags and a MIC", init: &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos, {1, 3, 6, 1, 4, 1, 311, 2, 2, 10}}, ReqFlags: []byte{0x01, 0x00}, MechToken: []byte("t"), MechListMIC: []byte("mic")}},
	{name: "an init without a token", init: &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}}}},
	{name: "an accept-completed answer with an AP-REP", resp: &NegTokenResp{NegState: NegStateAcceptCompleted, SupportedMech: OIDKerberos, ResponseToken: []byte("ap-rep")}},
	{name: "an accept-incomplete answer choosing Kerberos", resp: &NegTokenResp{NegState: NegStateAcceptIncomplete, SupportedMech: OIDMSKerberos}},
	{name: "a reject", resp: &NegTokenResp{NegState: NegStateReject}},
	{name: "a MIC alone", resp: &NegTokenResp{NegState: NegStateAbsent, MechListMIC: []byte("mic")}},
	{name: "a request-mic with an empty token", resp: &NegTokenResp{NegState: NegStateRequestMIC, ResponseToken: []byte{}}},
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range tokenCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.init != nil {
				b, err := tc.init.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				got, err := ParseNegTokenInit(b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.init) {
					t.Fatalf("got %+v, want %+v", got, tc.init)
				}
				if _, err := ParseNegTokenResp(b); !errors.Is(err, ErrMalformed) {
					t.Fatalf("an init parsed as a resp: %v", err)
				}
			} else {
				b, err := tc.resp.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				got, err := ParseNegTokenResp(b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.resp) {
					t.Fatalf("got %+v, want %+v", got, tc.resp)
				}
			}
		})
	}
}

func TestNegTokenInitMatchesTheRFC4178Encoding(t *testing.T) {
	t.Parallel()
	// 60 len 06 06 2b0601050502 a0 len 30 len a0 0d 30 0b 06 09 2a864886f712010202 a2 05 04 03 aabbcc
	want := []byte{0x60, 0x24, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x1a, 0x30, 0x18,
		0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
		0xa2, 0x07, 0x04, 0x05, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
	b, err := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDKerberos}, MechToken: []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("got  %x\nwant %x", b, want)
	}
}

func TestDecodersRefuse(t *testing.T) {
	t.Parallel()
	good, _ := (&NegTokenResp{NegState: NegStateAcceptCompleted}).Marshal()
	cases := []struct {
		name string
		tok  []byte
	}{
		{"nothing", nil},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"a negState out of range", []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x07}},
		{"a non-minimal length", []byte{0xa1, 0x81, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00}},
		{"fields out of order", []byte{0xa1, 0x0a, 0x30, 0x08, 0xa2, 0x01, 0x04, 0xa0, 0x03, 0x0a, 0x01, 0x00}},
	}
	for _, tc := range cases {
		if _, err := ParseNegTokenResp(tc.tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
	if _, err := ParseNegTokenInit([]byte{0x60, 0x00}); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty init: %v", err)
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in        string
		expect    []byte
		expectErr error
	}{
		{"Negotiate YWJj", []byte("abc"), nil},
		{"negotiate  YWJj ", []byte("abc"), nil},
		{"Negotiate", nil, nil},
		{"Basic YWJj", nil, ErrNoNegotiate},
		{"", nil, ErrNoNegotiate},
		{"Negotiate !!", nil, ErrMalformed},
	} {
		got, err := ParseHeader(tc.in)
		if !errors.Is(err, tc.expectErr) || !bytes.Equal(got, tc.expect) {
			t.Errorf("ParseHeader(%q) = %q, %v", tc.in, got, err)
		}
	}
	if h := Header([]byte("abc")); !strings.HasPrefix(h, "Negotiate YWJj") {
		t.Errorf("Header = %q", h)
	}
}

func FuzzNegTokenInit(f *testing.F) {
	for _, tc := range tokenCases {
		if tc.init != nil {
			b, _ := tc.init.Marshal()
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseNegTokenInit(b)
		if err != nil {
			if tok != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("partial result or untyped error: %v", err)
			}
			return
		}
		again, err := tok.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted input does not re-marshal exactly: %v", err)
		}
	})
}

func FuzzNegTokenResp(f *testing.F) {
	for _, tc := range tokenCases {
		if tc.resp != nil {
			b, _ := tc.resp.Marshal()
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseNegTokenResp(b)
		if err != nil {
			if tok != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("partial result or untyped error: %v", err)
			}
			return
		}
		again, err := tok.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted input does not re-marshal exactly: %v", err)
		}
	})
}
