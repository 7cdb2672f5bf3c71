package directory

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// contextPair establishes an initiator (us) and an acceptor (the fake DC)
// with an in-process ticket.
func contextPair(t *testing.T) (*gssapi.Initiator, *gssapi.Acceptor) {
	t.Helper()
	const realm = "CONTOSO.COM"
	now := time.Now()
	cname := msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"node1$"}}
	sname := msg.PrincipalName{NameType: msg.NameTypeSrvHst, NameString: []string{"ldap", "dc1.contoso.com"}}
	svcKey, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := (&msg.EncTicketPart{Flags: msg.TicketFlagPreAuthent, Key: msg.NewEncryptionKey(sk), CRealm: realm, CName: cname,
		AuthTime: now.Add(-time.Hour).Truncate(time.Second), EndTime: now.Add(time.Hour).Truncate(time.Second)}).Marshal()
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
	ini, err := gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: tb, SessionKey: sk, Client: cname, ClientRealm: realm,
		Flags: gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg, Now: time.Now, Rand: rand.Reader})
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
		t.Fatalf("AP-REP: %t %v", done, err)
	}
	return ini, acc
}

type sconnPeer struct {
	sc   *saslConn
	peer net.Conn // the fake DC's end
	ini  *gssapi.Initiator
	acc  *gssapi.Acceptor
}

func newSconnPeer(t *testing.T) sconnPeer {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	ini, acc := contextPair(t)
	return sconnPeer{sc: &saslConn{Conn: a}, peer: b, ini: ini, acc: acc}
}

// frames wraps messages as the DC would.
func (p sconnPeer) frames(t *testing.T, layer sasl.Layer, msgs ...string) []byte {
	t.Helper()
	var out []byte
	for _, m := range msgs {
		f, err := sasl.Frame(&p.acc.Context, layer, 1<<16, []byte(m))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f...)
	}
	return out
}

func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSaslConnSwitchWhileReadBlocked is the bind's situation: go-ldap's
// reader is blocked in Read when the layer comes on; the bytes that then
// arrive are protected and must come out unwrapped.
func TestSaslConnSwitchWhileReadBlocked(t *testing.T) {
	for _, layer := range []sasl.Layer{sasl.LayerIntegrity, sasl.LayerConfidentiality} {
		t.Run(layer.String(), func(t *testing.T) {
			p := newSconnPeer(t)
			// Before the switch: clear bytes pass through both ways.
			go p.peer.Write([]byte("bind-response"))
			if got := readN(t, p.sc, 13); got != "bind-response" {
				t.Fatalf("clear read %q", got)
			}
			got := make(chan string, 1)
			go func() {
				b := make([]byte, 64)
				n, err := io.ReadAtLeast(p.sc, b, len("search-result"))
				if err != nil {
					got <- err.Error()
					return
				}
				got <- string(b[:n])
			}()
			time.Sleep(20 * time.Millisecond) // let the reader block
			p.sc.enable(&p.ini.Context, layer, 1<<16, 1<<16)
			// Our next request is wrapped.
			go func() {
				if _, err := p.sc.Write([]byte("search-request")); err != nil {
					t.Error(err)
				}
			}()
			tok, err := sasl.ReadFrame(p.peer, 1<<16)
			if err != nil {
				t.Fatal(err)
			}
			if layer == sasl.LayerConfidentiality && bytes.Contains(tok, []byte("search-request")) {
				t.Error("sealed request carries the plaintext")
			}
			pt, err := sasl.Unframe(&p.acc.Context, layer, tok)
			if err != nil || string(pt) != "search-request" {
				t.Fatalf("DC unwrapped %q, %v", pt, err)
			}
			if _, err := p.peer.Write(p.frames(t, layer, "search-result")); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != "search-result" {
					t.Fatalf("read %q", s)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocked read never returned")
			}
		})
	}
}

// TestSaslConnSplitAndCoalesced: buffers split byte by byte and several in
// one write all come out whole and in order.
func TestSaslConnSplitAndCoalesced(t *testing.T) {
	p := newSconnPeer(t)
	p.sc.enable(&p.ini.Context, sasl.LayerConfidentiality, 1<<16, 1<<16)
	stream := p.frames(t, sasl.LayerConfidentiality, "one", "two", string(bytes.Repeat([]byte("3"), 40000)), "four")
	go func() {
		for i := range 100 { // the first 100 bytes one at a time
			p.peer.Write(stream[i : i+1])
		}
		p.peer.Write(stream[100:]) // the rest at once
	}()
	want := "onetwo" + string(bytes.Repeat([]byte("3"), 40000)) + "four"
	if got := readN(t, p.sc, len(want)); got != want {
		t.Fatalf("got %d octets", len(got))
	}
}

func TestSaslConnOversizeRefused(t *testing.T) {
	p := newSconnPeer(t)
	p.sc.enable(&p.ini.Context, sasl.LayerIntegrity, 1024, 1<<16)
	go p.peer.Write(binary.BigEndian.AppendUint32(nil, 1025))
	_, err := p.sc.Read(make([]byte, 10))
	if !errors.Is(err, sasl.ErrFrame) {
		t.Fatalf("got %v", err)
	}
	// Sticky.
	if _, err := p.sc.Read(make([]byte, 10)); !errors.Is(err, sasl.ErrFrame) {
		t.Fatalf("second read: %v", err)
	}
}

func TestSaslConnRefusesUnsealedOnSealedLayer(t *testing.T) {
	p := newSconnPeer(t)
	p.sc.enable(&p.ini.Context, sasl.LayerConfidentiality, 1<<16, 1<<16)
	go p.peer.Write(p.frames(t, sasl.LayerIntegrity, "forged"))
	if _, err := p.sc.Read(make([]byte, 10)); !errors.Is(err, sasl.ErrFrame) {
		t.Fatalf("got %v", err)
	}
}

func TestSaslConnWriteSplitsAtPeerMax(t *testing.T) {
	p := newSconnPeer(t)
	p.sc.enable(&p.ini.Context, sasl.LayerConfidentiality, 1<<16, 1000)
	msg := bytes.Repeat([]byte("x"), 5000)
	go p.sc.Write(msg)
	var got []byte
	for len(got) < len(msg) {
		tok, err := sasl.ReadFrame(p.peer, 1000)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := sasl.Unframe(&p.acc.Context, sasl.LayerConfidentiality, tok)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, pt...)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("reassembled request differs")
	}
}
