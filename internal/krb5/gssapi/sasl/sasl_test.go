package sasl

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// pair establishes an initiator and an acceptor with an in-process ticket.
func pair(t testing.TB, flags gssapi.Flags) (*gssapi.Initiator, *gssapi.Acceptor) {
	t.Helper()
	const realm = "CONTOSO.COM"
	now := time.Now()
	client := msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"node1$"}}
	sname := msg.PrincipalName{NameType: msg.NameTypeSrvHst, NameString: []string{"ldap", "dc1.contoso.com"}}
	svcKey, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := msg.EncTicketPart{Flags: msg.TicketFlagPreAuthent, Key: msg.NewEncryptionKey(sk), CRealm: realm, CName: client,
		AuthTime: now.Add(-time.Hour).Truncate(time.Second), EndTime: now.Add(time.Hour).Truncate(time.Second)}
	eb, err := enc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := msg.Seal(svcKey, crypto.KeyUsageKDCRepTicket, eb, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kvno := uint32(2)
	sealed.KVNO = &kvno
	tb, err := (&msg.Ticket{Realm: realm, SName: sname, EncPart: sealed}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kt := &keytab.Keytab{Entries: []keytab.Entry{{
		Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: sname.NameString, Realm: realm},
		KVNO:      kvno, Key: svcKey}}}
	ini, err := gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: tb, SessionKey: sk, Client: client, ClientRealm: realm,
		Flags: flags, Now: time.Now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := gssapi.NewAcceptor(gssapi.AcceptorConfig{Keytab: kt, Now: time.Now, Rand: rand.Reader, ReplayCache: &gssapi.MemoryReplayCache{}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := ini.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := acc.Step(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, done, err := ini.Step(rep); err != nil || !done {
		t.Fatalf("AP-REP: done %v, %v", done, err)
	}
	return ini, acc
}

const allFlags = gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg

func TestNegotiate(t *testing.T) {
	all := LayerNone | LayerIntegrity | LayerConfidentiality
	tests := []struct {
		name          string
		offer, want   Layer
		chosen        Layer
		wantErr       bool
		clientMaxSent uint32
	}{
		{name: "strongest of all", offer: all, want: all, chosen: LayerConfidentiality, clientMaxSent: 65536},
		{name: "sign only wanted", offer: all, want: LayerIntegrity, chosen: LayerIntegrity, clientMaxSent: 65536},
		{name: "none sends max 0", offer: all, want: LayerNone, chosen: LayerNone, clientMaxSent: 0},
		{name: "server offers only sign", offer: LayerIntegrity | LayerNone, want: LayerConfidentiality | LayerIntegrity, chosen: LayerIntegrity, clientMaxSent: 65536},
		{name: "nothing in common", offer: LayerNone, want: LayerConfidentiality, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ini, acc := pair(t, allFlags)
			offer, err := Offer(&acc.Context, tt.offer, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			reply, chosen, smax, err := Negotiate(&ini.Context, offer, tt.want, 65536, "u:node1$")
			if tt.wantErr {
				if !errors.Is(err, ErrNegotiation) {
					t.Fatalf("got %v, want ErrNegotiation", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if chosen != tt.chosen || smax != 1<<20 {
				t.Fatalf("chosen %s max %d", chosen, smax)
			}
			got, cmax, authz, err := Accept(&acc.Context, reply, tt.offer)
			if err != nil {
				t.Fatal(err)
			}
			if got != chosen || cmax != tt.clientMaxSent || authz != "u:node1$" {
				t.Fatalf("server saw %s %d %q", got, cmax, authz)
			}
		})
	}
}

func TestAcceptRefusesUnofferedOrSeveral(t *testing.T) {
	ini, acc := pair(t, allFlags)
	for _, b := range []byte{byte(LayerConfidentiality), byte(LayerIntegrity | LayerConfidentiality), 0} {
		tok, err := ini.Wrap([]byte{b, 0, 1, 0}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := Accept(&acc.Context, tok, LayerNone|LayerIntegrity); !errors.Is(err, ErrNegotiation) {
			t.Errorf("layer %#x: got %v", b, err)
		}
	}
}

func TestFramesRoundTrip(t *testing.T) {
	for _, layer := range []Layer{LayerIntegrity, LayerConfidentiality} {
		t.Run(layer.String(), func(t *testing.T) {
			ini, acc := pair(t, allFlags)
			msgs := [][]byte{[]byte("hello"), bytes.Repeat([]byte("x"), 5000), {0}}
			var stream []byte
			for _, m := range msgs {
				f, err := Frame(&ini.Context, layer, 1024, m) // 5000 octets: several buffers
				if err != nil {
					t.Fatal(err)
				}
				stream = append(stream, f...)
			}
			if layer == LayerConfidentiality && bytes.Contains(stream, []byte("hello")) {
				t.Fatal("sealed stream carries the plaintext")
			}
			// One byte at a time, then everything at once.
			for _, chunk := range []int{1, 7, len(stream)} {
				acc2 := acc
				if chunk != 1 {
					ini2, a2 := pair(t, allFlags)
					acc2 = a2
					stream = nil
					for _, m := range msgs {
						f, _ := Frame(&ini2.Context, layer, 1024, m)
						stream = append(stream, f...)
					}
				}
				fr := &FrameReader{Max: 1024}
				var got []byte
				for i := 0; i < len(stream); i += chunk {
					fr.Write(stream[i:min(i+chunk, len(stream))])
					for {
						tok, err := fr.Next()
						if err != nil {
							t.Fatal(err)
						}
						if tok == nil {
							break
						}
						if len(tok) > 1024 {
							t.Fatalf("token of %d", len(tok))
						}
						pt, err := Unframe(&acc2.Context, layer, tok)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, pt...)
					}
				}
				if want := bytes.Join(msgs, nil); !bytes.Equal(got, want) || fr.Buffered() != 0 {
					t.Fatalf("chunk %d: got %d octets, want %d", chunk, len(got), len(want))
				}
			}
		})
	}
}

func TestIntegrityTokenRefusedOnSealedLayer(t *testing.T) {
	ini, acc := pair(t, allFlags)
	tok, err := ini.Wrap([]byte("x"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unframe(&acc.Context, LayerConfidentiality, tok); !errors.Is(err, ErrFrame) {
		t.Fatalf("got %v", err)
	}
}

func TestOversizeAndEmptyFramesRefused(t *testing.T) {
	for _, h := range [][]byte{{0, 0, 4, 1}, {0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0}} {
		fr := &FrameReader{Max: 1024}
		fr.Write(h)
		if _, err := fr.Next(); !errors.Is(err, ErrFrame) {
			t.Errorf("%x: FrameReader got %v", h, err)
		}
		if _, err := ReadFrame(bytes.NewReader(h), 1024); !errors.Is(err, ErrFrame) {
			t.Errorf("%x: ReadFrame got %v", h, err)
		}
	}
	if _, err := ReadFrame(iotest.OneByteReader(bytes.NewReader([]byte{0, 0, 0, 3, 1, 2})), 1024); err != io.ErrUnexpectedEOF {
		t.Errorf("short buffer: %v", err)
	}
}

// FuzzFrameReader feeds arbitrary streams in arbitrary pieces: the push
// reader and the pull reader must agree, never panic, and never return a
// token over the maximum.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 'h', 'i', 0, 0, 0, 1, 'x'}, uint8(3), uint16(100))
	f.Add([]byte{0, 0, 0, 0}, uint8(1), uint16(10))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, uint8(2), uint16(10))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8, max uint16) {
		c := int(chunk) + 1
		fr := &FrameReader{Max: uint32(max)}
		var push [][]byte
		var pushErr error
	loop:
		for i := 0; i < len(stream); i += c {
			fr.Write(stream[i:min(i+c, len(stream))])
			for {
				tok, err := fr.Next()
				if err != nil {
					pushErr = err
					break loop
				}
				if tok == nil {
					break
				}
				if len(tok) == 0 || len(tok) > int(max) {
					t.Fatalf("token of %d octets, max %d", len(tok), max)
				}
				push = append(push, tok)
			}
		}
		r := iotest.OneByteReader(bytes.NewReader(stream))
		var pull [][]byte
		for {
			tok, err := ReadFrame(r, uint32(max))
			if err != nil {
				if (pushErr != nil) != errors.Is(err, ErrFrame) {
					t.Fatalf("push error %v, pull error %v", pushErr, err)
				}
				break
			}
			pull = append(pull, tok)
		}
		if len(push) != len(pull) {
			t.Fatalf("push %d tokens, pull %d", len(push), len(pull))
		}
		for i := range push {
			if !bytes.Equal(push[i], pull[i]) {
				t.Fatalf("token %d differs", i)
			}
		}
	})
}
