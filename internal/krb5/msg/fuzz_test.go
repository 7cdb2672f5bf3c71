package msg

import (
	"bytes"
	"errors"
	goparser "go/parser"
	"go/token"
	"reflect"
	"testing"
)

// Every decoder has a fuzz target (FuzzParse + the codec's name; a test
// checks the list). Each asserts what doc.go promises:
//   - a rejected input returns no value and an *Error carrying a sentinel;
//   - an input the strict decoder accepts re-encodes to exactly itself;
//   - an input only the lenient decoder accepts (doc.go, "Leniency")
//     re-encodes to a canonical form that decodes to the same value.

var sentinels = []error{ErrMalformed, ErrUnexpectedTag, ErrMissingField, ErrBadValue}

func checkDecodeError(t *testing.T, v any, err error) {
	t.Helper()
	if v != nil {
		t.Fatalf("a value came back with the error %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Struct == "" {
		t.Fatalf("error %#v is not an *Error naming a structure", err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v carries no sentinel", err)
}

// extraSeeds are encodings of the package's own making, for the types MIT
// has no vector for and for the lenient forms.
func extraSeeds(t testing.TB) map[string][][]byte {
	kvnoUnsigned := parseTree(t, mustMarshal(t, new(sampleEncData())))
	kvnoUnsigned.field(t, 1).at(0).val = []byte{0, 0xff, 0, 0, 0}
	withMethodData := sampleError()
	withMethodData.EData, withMethodData.MethodData = nil, samplePAData()
	realistic := sampleKDCRep(MsgTypeASRep)
	realistic.PAData = MethodData{{Type: PATypeETypeInfo2, Value: mustMarshal(t, sampleETypeInfo2())}}
	asPart := sampleEncKDCRepPart()
	asPart.MsgType, asPart.EncryptedPAData = MsgTypeEncASRepPart, samplePAData()
	return map[string][][]byte{
		"Checksum":      {mustMarshal(t, new(sampleChecksum()))},
		"PAPACRequest":  {mustMarshal(t, &PAPACRequest{IncludePAC: true}), mustMarshal(t, &PAPACRequest{})},
		"EncryptedData": {kvnoUnsigned.bytes()},
		"KRBError":      {mustMarshal(t, withMethodData)},
		"KDCRep":        {mustMarshal(t, realistic)},
		"EncKDCRepPart": {mustMarshal(t, asPart)},
		"EncAPRepPart":  {mustMarshal(t, &EncAPRepPart{CTime: sampleTime, SeqNumber: new(uint32(0xffffffff))})},
	}
}

func fuzzSeeds(t testing.TB, typ string) [][]byte {
	var seeds [][]byte
	for _, v := range loadVectors(t) {
		if v.typ == typ {
			seeds = append(seeds, v.der)
		}
	}
	return append(seeds, extraSeeds(t)[typ]...)
}

func fuzzCodec(f *testing.F, typ string) {
	c := codecs[typ]
	for _, s := range fuzzSeeds(f, typ) {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := c.parse(b, lenient)
		if err != nil {
			checkDecodeError(t, v, err)
			return
		}
		out, err := c.marshal(v)
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		strict, serr := c.parse(b, opts{strict: true})
		if serr == nil {
			if !equalValues(strict, v) {
				t.Fatalf("strict and lenient decoders disagree:\n%+v\n%+v", strict, v)
			}
			if !bytes.Equal(out, b) {
				t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
			}
			return
		}
		checkDecodeError(t, strict, serr)
		again, err := c.parse(out, opts{strict: true})
		if err != nil {
			t.Fatalf("the canonical re-encoding %x does not decode strictly: %v", out, err)
		}
		if !equalValues(again, v) {
			t.Fatalf("the canonical re-encoding decodes to another value:\n%+v\n%+v", again, v)
		}
	})
}

func FuzzParseTicket(f *testing.F)            { fuzzCodec(f, "Ticket") }
func FuzzParseEncTicketPart(f *testing.F)     { fuzzCodec(f, "EncTicketPart") }
func FuzzParseEncryptionKey(f *testing.F)     { fuzzCodec(f, "EncryptionKey") }
func FuzzParseEncryptedData(f *testing.F)     { fuzzCodec(f, "EncryptedData") }
func FuzzParseChecksum(f *testing.F)          { fuzzCodec(f, "Checksum") }
func FuzzParseKDCReq(f *testing.F)            { fuzzCodec(f, "KDCReq") }
func FuzzParseKDCReqBody(f *testing.F)        { fuzzCodec(f, "KDCReqBody") }
func FuzzParseKDCRep(f *testing.F)            { fuzzCodec(f, "KDCRep") }
func FuzzParseEncKDCRepPart(f *testing.F)     { fuzzCodec(f, "EncKDCRepPart") }
func FuzzParseAPReq(f *testing.F)             { fuzzCodec(f, "APReq") }
func FuzzParseAuthenticator(f *testing.F)     { fuzzCodec(f, "Authenticator") }
func FuzzParseAPRep(f *testing.F)             { fuzzCodec(f, "APRep") }
func FuzzParseEncAPRepPart(f *testing.F)      { fuzzCodec(f, "EncAPRepPart") }
func FuzzParseKRBError(f *testing.F)          { fuzzCodec(f, "KRBError") }
func FuzzParseKRBCred(f *testing.F)           { fuzzCodec(f, "KRBCred") }
func FuzzParseEncKrbCredPart(f *testing.F)    { fuzzCodec(f, "EncKrbCredPart") }
func FuzzParseAuthorizationData(f *testing.F) { fuzzCodec(f, "AuthorizationData") }
func FuzzParseMethodData(f *testing.F)        { fuzzCodec(f, "MethodData") }
func FuzzParseETypeInfo2(f *testing.F)        { fuzzCodec(f, "ETypeInfo2") }
func FuzzParsePAEncTSEnc(f *testing.F)        { fuzzCodec(f, "PAEncTSEnc") }
func FuzzParsePAPACRequest(f *testing.F)      { fuzzCodec(f, "PAPACRequest") }

// FuzzParseMessage checks the dispatcher: whatever it accepts, Peek names,
// and it re-encodes to something that decodes to the same value.
func FuzzParseMessage(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.der)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			checkDecodeError(t, m, err)
			return
		}
		if _, err := Peek(b); err != nil {
			t.Fatalf("ParseMessage accepted what Peek refuses: %v", err)
		}
		out, err := m.(interface{ Marshal() ([]byte, error) }).Marshal()
		if err != nil {
			t.Fatalf("accepted message does not re-encode: %v", err)
		}
		again, err := ParseMessage(out)
		if err != nil || !equalValues(again, m) || reflect.TypeOf(again) != reflect.TypeOf(m) {
			t.Fatalf("re-encoding decodes to %+v, %v", again, err)
		}
	})
}

// FuzzParsePrincipal checks that what ParsePrincipal accepts, String and
// WithRealm write back in a form it reads as the same name.
func FuzzParsePrincipal(f *testing.F) {
	for _, s := range []string{"hftsai/extra@ATHENA.MIT.EDU", "krbtgt/CONTOSO.COM@CONTOSO.COM", `a\/b\@c\\d\0@R\@S`, "webapp01$", "a//b", "@", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, realm, err := ParsePrincipal(s)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("error %v is not ErrBadValue", err)
			}
			return
		}
		out := p.String()
		if realm != "" {
			out = p.WithRealm(realm)
		}
		p2, realm2, err := ParsePrincipal(out)
		if err != nil || !reflect.DeepEqual(p2, p) || realm2 != realm {
			t.Fatalf("%q → %#v @ %q → %q → %#v @ %q, %v", s, p, realm, out, p2, realm2, err)
		}
	})
}

// TestEveryDecoderHasASeededFuzzTarget guards against a decoder added
// without a fuzz target, and against a seed corpus that silently vanished
// (a moved testdata directory).
func TestEveryDecoderHasASeededFuzzTarget(t *testing.T) {
	t.Parallel()
	file, err := goparser.ParseFile(token.NewFileSet(), "fuzz_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, d := range file.Decls {
		targets[nodeName(d)] = true
	}
	for typ := range codecs {
		if !targets["FuzzParse"+typ] {
			t.Errorf("codec %s has no FuzzParse%s", typ, typ)
		}
		if n := len(fuzzSeeds(t, typ)); n == 0 {
			t.Errorf("FuzzParse%s has no seeds", typ)
		}
	}
}
