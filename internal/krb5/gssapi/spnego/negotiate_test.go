package spnego

import (
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

var (
	testNow  = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	alice    = msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"alice"}}
	oidNTLM  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	allFlags = gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg
)

// kdc issues alice a ticket for HTTP/web.contoso.com in-process and
// returns factories for both sides.
func kdc(t testing.TB) (func(gssapi.Flags) *gssapi.Initiator, AcceptorFactory) {
	t.Helper()
	svcKey, _ := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	sk, _ := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	enc := msg.EncTicketPart{Key: msg.NewEncryptionKey(sk), CRealm: "CONTOSO.COM", CName: alice, AuthTime: testNow.Add(-time.Hour), EndTime: testNow.Add(time.Hour)}
	eb, err := enc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := msg.Seal(svcKey, crypto.KeyUsageKDCRepTicket, eb, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tkt := msg.Ticket{Realm: "CONTOSO.COM", SName: msg.PrincipalName{NameType: msg.NameTypeSrvHst, NameString: []string{"HTTP", "web.contoso.com"}}, EncPart: sealed}
	tb, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kt := &keytab.Keytab{Entries: []keytab.Entry{{Principal: keytab.Principal{Components: []string{"HTTP", "web.contoso.com"}, Realm: "CONTOSO.COM"}, Key: svcKey}}}
	n := 0
	now := func() time.Time { n++; return testNow.Add(time.Duration(n) * time.Millisecond) }
	cache := &gssapi.MemoryReplayCache{}
	ini := func(f gssapi.Flags) *gssapi.Initiator {
		i, err := gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: tb, SessionKey: sk, Client: alice, ClientRealm: "CONTOSO.COM", Flags: f, Now: now, Rand: rand.Reader})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	acc := func() (*gssapi.Acceptor, error) {
		return gssapi.NewAcceptor(gssapi.AcceptorConfig{Keytab: kt, Now: now, Rand: rand.Reader, ReplayCache: cache})
	}
	return ini, acc
}

func TestInitiatorAndAcceptor(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	for _, flags := range []gssapi.Flags{allFlags, allFlags &^ gssapi.FlagMutual} {
		ini := NewInitiator(newIni(flags))
		k, _ := newAcc()
		acc := NewAcceptor(k)
		tok, done, err := ini.Step(nil)
		if err != nil || done {
			t.Fatalf("first step: %v %v", done, err)
		}
		rep, done, err := acc.Step(tok)
		if err != nil || !done {
			t.Fatalf("acceptor: %v %v", done, err)
		}
		resp, _ := ParseNegTokenResp(rep)
		if !resp.SupportedMech.Equal(OIDKerberos) || resp.NegState != NegStateAcceptCompleted || (resp.ResponseToken != nil) != (flags&gssapi.FlagMutual != 0) {
			t.Fatalf("flags %v: answer %+v", flags, resp)
		}
		out, done, err := ini.Step(rep)
		if err != nil || !done || out != nil {
			t.Fatalf("flags %v: initiator final step: %v %v %x", flags, done, err, out)
		}
		w, _ := ini.Kerberos().Wrap([]byte("ping"), true)
		if pt, _, err := acc.Kerberos().Unwrap(w); err != nil || string(pt) != "ping" {
			t.Fatalf("unwrap: %q %v", pt, err)
		}
		if acc.Kerberos().Client() != "alice@CONTOSO.COM" {
			t.Fatalf("client %q", acc.Kerberos().Client())
		}
	}
}

func TestAcceptorEchoesMicrosoftsOID(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	tok, _, _ := newIni(allFlags).Step(nil)
	init, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos, oidNTLM}, MechToken: tok}).Marshal()
	k, _ := newAcc()
	rep, done, err := NewAcceptor(k).Step(init)
	if err != nil || !done {
		t.Fatal(err)
	}
	resp, _ := ParseNegTokenResp(rep)
	if !resp.SupportedMech.Equal(OIDMSKerberos) || resp.MechListMIC != nil {
		t.Fatalf("answer %+v", resp)
	}
}

// When Kerberos is not the initiator's first choice the optimistic token
// cannot be used, and both sides must prove the mechanism list with a MIC.
func TestKerberosAsSecondChoiceNeedsMechListMICs(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	init := NegTokenInit{MechTypes: []asn1.ObjectIdentifier{oidNTLM, OIDKerberos}, MechToken: []byte("NTLMSSP")}
	ib, _ := init.Marshal()
	k, _ := newAcc()
	acc := NewAcceptor(k)
	out, done, err := acc.Step(ib)
	if err != nil || done {
		t.Fatalf("%v %v", done, err)
	}
	resp, _ := ParseNegTokenResp(out)
	if resp.NegState != NegStateAcceptIncomplete || !resp.SupportedMech.Equal(OIDKerberos) || resp.ResponseToken != nil {
		t.Fatalf("first answer %+v", resp)
	}
	krb := newIni(allFlags)
	apreq, _, _ := krb.Step(nil)
	leg2, _ := (&NegTokenResp{NegState: NegStateAbsent, ResponseToken: apreq}).Marshal()
	out, done, err = acc.Step(leg2)
	if err != nil || done {
		t.Fatalf("%v %v", done, err)
	}
	resp, _ = ParseNegTokenResp(out)
	if resp.MechListMIC == nil || resp.ResponseToken == nil {
		t.Fatalf("second answer %+v", resp)
	}
	if _, _, err := krb.Step(resp.ResponseToken); err != nil {
		t.Fatal(err)
	}
	if err := krb.VerifyMIC(init.MechTypesDER(), resp.MechListMIC); err != nil {
		t.Fatal(err)
	}
	// A MIC over another list (a downgrade) is refused.
	forged, _ := krb.MIC((&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDKerberos}}).MechTypesDER())
	bad, _ := (&NegTokenResp{NegState: NegStateAbsent, MechListMIC: forged}).Marshal()
	if _, _, err := acc.Step(bad); !errors.Is(err, ErrMechListMIC) {
		t.Fatalf("forged MIC: %v", err)
	}
}

func TestKerberosAsSecondChoiceCompletes(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	init := NegTokenInit{MechTypes: []asn1.ObjectIdentifier{oidNTLM, OIDKerberos}}
	ib, _ := init.Marshal()
	k, _ := newAcc()
	acc := NewAcceptor(k)
	if _, _, err := acc.Step(ib); err != nil {
		t.Fatal(err)
	}
	krb := newIni(allFlags)
	apreq, _, _ := krb.Step(nil)
	leg2, _ := (&NegTokenResp{NegState: NegStateAbsent, ResponseToken: apreq}).Marshal()
	out, _, err := acc.Step(leg2)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := ParseNegTokenResp(out)
	krb.Step(resp.ResponseToken)
	mic, _ := krb.MIC(init.MechTypesDER())
	leg3, _ := (&NegTokenResp{NegState: NegStateAbsent, MechListMIC: mic}).Marshal()
	out, done, err := acc.Step(leg3)
	if err != nil || !done {
		t.Fatalf("%v %v", done, err)
	}
	if resp, _ := ParseNegTokenResp(out); resp.NegState != NegStateAcceptCompleted {
		t.Fatalf("final answer %+v", resp)
	}
}

func TestAcceptorRejectsOffersWithoutKerberos(t *testing.T) {
	t.Parallel()
	_, newAcc := kdc(t)
	ib, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{oidNTLM}, MechToken: []byte("NTLMSSP")}).Marshal()
	k, _ := newAcc()
	out, _, err := NewAcceptor(k).Step(ib)
	if !errors.Is(err, ErrNoCommonMech) {
		t.Fatalf("got %v", err)
	}
	if resp, _ := ParseNegTokenResp(out); resp == nil || resp.NegState != NegStateReject {
		t.Fatalf("answer %+v", resp)
	}
}

func TestAcceptorTakesRawKerberos(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	tok, _, _ := newIni(allFlags).Step(nil)
	k, _ := newAcc()
	out, done, err := NewAcceptor(k).Step(tok)
	if err != nil || !done {
		t.Fatal(err)
	}
	if id, _, err := gssapi.ParseFrame(out); err != nil || id != gssapi.TokIDAPRep {
		t.Fatalf("answer is not a raw AP-REP: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	newIni, newAcc := kdc(t)
	tok, _, _ := NewInitiator(newIni(allFlags)).Step(nil)
	cases := []struct {
		name         string
		header       string
		expectStatus int
		expectWWW    string // prefix
		expectClient string
	}{
		{"no header", "", 401, "Negotiate", ""},
		{"Basic", "Basic YWJj", 401, "Negotiate", ""},
		{"bad base64", "Negotiate !!!", 400, "", ""},
		{"garbage token", "Negotiate YWJj", 400, "Negotiate", ""},
		{"a good token", Header(tok), 200, "Negotiate ", "alice@CONTOSO.COM"},
		{"the same token again", Header(tok), 401, "Negotiate", ""},
	}
	for _, tc := range cases {
		r := Authenticate(tc.header, newAcc)
		if r.Status != tc.expectStatus || len(r.WWWAuthenticate) < len(tc.expectWWW) || r.WWWAuthenticate[:len(tc.expectWWW)] != tc.expectWWW || r.Client() != tc.expectClient {
			t.Errorf("%s: got %d %q %q (%v)", tc.name, r.Status, r.WWWAuthenticate, r.Client(), r.Err)
		}
	}
}
