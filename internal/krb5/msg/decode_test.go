package msg

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each case takes a valid encoding of typ, changes one thing in its DER
// tree, and expects decoding to fail with wantErr and a message naming the
// place.
func TestDecodingRefusesWhatDERAndRFC4120Forbid(t *testing.T) {
	t.Parallel()
	krbError := func(t testing.TB) []byte { return mustMarshal(t, sampleError()) }
	apReq := func(t testing.TB) []byte {
		return mustMarshal(t, &APReq{APOptions: APOptions(sampleFlags), Ticket: sampleTicket(), Authenticator: sampleEncData()})
	}
	asReq := func(t testing.TB) []byte {
		return mustMarshal(t, sampleKDCReq(MsgTypeASReq, sampleKDCReqBody(), samplePAData()))
	}
	etypeInfo2 := func(t testing.TB) []byte { return mustMarshal(t, sampleETypeInfo2()) }
	pacRequest := func(t testing.TB) []byte { return mustMarshal(t, &PAPACRequest{IncludePAC: true}) }
	encData := func(t testing.TB) []byte { return mustMarshal(t, new(sampleEncData())) }
	ticket := func(t testing.TB) []byte { return mustMarshal(t, new(sampleTicket())) }
	setTime := func(s string) func(*node) {
		return func(n *node) { n.at(0).field(t, 4).at(0).val = []byte(s) }
	}

	tests := []struct {
		name    string
		typ     string
		base    func(testing.TB) []byte
		mutate  func(root *node)
		wantErr error  // nil: the input decodes
		wantMsg string // a substring of the error message
	}{
		{name: "the unchanged KRB-ERROR decodes", typ: "KRBError", base: krbError, mutate: func(*node) {}},
		{name: "an indefinite length is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.rawLen, n.tail = []byte{0x80}, []byte{0, 0} }, wantErr: ErrMalformed, wantMsg: "indefinite"},
		{name: "a long-form length where the short form fits is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 0).rawLen = []byte{0x81, 0x03} }, wantErr: ErrMalformed, wantMsg: "KRB-ERROR.pvno"},
		{name: "a length beyond the input is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.rawLen = []byte{0x81, 0xff} }, wantErr: ErrMalformed},
		{name: "trailing bytes after the message are refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.tail = []byte{0} }, wantErr: ErrMalformed, wantMsg: "trailing"},
		{name: "bytes after the SEQUENCE inside the APPLICATION tag are refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.kids = append(n.kids, prim(0x05, nil)) }, wantErr: ErrMalformed, wantMsg: "after the SEQUENCE"},
		{name: "bytes after the value inside an EXPLICIT tag are refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { f := n.at(0).field(t, 6); f.kids = append(f.kids, prim(0x05, nil)) }, wantErr: ErrMalformed, wantMsg: "KRB-ERROR.error-code"},
		{name: "another message's APPLICATION tag is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.tag = 0x6b }, wantErr: ErrUnexpectedTag, wantMsg: "[APPLICATION 11]"},
		{name: "a high tag number is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.tag = 0x7f }, wantErr: ErrMalformed},
		{name: "protocol version 4 is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 0).at(0).val = []byte{4} }, wantErr: ErrBadValue, wantMsg: "KRB-ERROR.pvno: protocol version 4"},
		{name: "a msg-type that contradicts the tag is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 1).at(0).val = []byte{11} }, wantErr: ErrBadValue, wantMsg: "msg-type"},
		{name: "a TGS-REQ msg-type in an AS-REQ is refused", typ: "KDCReq", base: asReq,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).val = []byte{12} }, wantErr: ErrBadValue, wantMsg: "AS-REQ.msg-type"},
		{name: "a realm as UTF8String is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 9).at(0).tag = 0x0c }, wantErr: ErrUnexpectedTag, wantMsg: "KRB-ERROR.realm: got UTF8String, want GeneralString"},
		{name: "a name component as UTF8String is refused", typ: "Ticket", base: ticket,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).field(t, 1).at(0, 1).tag = 0x0c }, wantErr: ErrUnexpectedTag, wantMsg: "PrincipalName.name-string"},
		{name: "a missing required field is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).remove(4) }, wantErr: ErrMissingField, wantMsg: "KRB-ERROR.stime"},
		{name: "a primitive context tag is refused, EXPLICIT tags being constructed", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 6).tag = 0x86 }, wantErr: ErrMissingField, wantMsg: "[6] primitive"},
		{name: "an unknown field is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { s := n.at(0); s.kids = append(s.kids, cons(0xad, prim(0x02, []byte{1}))) }, wantErr: ErrUnexpectedTag, wantMsg: "[13]"},
		{name: "fields out of order are refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { s := n.at(0); k := len(s.kids); s.kids[k-1], s.kids[k-2] = s.kids[k-2], s.kids[k-1] }, wantErr: ErrUnexpectedTag, wantMsg: "[11]"},
		{name: "a duplicate field is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { s := n.at(0); s.kids = append(s.kids, s.kids[len(s.kids)-1]) }, wantErr: ErrUnexpectedTag, wantMsg: "[12]"},
		{name: "a non-minimal INTEGER is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 6).at(0).val = []byte{0, 0x3c} }, wantErr: ErrMalformed, wantMsg: "minimally"},
		{name: "an empty INTEGER is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 6).at(0).val = nil }, wantErr: ErrMalformed},
		{name: "an Int32 of 2^31 is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 6).at(0).val = []byte{0, 0x80, 0, 0, 0} }, wantErr: ErrBadValue, wantMsg: "2147483648"},
		{name: "microseconds of 1000000 are refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { n.at(0).field(t, 5).at(0).val = []byte{0x0f, 0x42, 0x40} }, wantErr: ErrBadValue, wantMsg: "KRB-ERROR.susec"},
		{name: "a kvno above 2^32-1 is refused", typ: "EncryptedData", base: encData,
			mutate: func(n *node) { n.field(t, 1).at(0).val = []byte{1, 0, 0, 0, 0} }, wantErr: ErrBadValue, wantMsg: "EncryptedData.kvno"},
		{name: "a KerberosTime with fractional seconds is refused", typ: "KRBError", base: krbError,
			mutate: setTime("19940610060317.5Z"), wantErr: ErrBadValue, wantMsg: "KRB-ERROR.stime"},
		{name: "a KerberosTime with a time zone offset is refused", typ: "KRBError", base: krbError,
			mutate: setTime("19940610060317+0100"), wantErr: ErrBadValue},
		{name: "a KerberosTime without seconds is refused", typ: "KRBError", base: krbError,
			mutate: setTime("199406100603Z"), wantErr: ErrBadValue},
		{name: "a KerberosTime on 30 February is refused", typ: "KRBError", base: krbError,
			mutate: setTime("19940230060317Z"), wantErr: ErrBadValue, wantMsg: "no such date"},
		{name: "a KerberosTime at 24:00 is refused", typ: "KRBError", base: krbError,
			mutate: setTime("19940610240000Z"), wantErr: ErrBadValue},
		{name: "a KerberosTime before 1970 is refused", typ: "KRBError", base: krbError,
			mutate: setTime("19691231235959Z"), wantErr: ErrBadValue, wantMsg: "before 1970"},
		{name: "a KerberosTime as UTCTime is refused", typ: "KRBError", base: krbError,
			mutate: func(n *node) { f := n.at(0).field(t, 4).at(0); f.tag, f.val = 0x17, []byte("940610060317Z") }, wantErr: ErrUnexpectedTag, wantMsg: "UTCTime"},
		{name: "KerberosFlags of 24 bits are refused", typ: "APReq", base: apReq,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).val = []byte{0, 0xfe, 0xdc, 0xba} }, wantErr: ErrBadValue, wantMsg: "AP-REQ.ap-options: KerberosFlags of 24 bits"},
		{name: "KerberosFlags of 64 bits are refused", typ: "APReq", base: apReq,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).val = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8} }, wantErr: ErrBadValue, wantMsg: "64 bits"},
		{name: "KerberosFlags of 31 bits are refused", typ: "APReq", base: apReq,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).val = []byte{1, 0xfe, 0xdc, 0xba, 0x98} }, wantErr: ErrBadValue, wantMsg: "31 bits"},
		{name: "a BIT STRING with set padding bits is refused", typ: "APReq", base: apReq,
			mutate: func(n *node) { n.at(0).field(t, 2).at(0).val = []byte{8, 0xfe} }, wantErr: ErrMalformed},
		{name: "a BOOLEAN of 01 is refused", typ: "PAPACRequest", base: pacRequest,
			mutate: func(n *node) { n.field(t, 0).at(0).val = []byte{1} }, wantErr: ErrMalformed, wantMsg: "KERB-PA-PAC-REQUEST.include-pac"},
		{name: "an empty ETYPE-INFO2 is refused", typ: "ETypeInfo2", base: etypeInfo2,
			mutate: func(n *node) { n.kids = nil }, wantErr: ErrBadValue, wantMsg: "ETYPE-INFO2"},
		{name: "a salt as OCTET STRING is refused", typ: "ETypeInfo2", base: etypeInfo2,
			mutate: func(n *node) { n.at(0).field(t, 1).at(0).tag = 0x04 }, wantErr: ErrUnexpectedTag, wantMsg: "ETYPE-INFO2-ENTRY.salt"},
		{name: "an AS-REQ whose req-body is not a SEQUENCE is refused", typ: "KDCReq", base: asReq,
			mutate: func(n *node) { n.at(0).field(t, 4).at(0).tag = 0x31 }, wantErr: ErrUnexpectedTag, wantMsg: "KDC-REQ-BODY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := parseTree(t, tc.base(t))
			tc.mutate(root)
			in := root.bytes()
			for _, o := range []opts{lenient, {strict: true}} {
				v, err := codecs[tc.typ].parse(in, o)
				if tc.wantErr == nil {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					continue
				}
				if v != nil {
					t.Errorf("a value came back with the error")
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) || e.Struct == "" {
					t.Fatalf("error %#v is not an *Error naming a structure", err)
				}
				if !strings.Contains(err.Error(), tc.wantMsg) {
					t.Errorf("error %q does not mention %q", err, tc.wantMsg)
				}
			}
		})
	}
}

func TestEmptyAndTruncatedInputsAreRefused(t *testing.T) {
	t.Parallel()
	for name, c := range codecs {
		for _, in := range [][]byte{nil, {0x30}, {0x30, 0x05, 0x02}} {
			if v, err := c.parse(in, lenient); err == nil || v != nil || !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnexpectedTag) {
				t.Errorf("%s %x: got %v, %v", name, in, v, err)
			}
		}
	}
}

// Each case is an input that the decoders accept although the encoder
// writes it differently (doc.go, "Leniency"): the lenient decoder reads
// want, the strict one refuses it, and re-encoding gives canonical.
func TestLenientInputsDecodeButDoNotRoundTrip(t *testing.T) {
	t.Parallel()
	encData := func() *node { return parseTree(t, mustMarshal(t, new(sampleEncData()))) }
	apRepEnc := func() *node {
		return parseTree(t, mustMarshal(t, &EncAPRepPart{CTime: sampleTime, CUSec: 1, SeqNumber: new(uint32(1))}))
	}
	errNull := func() *KRBError { e := sampleError(); e.EText, e.CRealm = "", ""; return e }

	tests := []struct {
		name      string
		typ       string
		in        func() []byte
		want      any
		canonical func() []byte
	}{
		{
			name: "a kvno of 0xFF000000 written unsigned is read",
			typ:  "EncryptedData",
			in: func() []byte {
				n := encData()
				n.field(t, 1).at(0).val = []byte{0, 0xff, 0, 0, 0}
				return n.bytes()
			},
			want: &EncryptedData{KVNO: new(uint32(0xff000000)), Cipher: sampleEncData().Cipher},
			canonical: func() []byte {
				n := encData()
				n.field(t, 1).at(0).val = []byte{0xff, 0, 0, 0}
				return n.bytes()
			},
		},
		{
			name: "a seq-number of 2^32-1 written signed is read",
			typ:  "EncAPRepPart",
			in: func() []byte {
				n := apRepEnc()
				n.at(0).field(t, 3).at(0).val = []byte{0xff}
				return n.bytes()
			},
			want: &EncAPRepPart{CTime: sampleTime, CUSec: 1, SeqNumber: new(uint32(0xffffffff))},
			canonical: func() []byte {
				n := apRepEnc()
				n.at(0).field(t, 3).at(0).val = []byte{0, 0xff, 0xff, 0xff, 0xff}
				return n.bytes()
			},
		},
		{
			name: "a present but empty e-text and crealm are read as absent",
			typ:  "KRBError",
			in: func() []byte {
				n := parseTree(t, mustMarshal(t, errNull()))
				s := n.at(0)
				var kids []*node
				for _, k := range s.kids {
					kids = append(kids, k)
					switch k.tag {
					case 0xa6:
						kids = append(kids, cons(0xa7, prim(0x1b, nil)))
					case 0xaa:
						kids = append(kids, cons(0xab, prim(0x1b, nil)))
					}
				}
				s.kids = kids
				return n.bytes()
			},
			want:      errNull(),
			canonical: func() []byte { return mustMarshal(t, errNull()) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := codecs[tc.typ]
			in := tc.in()
			got, err := c.parse(in, lenient)
			if err != nil {
				t.Fatal(err)
			}
			if !equalValues(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if _, err := c.parse(in, opts{strict: true}); !errors.Is(err, ErrBadValue) {
				t.Errorf("strict decoding: %v, want ErrBadValue", err)
			}
			out, err := c.marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, tc.canonical()) {
				t.Errorf("re-encoded as %x, want %x", out, tc.canonical())
			}
		})
	}
}

// Windows and MIT accept EncASRepPart and EncTGSRepPart for each other;
// some KDCs (and gokrb5) send tag 25 in a TGS-REP.
func TestEncKDCRepPartAcceptsEitherTagAndReportsIt(t *testing.T) {
	t.Parallel()
	for _, tag := range []MsgType{MsgTypeEncASRepPart, MsgTypeEncTGSRepPart} {
		want := sampleEncKDCRepPart()
		want.MsgType = tag
		b := mustMarshal(t, want)
		if b[0] != 0x60|byte(tag) {
			t.Fatalf("%v encoded with tag %02x", tag, b[0])
		}
		got, err := ParseEncKDCRepPart(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.MsgType != tag || !equalValues(got, want) {
			t.Errorf("decoded %v as %+v", tag, got)
		}
	}
	for _, bad := range []MsgType{0, MsgTypeASRep, MsgTypeEncAPRepPart} {
		e := sampleEncKDCRepPart()
		e.MsgType = bad
		if _, err := e.Marshal(); !errors.Is(err, ErrBadValue) {
			t.Errorf("MsgType %v: %v, want ErrBadValue", bad, err)
		}
	}
}
