package kdc

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

func readFrame(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("reading the reply's length: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func errorCode(t *testing.T, b []byte) msg.ErrorCode {
	t.Helper()
	e, err := msg.ParseKRBError(b)
	if err != nil {
		t.Fatalf("reply is not a KRB-ERROR: %v", err)
	}
	return e.ErrorCode
}

// Over TCP: a malformed request gets KRB_ERR_GENERIC and the connection
// stays open; a frame over MaxRequestSize gets KRB_ERR_FIELD_TOO_LONG and
// the connection is closed; an idle connection is closed after ReadTimeout.
func TestTCPBounds(t *testing.T) {
	t.Parallel()
	s := serve(t, func(k *KDC) { k.MaxRequestSize = 4096; k.ReadTimeout = 300 * time.Millisecond })
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// An AS-REQ tag with nothing valid inside.
	if err := writeFrame(c, []byte{0x6a, 0x03, 0x30, 0x01, 0x00}); err != nil {
		t.Fatal(err)
	}
	if code := errorCode(t, readFrame(t, c)); code != msg.KRBErrGeneric {
		t.Errorf("malformed request: %v", code)
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], 1<<20)
	if _, err := c.Write(hdr[:]); err != nil {
		t.Fatal(err)
	}
	if code := errorCode(t, readFrame(t, c)); code != msg.KRBErrFieldTooLong {
		t.Errorf("oversized request: %v", code)
	}
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after an oversized request the connection is still open: read %d, %v", n, err)
	}

	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF after the read timeout", err)
	}
}

// A reply too large for a datagram is KRB_ERR_RESPONSE_TOO_BIG over UDP,
// and a client retries over TCP and logs on.
func TestUDPResponseTooBig(t *testing.T) {
	t.Parallel()
	s := serve(t, func(k *KDC) {
		admin := k.Backend.(*testDir).get("Administrator")
		for i := range 200 { // a PAC of some 6 KiB
			admin.GroupSIDs = append(admin.GroupSIDs, mustSID("S-1-5-21-1-2-3").WithRID(uint32(2000+i)))
		}
	})
	cfg, err := transport.LoadConfig(s.krb5conf(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	var attempts []transport.Attempt
	tr := transport.New(cfg, transport.Options{Trace: func(a transport.Attempt) { attempts = append(attempts, a) }})
	c := &client.Client{Transport: tr, Now: time.Now, Rand: rand.Reader}
	tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, 0)
	if len(tgt.Ticket) < DefaultMaxUDPReply {
		t.Fatalf("ticket of %d bytes is not large enough for this test", len(tgt.Ticket))
	}
	var sawUDP, sawTCP bool
	for _, a := range attempts {
		sawUDP = sawUDP || a.Network == "udp"
		sawTCP = sawTCP || a.Network == "tcp" && a.Err == nil
	}
	if !sawUDP || !sawTCP {
		t.Errorf("attempts %v: want UDP first, then TCP", attempts)
	}
}
