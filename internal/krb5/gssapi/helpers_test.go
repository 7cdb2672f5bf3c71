package gssapi

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

var (
	testNow    = time.Date(2026, 11, 27, 12, 0, 0, 123456000, time.UTC)
	alice      = msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"alice"}}
	webService = msg.PrincipalName{NameType: msg.NameTypeSrvHst, NameString: []string{"HTTP", "web.contoso.com"}}
)

const realm = "CONTOSO.COM"

// clock returns a Now that advances one millisecond per call, so that
// successive authenticators differ and the replay cache stays quiet.
func clock(start time.Time) func() time.Time {
	n := 0
	return func() time.Time { n++; return start.Add(time.Duration(n) * time.Millisecond) }
}

// kdc plays the KDC in-process: it issues a ticket for sname to alice,
// sealed with a service key that the returned keytab holds.
type fakeTicket struct {
	ticket     []byte
	sessionKey crypto.Key
	keytab     *keytab.Keytab
}

type ticketOpts struct {
	sname      msg.PrincipalName
	start, end time.Time
	authData   msg.AuthorizationData
	enc        crypto.EncType
}

func issue(t testing.TB, mutate func(*ticketOpts)) fakeTicket {
	t.Helper()
	o := ticketOpts{sname: webService, start: testNow.Add(-time.Hour), end: testNow.Add(9 * time.Hour), enc: crypto.AES256CTSHMACSHA196}
	if mutate != nil {
		mutate(&o)
	}
	svcKey, err := crypto.GenerateKey(o.enc, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.GenerateKey(o.enc, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := msg.EncTicketPart{
		Flags:             msg.TicketFlagForwardable | msg.TicketFlagPreAuthent,
		Key:               msg.NewEncryptionKey(sk),
		CRealm:            realm,
		CName:             alice,
		AuthTime:          o.start.Truncate(time.Second),
		EndTime:           o.end.Truncate(time.Second),
		AuthorizationData: o.authData,
	}
	eb, err := enc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := msg.Seal(svcKey, crypto.KeyUsageKDCRepTicket, eb, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kvno := uint32(3)
	sealed.KVNO = &kvno
	tkt := msg.Ticket{Realm: realm, SName: o.sname, EncPart: sealed}
	tb, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kt := &keytab.Keytab{Entries: []keytab.Entry{{
		Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: o.sname.NameString, Realm: realm},
		KVNO:      kvno, Key: svcKey,
	}}}
	return fakeTicket{ticket: tb, sessionKey: sk, keytab: kt}
}

func initiatorConfig(ft fakeTicket) InitiatorConfig {
	return InitiatorConfig{
		Ticket: ft.ticket, SessionKey: ft.sessionKey, Client: alice, ClientRealm: realm,
		Flags: FlagMutual | FlagReplay | FlagSequence | FlagConf | FlagInteg,
		Now:   clock(testNow), Rand: rand.Reader,
	}
}

func acceptorConfig(ft fakeTicket) AcceptorConfig {
	return AcceptorConfig{Keytab: ft.keytab, Now: clock(testNow), Rand: rand.Reader, ReplayCache: &MemoryReplayCache{}}
}

// handshake runs the context establishment to the end and fails the test
// on any error.
func handshake(t testing.TB, ic InitiatorConfig, ac AcceptorConfig) (*Initiator, *Acceptor) {
	t.Helper()
	ini, acc, err := tryHandshake(ic, ac)
	if err != nil {
		t.Fatal(err)
	}
	return ini, acc
}

func tryHandshake(ic InitiatorConfig, ac AcceptorConfig) (*Initiator, *Acceptor, error) {
	ini, err := NewInitiator(ic)
	if err != nil {
		return nil, nil, err
	}
	acc, err := NewAcceptor(ac)
	if err != nil {
		return nil, nil, err
	}
	tok, done, err := ini.Step(nil)
	if err != nil {
		return nil, nil, err
	}
	rep, adone, err := acc.Step(tok)
	if err != nil {
		return nil, nil, err
	}
	if !adone {
		panic("acceptor not done after one token")
	}
	if done != (rep == nil) {
		panic("initiator and acceptor disagree on mutual authentication")
	}
	if !done {
		if _, done, err = ini.Step(rep); err != nil {
			return nil, nil, err
		}
		if !done {
			panic("initiator not done after the AP-REP")
		}
	}
	return ini, acc, nil
}
