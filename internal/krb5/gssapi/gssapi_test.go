package gssapi

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// exercise runs Wrap/Unwrap and MIC/VerifyMIC both ways, sealed and
// integrity-only, with RRC 0 and 28.
func exercise(t *testing.T, ini *Initiator, acc *Acceptor) {
	t.Helper()
	for _, rrc := range []uint16{0, 28} {
		ini.SetWrapRRC(rrc)
		acc.SetWrapRRC(rrc)
		for _, conf := range []bool{true, false} {
			for _, dir := range []struct {
				name     string
				from, to *Context
			}{{"initiator to acceptor", &ini.Context, &acc.Context}, {"acceptor to initiator", &acc.Context, &ini.Context}} {
				for _, size := range []int{0, 1, 27, 100} {
					pt := bytes.Repeat([]byte{byte(size)}, size)
					tok, err := dir.from.Wrap(pt, conf)
					if err != nil {
						t.Fatalf("%s rrc %d conf %v: Wrap: %v", dir.name, rrc, conf, err)
					}
					if got := int(tok[6])<<8 | int(tok[7]); got != int(rrc) {
						t.Fatalf("RRC field %d, want %d", got, rrc)
					}
					got, gotConf, err := dir.to.Unwrap(tok)
					if err != nil {
						t.Fatalf("%s rrc %d conf %v size %d: Unwrap: %v", dir.name, rrc, conf, size, err)
					}
					if !bytes.Equal(got, pt) || gotConf != conf {
						t.Fatalf("%s: Unwrap gave %x conf %v, want %x conf %v", dir.name, got, gotConf, pt, conf)
					}
					mic, err := dir.from.MIC(pt)
					if err != nil {
						t.Fatal(err)
					}
					if err := dir.to.VerifyMIC(pt, mic); err != nil {
						t.Fatalf("%s: VerifyMIC: %v", dir.name, err)
					}
				}
			}
		}
	}
}

func TestHandshakeAndMessagesForEveryFlagCombination(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	for f := Flags(0); f <= supportedFlags; f += 2 { // bit 0 (delegation) is never requested
		t.Run(f.String(), func(t *testing.T) {
			ic := initiatorConfig(ft)
			ic.Flags = f
			ini, acc := handshake(t, ic, acceptorConfig(ft))
			if got := acc.Client(); got != "alice@CONTOSO.COM" {
				t.Errorf("Client() = %q", got)
			}
			if got, want := acc.Flags()&^(FlagConf|FlagInteg), f&^(FlagConf|FlagInteg); got != want {
				t.Errorf("acceptor flags %v, want %v", got, want)
			}
			if acc.acceptorSubkey != (f&FlagMutual != 0) || ini.acceptorSubkey != acc.acceptorSubkey {
				t.Errorf("acceptor subkey in use: initiator %v, acceptor %v", ini.acceptorSubkey, acc.acceptorSubkey)
			}
			exercise(t, ini, acc)
		})
	}
}

func TestDelegationIsNeverRequested(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ic := initiatorConfig(ft)
	ic.Flags |= FlagDeleg
	_, acc := handshake(t, ic, acceptorConfig(ft))
	if acc.Flags()&FlagDeleg != 0 {
		t.Fatal("delegation was negotiated")
	}
}

func TestAcceptorExposesTheTicketsAuthorizationData(t *testing.T) {
	t.Parallel()
	pac := []byte("PAC bytes")
	inner, err := msg.AuthorizationData{{Type: msg.ADWin2KPAC, Data: pac}}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ft := issue(t, func(o *ticketOpts) {
		o.authData = msg.AuthorizationData{{Type: msg.ADIfRelevant, Data: inner}}
	})
	_, acc := handshake(t, initiatorConfig(ft), acceptorConfig(ft))
	got, err := acc.PAC()
	if err != nil || !bytes.Equal(got, pac) {
		t.Fatalf("PAC() = %q, %v", got, err)
	}
	if len(acc.AuthorizationData()) != 1 {
		t.Fatalf("AuthorizationData() has %d entries", len(acc.AuthorizationData()))
	}
	if s := acc.Service(); s != "HTTP/web.contoso.com@CONTOSO.COM" {
		t.Fatalf("Service() = %q", s)
	}
}

func TestAcceptorRefuses(t *testing.T) {
	t.Parallel()
	cb := []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")
	other := msg.PrincipalName{NameType: msg.NameTypeSrvHst, NameString: []string{"HTTP", "other.contoso.com"}}
	cases := []struct {
		name      string
		ticket    func(*ticketOpts)
		initiator func(*InitiatorConfig)
		acceptor  func(*AcceptorConfig, fakeTicket)
		expectErr error
	}{
		{
			name:      "channel bindings that differ",
			initiator: func(c *InitiatorConfig) { c.ChannelBindings = []byte("tls-server-end-point:another certificate") },
			acceptor:  func(c *AcceptorConfig, _ fakeTicket) { c.ChannelBindings = cb },
			expectErr: ErrChannelBinding,
		},
		{
			name:      "no channel bindings when the acceptor requires them",
			acceptor:  func(c *AcceptorConfig, _ fakeTicket) { c.ChannelBindings = cb },
			expectErr: ErrChannelBinding,
		},
		{
			name:      "a ticket for another service",
			ticket:    func(o *ticketOpts) { o.sname = other },
			acceptor:  func(c *AcceptorConfig, _ fakeTicket) { c.Service = "HTTP/web.contoso.com" },
			expectErr: ErrWrongService,
		},
		{
			name:   "a ticket for a service the keytab lacks",
			ticket: func(o *ticketOpts) { o.sname = other },
			acceptor: func(c *AcceptorConfig, _ fakeTicket) {
				c.Keytab = issue(t, nil).keytab // HTTP/web's key only
			},
			expectErr: ErrWrongService,
		},
		{
			name:      "a ticket sealed with another key of the same kvno",
			acceptor:  func(c *AcceptorConfig, _ fakeTicket) { c.Keytab = issue(t, nil).keytab },
			expectErr: ErrBadMIC,
		},
		{
			name:      "an authenticator six minutes fast",
			initiator: func(c *InitiatorConfig) { c.Now = clock(testNow.Add(6 * time.Minute)) },
			expectErr: ErrSkew,
		},
		{
			name:      "an authenticator six minutes slow",
			initiator: func(c *InitiatorConfig) { c.Now = clock(testNow.Add(-6 * time.Minute)) },
			expectErr: ErrSkew,
		},
		{
			name:      "an expired ticket",
			ticket:    func(o *ticketOpts) { o.end = testNow.Add(-10 * time.Minute) },
			expectErr: ErrSkew,
		},
		{
			name:      "a ticket not yet valid",
			ticket:    func(o *ticketOpts) { o.start = testNow.Add(10 * time.Minute) },
			expectErr: ErrSkew,
		},
		{
			name: "a skew outside a one-minute limit",
			initiator: func(c *InitiatorConfig) {
				c.Now = clock(testNow.Add(2 * time.Minute))
			},
			acceptor:  func(c *AcceptorConfig, _ fakeTicket) { c.MaxSkew = time.Minute },
			expectErr: ErrSkew,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ft := issue(t, tc.ticket)
			ic, ac := initiatorConfig(ft), acceptorConfig(ft)
			if tc.initiator != nil {
				tc.initiator(&ic)
			}
			if tc.acceptor != nil {
				tc.acceptor(&ac, ft)
			}
			_, _, err := tryHandshake(ic, ac)
			if !errors.Is(err, tc.expectErr) {
				t.Fatalf("got %v, want %v", err, tc.expectErr)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *Error", err)
			}
		})
	}
}

func TestAcceptorAcceptsMatchingChannelBindingsAndIgnoresUnexpectedOnes(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	cb := []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")
	ic, ac := initiatorConfig(ft), acceptorConfig(ft)
	ic.ChannelBindings, ac.ChannelBindings = cb, cb
	handshake(t, ic, ac)
	ic, ac = initiatorConfig(ft), acceptorConfig(ft)
	ic.ChannelBindings = cb // the acceptor does not check: MIT's behaviour
	handshake(t, ic, ac)
}

func TestAcceptorRefusesAReplayedAPReq(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	cache := &MemoryReplayCache{}
	ini, err := NewInitiator(initiatorConfig(ft))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := ini.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, expectErr := range []error{nil, ErrReplay} {
		ac := acceptorConfig(ft)
		ac.ReplayCache = cache
		acc, err := NewAcceptor(ac)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := acc.Step(tok); !errors.Is(err, expectErr) {
			t.Fatalf("attempt %d: got %v, want %v", i+1, err, expectErr)
		}
	}
}

func TestInitiatorRefusesAForgedAPRep(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ini, err := NewInitiator(initiatorConfig(ft))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := NewAcceptor(acceptorConfig(ft))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := ini.Step(nil)
	// Another initiator's AP-REP under the same session key: ctime differs.
	ic2 := initiatorConfig(ft)
	ic2.Now = clock(testNow.Add(time.Second))
	ini2, _ := NewInitiator(ic2)
	tok2, _, _ := ini2.Step(nil)
	if _, _, err := acc.Step(tok2); err != nil {
		t.Fatal(err)
	}
	acc2, _ := NewAcceptor(acceptorConfig(ft))
	rep2, _, err := acc2.Step(tok2)
	if err != nil {
		t.Fatal(err)
	}
	_ = tok
	if _, _, err := ini.Step(rep2); !errors.Is(err, ErrMutualFailed) {
		t.Fatalf("got %v, want ErrMutualFailed", err)
	}
	// An AP-REP under another session key.
	ini3, _ := NewInitiator(initiatorConfig(ft))
	ini3.Step(nil)
	ft2 := issue(t, nil)
	ini4, _ := NewInitiator(initiatorConfig(ft2))
	tok4, _, _ := ini4.Step(nil)
	acc4, _ := NewAcceptor(acceptorConfig(ft2))
	rep4, _, err := acc4.Step(tok4)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ini3.Step(rep4); !errors.Is(err, ErrMutualFailed) {
		t.Fatalf("got %v, want ErrMutualFailed", err)
	}
}

func TestPerMessageReplayAndReorder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		flags Flags
		// expect[i] is the error unwrapping tokens[order[i]].
		order  []int
		expect []error
	}{
		{"in order", FlagReplay | FlagSequence, []int{0, 1, 2}, []error{nil, nil, nil}},
		{"a duplicate with replay detection", FlagReplay, []int{0, 1, 1}, []error{nil, nil, ErrReplay}},
		{"late with replay detection only", FlagReplay, []int{0, 2, 1, 1}, []error{nil, nil, nil, ErrReplay}},
		{"late with sequencing", FlagReplay | FlagSequence, []int{0, 2, 1}, []error{nil, nil, ErrOutOfOrder}},
		{"a duplicate with sequencing", FlagSequence, []int{0, 2, 2}, []error{nil, nil, ErrReplay}},
		{"a duplicate without detection", 0, []int{0, 0, 1}, []error{nil, nil, nil}},
	}
	ft := issue(t, nil)
	for _, tc := range cases {
		for _, mic := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/mic=%v", tc.name, mic), func(t *testing.T) {
				ic := initiatorConfig(ft)
				ic.Flags = FlagMutual | tc.flags
				ini, acc := handshake(t, ic, acceptorConfig(ft))
				var toks [][]byte
				for i := range 3 {
					var tok []byte
					var err error
					if mic {
						tok, err = ini.MIC([]byte{byte(i)})
					} else {
						tok, err = ini.Wrap([]byte{byte(i)}, true)
					}
					if err != nil {
						t.Fatal(err)
					}
					toks = append(toks, tok)
				}
				for i, n := range tc.order {
					var err error
					if mic {
						err = acc.VerifyMIC([]byte{byte(n)}, toks[n])
					} else {
						_, _, err = acc.Unwrap(toks[n])
					}
					if !errors.Is(err, tc.expect[i]) {
						t.Fatalf("token %d (step %d): got %v, want %v", n, i, err, tc.expect[i])
					}
				}
			})
		}
	}
}

func TestSequenceWindowRefusesTokensOlderThanTheWindow(t *testing.T) {
	t.Parallel()
	w := seqWindow{replay: true, next: 10, seen: ^uint64(0)}
	if err := w.check(10 + windowSize + 5); err != nil {
		t.Fatal(err)
	}
	if err := w.check(11); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("got %v", err)
	}
	if err := w.check(9); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("got %v", err)
	}
	if err := w.check(10 + 67); err != nil { // late but inside the window
		t.Fatalf("got %v", err)
	}
}

func TestReflectedAndTamperedTokensAreRefused(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	for _, mutual := range []bool{true, false} {
		ic := initiatorConfig(ft)
		if !mutual {
			ic.Flags &^= FlagMutual
		}
		ini, acc := handshake(t, ic, acceptorConfig(ft))
		for _, conf := range []bool{true, false} {
			tok, err := ini.Wrap([]byte("hello"), conf)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := ini.Unwrap(tok); !errors.Is(err, ErrReflected) {
				t.Errorf("mutual %v conf %v: own token back: got %v, want ErrReflected", mutual, conf, err)
			}
			bad := append([]byte(nil), tok...)
			bad[len(bad)-1] ^= 1
			if _, _, err := acc.Unwrap(bad); !errors.Is(err, ErrBadMIC) {
				t.Errorf("mutual %v conf %v: altered token: got %v, want ErrBadMIC", mutual, conf, err)
			}
			// Clearing the sealed flag of a sealed token, or setting it on
			// a signed one, must not pass either.
			flip := append([]byte(nil), tok...)
			flip[2] ^= tokFlagSealed
			if _, _, err := acc.Unwrap(flip); err == nil {
				t.Errorf("mutual %v conf %v: sealed flag flipped: accepted", mutual, conf)
			}
			if _, _, err := acc.Unwrap(tok); err != nil {
				t.Errorf("mutual %v conf %v: the genuine token after the forgeries: %v", mutual, conf, err)
			}
		}
		mic, _ := acc.MIC([]byte("m"))
		if err := acc.VerifyMIC([]byte("m"), mic); !errors.Is(err, ErrReflected) {
			t.Errorf("own MIC back: got %v", err)
		}
		if err := ini.VerifyMIC([]byte("n"), mic); !errors.Is(err, ErrBadMIC) {
			t.Errorf("MIC over another message: got %v", err)
		}
	}
}

func TestContextRefusesUseBeforeEstablishment(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ini, err := NewInitiator(initiatorConfig(ft))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.Wrap([]byte("x"), true); !errors.Is(err, ErrState) {
		t.Fatalf("Wrap: %v", err)
	}
	if _, _, err := ini.Unwrap([]byte("x")); !errors.Is(err, ErrState) {
		t.Fatalf("Unwrap: %v", err)
	}
	ini, acc := handshake(t, initiatorConfig(ft), acceptorConfig(ft))
	if _, _, err := ini.Step(nil); !errors.Is(err, ErrState) {
		t.Fatalf("initiator Step after done: %v", err)
	}
	if _, _, err := acc.Step(nil); !errors.Is(err, ErrState) {
		t.Fatalf("acceptor Step after done: %v", err)
	}
}

func TestConfigsAreChecked(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	for _, mutate := range []func(*InitiatorConfig){
		func(c *InitiatorConfig) { c.Ticket = nil },
		func(c *InitiatorConfig) { c.Now = nil },
		func(c *InitiatorConfig) { c.Rand = nil },
		func(c *InitiatorConfig) { c.ClientRealm = "" },
	} {
		c := initiatorConfig(ft)
		mutate(&c)
		if _, err := NewInitiator(c); !errors.Is(err, ErrConfig) {
			t.Errorf("got %v", err)
		}
	}
	if _, err := NewAcceptor(AcceptorConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("got %v", err)
	}
}

func TestErrorsHoldNoKeyMaterial(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ic, ac := initiatorConfig(ft), acceptorConfig(ft)
	ac.Keytab = issue(t, nil).keytab
	_, _, err := tryHandshake(ic, ac)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, secret := range [][]byte{ft.sessionKey.Bytes(), ft.keytab.Entries[0].Key.Bytes()} {
		if strings.Contains(err.Error(), fmt.Sprintf("%x", secret)) || strings.Contains(err.Error(), string(secret)) {
			t.Fatalf("error %q holds key material", err)
		}
	}
}

func TestChannelBindingsTLSServerEndPoint(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		alg  x509.SignatureAlgorithm
		hash func([]byte) []byte
	}{
		{x509.ECDSAWithSHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{x509.ECDSAWithSHA384, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{x509.ECDSAWithSHA512, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
		{x509.ECDSAWithSHA1, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }}, // RFC 5929 §4.1: SHA-1 → SHA-256
	}
	for _, tc := range cases {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web.contoso.com"},
			NotBefore: testNow, NotAfter: testNow.Add(time.Hour), SignatureAlgorithm: tc.alg}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
		if err != nil {
			// Go refuses to sign with SHA-1; build the value from a SHA-256 certificate relabelled.
			cert := &x509.Certificate{Raw: []byte("certificate DER"), SignatureAlgorithm: tc.alg}
			want := append([]byte("tls-server-end-point:"), tc.hash(cert.Raw)...)
			if got := ChannelBindingsTLSServerEndPoint(cert); !bytes.Equal(got, want) {
				t.Errorf("%v: got %x, want %x", tc.alg, got, want)
			}
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte("tls-server-end-point:"), tc.hash(der)...)
		if got := ChannelBindingsTLSServerEndPoint(cert); !bytes.Equal(got, want) {
			t.Errorf("%v: got %x, want %x", tc.alg, got, want)
		}
	}
}

func TestBindingsHashIsMD5OfTheBindingsStruct(t *testing.T) {
	t.Parallel()
	app := []byte("tls-server-end-point:abc")
	raw := append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(app)), 0, 0, 0}, app...)
	if got, want := bindingsHash(app), md5.Sum(raw); got != want {
		t.Fatalf("got %x, want %x", got, want)
	}
	if bindingsHash(nil) != ([16]byte{}) {
		t.Fatal("no bindings must give a zero Bnd")
	}
}

// RFC 4121 §2 gives Wrap tokens the SEAL key usages even without
// confidentiality (MIT's k5sealv3.c does the same); SIGN is for MICs.
func TestKeyUsagesOfEachToken(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ini, _ := handshake(t, initiatorConfig(ft), acceptorConfig(ft))
	w, err := ini.Wrap([]byte("data"), false)
	if err != nil {
		t.Fatal(err)
	}
	signed := append([]byte("data"), w[:16]...)
	copy(signed[4+4:], []byte{0, 0, 0, 0}) // EC and RRC zero
	if err := crypto.VerifyChecksum(ini.key, crypto.KeyUsageInitiatorSeal, signed, w[16+4:]); err != nil {
		t.Fatalf("integrity-only Wrap is not under usage 24: %v", err)
	}
	m, err := ini.MIC([]byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.VerifyChecksum(ini.key, crypto.KeyUsageInitiatorSign, append([]byte("data"), m[:16]...), m[16:]); err != nil {
		t.Fatalf("MIC is not under usage 25: %v", err)
	}
}

func TestRC4SessionKeysAreRefused(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ic := initiatorConfig(ft)
	k, err := crypto.NewKey(crypto.RC4HMAC, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	ic.SessionKey = crypto.AllowRC4(k)
	if _, err := NewInitiator(ic); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
}

func TestAFailedContextIsNotResumed(t *testing.T) {
	t.Parallel()
	ft := issue(t, nil)
	ini, _ := NewInitiator(initiatorConfig(ft))
	tok, _, _ := ini.Step(nil)
	if _, _, err := ini.Step([]byte("not an AP-REP")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v", err)
	}
	acc, _ := NewAcceptor(acceptorConfig(ft))
	rep, _, _ := acc.Step(tok)
	if _, _, err := ini.Step(rep); !errors.Is(err, ErrState) {
		t.Fatalf("initiator resumed after an error: %v", err)
	}
	acc, _ = NewAcceptor(acceptorConfig(ft))
	if _, _, err := acc.Step([]byte("garbage")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v", err)
	}
	if _, _, err := acc.Step(tok); !errors.Is(err, ErrState) {
		t.Fatalf("acceptor resumed after an error: %v", err)
	}
}
