package msg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// zeroReader is a fixed confounder source: tests must not depend on
// randomness.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func testKey(t testing.TB, e crypto.EncType, fill byte) crypto.Key {
	t.Helper()
	k, err := crypto.NewKey(e, bytes.Repeat([]byte{fill}, e.KeySize()))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealAndOpenUseTheKeyUsage(t *testing.T) {
	t.Parallel()
	k := testKey(t, crypto.AES256CTSHMACSHA196, 1)
	ed, err := Seal(k, crypto.KeyUsageAPRepEncPart, []byte("hello"), zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	if ed.EType != crypto.AES256CTSHMACSHA196 || ed.KVNO != nil {
		t.Errorf("sealed as %v kvno %v", ed.EType, ed.KVNO)
	}
	if pt, err := ed.Open(k, crypto.KeyUsageAPRepEncPart); err != nil || string(pt) != "hello" {
		t.Errorf("Open: %q, %v", pt, err)
	}
	_, err = ed.Open(k, crypto.KeyUsageAPReqAuthenticator)
	var e *Error
	if !errors.Is(err, crypto.ErrIntegrity) || !errors.As(err, &e) || e.Struct != "EncryptedData" {
		t.Errorf("wrong usage: %v", err)
	}
	_, err = ed.Open(testKey(t, crypto.AES128CTSHMACSHA196, 1), crypto.KeyUsageAPRepEncPart)
	if !errors.Is(err, ErrEncTypeMismatch) {
		t.Errorf("wrong key type: %v", err)
	}
	if _, err := Seal(testKey(t, crypto.AES128CTSHMACSHA196, 1), 1, nil, nil); !errors.Is(err, crypto.ErrMalformed) {
		t.Errorf("no random source: %v", err)
	}
}

func TestDecryptHelpersOpenEachEncryptedPart(t *testing.T) {
	t.Parallel()
	svc := testKey(t, crypto.AES256CTSHMACSHA384192, 2)
	sess := testKey(t, crypto.AES128CTSHMACSHA256128, 3)
	seal := func(k crypto.Key, usage uint32, m interface{ Marshal() ([]byte, error) }) EncryptedData {
		ed, err := Seal(k, usage, mustMarshal(t, m), zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		return ed
	}

	tkt := Ticket{Realm: "CONTOSO.COM", SName: samplePrincipal(), EncPart: seal(svc, crypto.KeyUsageKDCRepTicket, sampleEncTktPart())}
	if got, err := tkt.Decrypt(svc); err != nil || !equalValues(got, sampleEncTktPart()) {
		t.Errorf("Ticket.Decrypt: %+v, %v", got, err)
	}

	part := sampleEncKDCRepPart()
	part.MsgType = MsgTypeEncASRepPart
	rep := sampleKDCRep(MsgTypeASRep)
	rep.EncPart = seal(sess, crypto.KeyUsageASRepEncPart, part)
	if got, err := rep.Decrypt(sess, crypto.KeyUsageASRepEncPart); err != nil || !equalValues(got, part) {
		t.Errorf("KDCRep.Decrypt: %+v, %v", got, err)
	}

	ap := &APReq{Ticket: tkt, Authenticator: seal(sess, crypto.KeyUsageTGSReqAuthenticator, sampleAuthenticator())}
	if got, err := ap.DecryptAuthenticator(sess, crypto.KeyUsageTGSReqAuthenticator); err != nil || !equalValues(got, sampleAuthenticator()) {
		t.Errorf("APReq.DecryptAuthenticator: %+v, %v", got, err)
	}

	encAPRep := &EncAPRepPart{CTime: sampleTime, CUSec: 5, SeqNumber: new(uint32(9))}
	aprep := &APRep{EncPart: seal(sess, crypto.KeyUsageAPRepEncPart, encAPRep)}
	if got, err := aprep.Decrypt(sess); err != nil || !equalValues(got, encAPRep) {
		t.Errorf("APRep.Decrypt: %+v, %v", got, err)
	}

	cred := &KRBCred{Tickets: []Ticket{tkt}, EncPart: seal(sess, crypto.KeyUsageKRBCredEncPart, sampleEncCredPart())}
	if got, err := cred.Decrypt(sess); err != nil || !equalValues(got, sampleEncCredPart()) {
		t.Errorf("KRBCred.Decrypt: %+v, %v", got, err)
	}
	// The "null" encryption of delegated credentials inside a GSS-API token.
	null := &KRBCred{Tickets: []Ticket{tkt}, EncPart: EncryptedData{EType: 0, Cipher: mustMarshal(t, sampleEncCredPart())}}
	if got, err := null.Decrypt(crypto.Key{}); err != nil || !equalValues(got, sampleEncCredPart()) {
		t.Errorf("KRBCred.Decrypt (etype 0): %+v, %v", got, err)
	}
}

func TestEncryptedTimestampPreauthRoundTrips(t *testing.T) {
	t.Parallel()
	k := testKey(t, crypto.AES256CTSHMACSHA196, 4)
	ts := PAEncTSEnc{PATimestamp: sampleTime, PAUSec: new(int32(999999))}
	pa, err := NewPAEncTimestamp(k, ts, zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	if pa.Type != PATypeEncTimestamp {
		t.Errorf("type %v", pa.Type)
	}
	got, err := OpenPAEncTimestamp(pa.Value, k)
	if err != nil || !equalValues(got, &ts) {
		t.Errorf("got %+v, %v", got, err)
	}
	if _, err := OpenPAEncTimestamp(pa.Value, testKey(t, crypto.AES256CTSHMACSHA196, 5)); !errors.Is(err, crypto.ErrIntegrity) {
		t.Errorf("wrong key: %v", err)
	}
}

func TestEncryptionKeyConvertsAndNeverPrintsItsBytes(t *testing.T) {
	t.Parallel()
	k := testKey(t, crypto.AES128CTSHMACSHA196, 0x5a)
	ek := NewEncryptionKey(k)
	back, err := ek.Key()
	if err != nil || !bytes.Equal(back.Bytes(), k.Bytes()) || back.Type != k.Type {
		t.Fatalf("Key(): %v", err)
	}
	if _, err := sampleKeyblock().Key(); !errors.Is(err, crypto.ErrUnsupported) {
		t.Errorf("des-cbc-crc key: %v", err)
	}
	a := &Authenticator{Subkey: &ek}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("k", "key", ek)
	for _, s := range []string{
		fmt.Sprint(ek), fmt.Sprintf("%x", ek), fmt.Sprintf("%#v", ek), fmt.Sprintf("%+v", *a),
		fmt.Sprintf("%v", EncKDCRepPart{Key: ek}), logged.String(),
	} {
		if strings.Contains(s, "5a5a") || strings.Contains(s, "ZZZZ") || strings.Contains(s, "90 90") {
			t.Errorf("key bytes printed: %s", s)
		}
		if !strings.Contains(s, "REDACTED") {
			t.Errorf("no REDACTED in %s", s)
		}
	}
}

func TestPACIsFoundInsideADIfRelevant(t *testing.T) {
	t.Parallel()
	pac := []byte("PACTYPE")
	inner := AuthorizationData{{Type: ADWin2KPAC, Data: pac}}
	ifRel, err := IfRelevant(inner)
	if err != nil {
		t.Fatal(err)
	}
	ad := AuthorizationData{{Type: ADAndOr, Data: []byte{}}, ifRel}
	back, err := ParseAuthorizationData(mustMarshal(t, ad))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := back.PAC(); err != nil || !bytes.Equal(got, pac) {
		t.Errorf("PAC: %q, %v", got, err)
	}
	if got, err := back[1].IfRelevant(); err != nil || !equalValues(&got, &inner) {
		t.Errorf("IfRelevant: %+v, %v", got, err)
	}
	if _, err := back[0].IfRelevant(); !errors.Is(err, ErrUnexpectedTag) {
		t.Errorf("IfRelevant of AD-AND-OR: %v", err)
	}
	if got, err := (AuthorizationData{{Type: ADWin2KPAC, Data: pac}}).PAC(); err != nil || !bytes.Equal(got, pac) {
		t.Errorf("top-level PAC: %q, %v", got, err)
	}
	if got, err := (AuthorizationData{}).PAC(); got != nil || err != nil {
		t.Errorf("no PAC: %q, %v", got, err)
	}
	if _, err := append(ad, AuthorizationDataEntry{Type: ADWin2KPAC, Data: pac}).PAC(); !errors.Is(err, ErrBadValue) {
		t.Errorf("two PACs: %v", err)
	}
	// ktest.c's sample has ad-type 1 with contents "foobar": not AuthorizationData.
	if _, err := sampleAuthorizationData().PAC(); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed AD-IF-RELEVANT: %v", err)
	}
}

func TestKRBErrorEDataIsMethodDataWhenItParses(t *testing.T) {
	t.Parallel()
	info := mustMarshal(t, ETypeInfo2{{EType: crypto.AES256CTSHMACSHA196, Salt: new("CONTOSO.COMhostwebapp01.contoso.com")}})
	e := sampleError()
	e.ErrorCode, e.EData = KDCErrPreauthRequired, nil
	e.MethodData = MethodData{{Type: PATypeETypeInfo2, Value: info}, {Type: PATypeEncTimestamp, Value: []byte{}}}
	got, err := ParseKRBError(mustMarshal(t, e))
	if err != nil || !equalValues(got, e) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if pa, ok := got.MethodData.Find(PATypeETypeInfo2); !ok || !bytes.Equal(pa.Value, info) {
		t.Errorf("Find: %v %v", pa, ok)
	}
	var target *KRBError
	if !errors.As(error(got), &target) || target.Error() != "krb5: KDC_ERR_PREAUTH_REQUIRED (25): krb5data" {
		t.Errorf("as an error: %v", got)
	}

	// Windows' KERB-ERROR-DATA carrying KERB-EXT-ERROR is not METHOD-DATA.
	ext := make([]byte, 12)
	binary.LittleEndian.PutUint32(ext, 0xC0000072) // STATUS_ACCOUNT_DISABLED
	kerbErrData := cons(0x30, cons(0xa1, prim(0x02, []byte{3})), cons(0xa2, prim(0x04, ext))).bytes()
	e.MethodData, e.EData, e.ErrorCode = nil, kerbErrData, KDCErrClientRevoked
	got, err = ParseKRBError(mustMarshal(t, e))
	if err != nil || got.MethodData != nil || !bytes.Equal(got.EData, kerbErrData) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if st, ok := got.NTStatus(); !ok || st != 0xC0000072 {
		t.Errorf("NTStatus %08x %v", st, ok)
	}
	if _, ok := sampleError().NTStatus(); ok {
		t.Error("NTStatus of \"krb5data\"")
	}
}

func TestPeekAndParseMessageDispatchOnTheTag(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		typ, err := Peek(v.der)
		if v.der[0]&0xe0 != 0x60 {
			if !errors.Is(err, ErrUnexpectedTag) {
				t.Errorf("%s: Peek %v, %v", v.name, typ, err)
			}
			continue
		}
		if err != nil || byte(typ) != v.der[0]&0x1f {
			t.Errorf("%s: Peek %v, %v", v.name, typ, err)
		}
		m, err := ParseMessage(v.der)
		switch v.typ {
		case "KDCReq", "KDCRep", "APReq", "APRep", "KRBError", "KRBCred":
			if err != nil || m == nil {
				t.Errorf("%s: ParseMessage: %v", v.name, err)
			}
		default:
			if m != nil || !errors.Is(err, ErrUnexpectedTag) {
				t.Errorf("%s: ParseMessage: %T, %v", v.name, m, err)
			}
		}
	}
	if m, err := ParseMessage([]byte{0x6a, 0x01, 0x00}); m != nil || err == nil {
		t.Errorf("broken AS-REQ: %#v, %v", m, err)
	}
	if _, err := Peek(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("Peek(nil): %v", err)
	}
}

func TestRawReqBodyIsTheBodyAsSent(t *testing.T) {
	t.Parallel()
	body := sampleKDCReqBody()
	body.Nonce = 0x80000001
	req := sampleKDCReq(MsgTypeTGSReq, body, nil)
	der := mustMarshal(t, req)
	got, err := ParseKDCReq(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.RawReqBody, mustMarshal(t, &body)) {
		t.Errorf("RawReqBody differs from the encoded body")
	}
	// A body with the nonce written unsigned (accepted leniently) keeps
	// its bytes, so that a KDC checks the client's checksum over them.
	n := parseTree(t, der)
	n.at(0).field(t, 4).at(0).field(t, 7).at(0).val = []byte{0, 0x80, 0, 0, 1}
	got, err = ParseKDCReq(n.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := n.at(0).field(t, 4).at(0).bytes(); !bytes.Equal(got.RawReqBody, want) || got.ReqBody.Nonce != 0x80000001 {
		t.Errorf("RawReqBody %x, want %x", got.RawReqBody, want)
	}
}
