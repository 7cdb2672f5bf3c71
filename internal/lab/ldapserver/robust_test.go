package ldapserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"github.com/go-ldap/ldap/v3"
	"io"
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// rawClient speaks LDAP PDUs directly, for what go-ldap cannot send.
type rawClient struct {
	t     testing.TB
	conn  net.Conn
	r     *bufio.Reader
	layer SecurityLayer
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *rawClient) sendBytes(b []byte) {
	c.t.Helper()
	if c.layer != nil {
		w, _ := c.layer.Wrap(b)
		b = binary.BigEndian.AppendUint32(nil, uint32(len(w)))
		b = append(b, w...)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) send(id int64, op *ber.Packet, controls ...Control) {
	c.t.Helper()
	c.sendBytes(envelope(id, op, controls).Bytes())
}

func (c *rawClient) recv() (*ber.Packet, error) {
	if c.layer == nil {
		return ber.ReadPacket(c.r)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, err
	}
	plain, err := c.layer.Unwrap(b)
	if err != nil {
		return nil, err
	}
	return ber.DecodePacketErr(plain)
}

// expect reads one response and checks its message ID, protocolOp and code.
func (c *rawClient) expect(id int64, tag ber.Tag, code ResultCode) *ber.Packet {
	c.t.Helper()
	p, err := c.recv()
	if err != nil {
		c.t.Fatalf("reading the response to message %d: %v", id, err)
	}
	if len(p.Children) < 2 || len(p.Children[1].Children) < 3 {
		c.t.Fatalf("response to message %d is not an LDAPResult: %s", id, ber.DescribePacket(p))
	}
	gotID, _ := parseInt(p.Children[0].Data.Bytes(), "id")
	op := p.Children[1]
	gotCode, _ := parseInt(op.Children[0].Data.Bytes(), "code")
	if gotID != id || op.Tag != tag || ResultCode(gotCode) != code {
		c.t.Fatalf("response id %d op %d code %s, want id %d op %d code %s (%q)", gotID, op.Tag, ResultCode(gotCode), id, tag, code, op.Children[2].Data.String())
	}
	return op
}

// expectNotice reads a Notice of Disconnection with code, then EOF.
func (c *rawClient) expectNotice(code ResultCode) {
	c.t.Helper()
	op := c.expect(0, appExtendedResponse, code)
	if len(op.Children) < 4 || op.Children[3].Data.String() != OIDNotice {
		c.t.Errorf("unsolicited response without the notice OID")
	}
	c.expectClosed()
}

func (c *rawClient) expectClosed() {
	c.t.Helper()
	if p, err := c.recv(); err == nil {
		c.t.Fatalf("read %v after the end of the session, want EOF", p)
	} else {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatal("connection still open")
		}
	}
}

func whoAmIRequest() *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appExtendedRequest, nil, "")
	p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, OIDWhoAmI, ""))
	return p
}

func startTLSRequest() *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appExtendedRequest, nil, "")
	p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, OIDStartTLS, ""))
	return p
}

func searchRequest(base string, scope, timeLimit int64, f Filter) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appSearchRequest, nil, "")
	p.AppendChild(octetString(base))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, scope, ""))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, timeLimit, ""))
	p.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	p.AppendChild(f.packet())
	p.AppendChild(ber.NewSequence(""))
	return p
}

func bindRequest(version int64, name string, auth *ber.Packet) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appBindRequest, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, version, ""))
	p.AppendChild(octetString(name))
	p.AppendChild(auth)
	return p
}

func abandonRequestPDU(id int64) *ber.Packet {
	return ber.NewInteger(ber.ClassApplication, ber.TypePrimitive, appAbandonRequest, id, "")
}

var present = Filter{Kind: FilterPresent, Attr: "objectClass"}

func TestOversizedPDUDisconnectsBeforeReadingIt(t *testing.T) {
	env := startServer(t, func(s *Server) { s.MaxMessageSize = 1024 })
	c := dialRaw(t, env.ldap)
	// Header of a 1 MiB message, and only a few body bytes.
	c.sendBytes([]byte{0x30, 0x83, 0x10, 0x00, 0x00, 0x02, 0x01, 0x01})
	c.expectNotice(ProtocolError)
	// The server keeps serving.
	c2 := dialRaw(t, env.ldap)
	c2.send(1, whoAmIRequest())
	c2.expect(1, appExtendedResponse, Success)
}

func TestMalformedPDUs(t *testing.T) {
	env := startServer(t, nil)
	appTag := func(tag ber.Tag) *ber.Packet {
		return ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "")
	}
	tests := []struct {
		name string
		pdu  []byte
	}{
		{"HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00}},
		{"truncated inner element", []byte{0x30, 0x05, 0x02, 0x01, 0x01, 0x63, 0x10}},
		{"response op as request", envelope(1, appTag(appSearchDone), nil).Bytes()},
		{"unknown protocolOp", envelope(1, appTag(30), nil).Bytes()},
		{"message ID is a string", func() []byte {
			m := ber.NewSequence("")
			m.AppendChild(octetString("1"))
			m.AppendChild(whoAmIRequest())
			return m.Bytes()
		}()},
		{"search with 3 elements", envelope(1, func() *ber.Packet {
			p := appTag(appSearchRequest)
			p.AppendChild(octetString(""))
			p.AppendChild(octetString(""))
			p.AppendChild(octetString(""))
			return p
		}(), nil).Bytes()},
		{"filter with unknown tag", envelope(1, func() *ber.Packet {
			p := appTag(appSearchRequest)
			ref := searchRequest(baseDN, 0, 0, present)
			for i, c := range ref.Children {
				if i == 6 {
					c = ber.Encode(ber.ClassContext, ber.TypeConstructed, 12, nil, "")
				}
				p.AppendChild(c)
			}
			return p
		}(), nil).Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, env.ldap)
			c.sendBytes(tt.pdu)
			c.expectNotice(ProtocolError)
		})
	}
	c := dialRaw(t, env.ldap)
	c.send(1, whoAmIRequest())
	c.expect(1, appExtendedResponse, Success)
}

func TestRequestErrorsKeepTheSession(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	c.send(1, bindRequest(2, "", ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "", "")))
	c.expect(1, appBindResponse, ProtocolError)
	c.send(2, bindRequest(3, "", ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, "", "")))
	c.expect(2, appBindResponse, AuthMethodNotSupported)
	c.send(3, searchRequest(baseDN, 7, 0, present))
	c.expect(3, appSearchDone, ProtocolError)
	mod := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appModifyRequest, nil, "")
	mod.AppendChild(octetString(baseDN))
	changes := ber.NewSequence("")
	ch := ber.NewSequence("")
	ch.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 9, ""))
	pa := ber.NewSequence("")
	pa.AppendChild(octetString("cn"))
	pa.AppendChild(ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, ""))
	ch.AppendChild(pa)
	changes.AppendChild(ch)
	mod.AppendChild(changes)
	c.send(4, mod)
	c.expect(4, appModifyResponse, ProtocolError)
	c.send(5, whoAmIRequest())
	c.expect(5, appExtendedResponse, Success)
}

func TestMaxConns(t *testing.T) {
	env := startServer(t, func(s *Server) { s.MaxConns = 2 })
	a, b := dialRaw(t, env.ldap), dialRaw(t, env.ldap)
	for _, c := range []*rawClient{a, b} {
		c.send(1, whoAmIRequest())
		c.expect(1, appExtendedResponse, Success)
	}
	c := dialRaw(t, env.ldap)
	c.expectNotice(Busy)
	// The LDAPS listener shares the count: the notice comes inside TLS.
	tc, err := tls.Dial("tcp", env.ldaps, env.pki.clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	(&rawClient{t: t, conn: tc, r: bufio.NewReader(tc)}).expectNotice(Busy)
	tc.Close()
	a.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, env.ldap)
		c.send(1, whoAmIRequest())
		p, err := c.recv()
		if err == nil && p.Children[0].Data.Bytes()[0] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection accepted after one closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdleTimeout(t *testing.T) {
	env := startServer(t, func(s *Server) { s.IdleTimeout = 150 * time.Millisecond })
	c := dialRaw(t, env.ldap)
	start := time.Now()
	c.expectClosed()
	if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
		t.Errorf("closed after %v, want about 150ms", d)
	}
	// A long operation is not idleness.
	c = dialRaw(t, env.ldap)
	c.send(2, searchRequest(slowDN, 0, 0, present))
	<-env.handler.slowStarted
	time.Sleep(400 * time.Millisecond)
	c.send(3, abandonRequestPDU(2))
	if err := <-env.handler.slowDone; !errors.Is(err, context.Canceled) {
		t.Errorf("slow search ctx: %v, want canceled", err)
	}
	c.send(4, whoAmIRequest())
	c.expect(4, appExtendedResponse, Success)
}

func TestAbandonSlowSearch(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	c.send(2, searchRequest(slowDN, 0, 0, present))
	select {
	case <-env.handler.slowStarted:
	case <-time.After(5 * time.Second):
		t.Fatal("slow search did not start")
	}
	c.send(3, abandonRequestPDU(2))
	select {
	case err := <-env.handler.slowDone:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler ctx error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("abandon did not cancel the search")
	}
	// No SearchResultDone for the abandoned search: the next PDU answers 4.
	c.send(4, whoAmIRequest())
	c.expect(4, appExtendedResponse, Success)
}

func TestSearchTimeLimit(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	start := time.Now()
	c.send(2, searchRequest(slowDN, 0, 1, present))
	c.expect(2, appSearchDone, TimeLimitExceeded)
	if err := <-env.handler.slowDone; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("handler ctx error %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("time limit 1s answered after %v", d)
	}
}

func TestStartTLSWithOutstandingOperation(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	c.send(2, searchRequest(slowDN, 0, 0, present))
	<-env.handler.slowStarted
	c.send(3, startTLSRequest())
	c.expect(3, appExtendedResponse, OperationsError)
	c.send(4, abandonRequestPDU(2))
	<-env.handler.slowDone
	c.send(5, whoAmIRequest())
	c.expect(5, appExtendedResponse, Success)
}

func TestSASLSecurityLayerFraming(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	sasl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
	sasl.AppendChild(octetString("XOR-TEST"))
	c.send(1, bindRequest(3, "", sasl))
	// The bind response itself is still plain.
	resp := c.expect(1, appBindResponse, Success)
	if len(resp.Children) != 4 || resp.Children[3].Tag != 7 || resp.Children[3].Data.String() != "ok" {
		t.Errorf("bind response without serverSaslCreds")
	}
	c.layer = xorLayer{key: 0x5a}
	c.send(2, whoAmIRequest())
	op := c.expect(2, appExtendedResponse, Success)
	if got := op.Children[3].Data.String(); got != "dn:cn=sasl" {
		t.Errorf("WhoAmI through the layer = %q", got)
	}
	env.handler.mu.Lock()
	conn := env.handler.lastConn
	env.handler.mu.Unlock()
	if !conn.Confidential() || conn.TLS() != nil {
		t.Errorf("Confidential() = %v, TLS() = %v with a confidential SASL layer", conn.Confidential(), conn.TLS())
	}
	// Several PDUs in one buffer, and a search with entries.
	two := append(envelope(3, whoAmIRequest(), nil).Bytes(), envelope(4, searchRequest(baseDN, 0, 0, present), nil).Bytes()...)
	c.sendBytes(two)
	c.expect(3, appExtendedResponse, Success)
	if p, err := c.recv(); err != nil || p.Children[1].Tag != appSearchEntry {
		t.Fatalf("search entry through the layer: %v, %v", p, err)
	}
	c.expect(4, appSearchDone, Success)
	c.send(5, startTLSRequest())
	c.expect(5, appExtendedResponse, OperationsError)
	// A buffer the layer rejects ends the session.
	c.layer = nil
	c.sendBytes([]byte{0, 0, 0, 3, 'Y', 'Y', 'Y'})
	c.layer = xorLayer{key: 0x5a}
	c.expectNotice(ProtocolError)
}

func TestServeClosesConnectionsOnCancel(t *testing.T) {
	l, err := net.Listen("tcp", loopback()+":0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := newMemHandler()
	go func() { done <- (&Server{Handler: h}).Serve(ctx, l) }()
	c := dialRaw(t, l.Addr().String())
	c.send(1, whoAmIRequest())
	c.expect(1, appExtendedResponse, Success)
	c.send(2, searchRequest(slowDN, 0, 0, present))
	<-h.slowStarted
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if err := <-h.slowDone; !errors.Is(err, context.Canceled) {
		t.Errorf("running search saw %v, want canceled", err)
	}
	c.expectClosed()
}

func TestAbandonFreesPagedSearch(t *testing.T) {
	env := startServer(t, nil)
	c := dialRaw(t, env.ldap)
	people := "ou=people," + baseDN
	c.send(2, searchRequest(people, 1, 0, present), pagedControl(5, nil))
	var done *ber.Packet
	for entries := 0; ; entries++ {
		p, err := c.recv()
		if err != nil {
			t.Fatal(err)
		}
		if p.Children[1].Tag == appSearchDone {
			if entries != 5 {
				t.Fatalf("%d entries on the first page, want 5", entries)
			}
			done = p
			break
		}
	}
	if len(done.Children) != 3 {
		t.Fatal("first page without controls")
	}
	ctl, err := decodeControls(done.Children[2])
	if err != nil || len(ctl) != 1 || ctl[0].OID != OIDPagedResults {
		t.Fatalf("controls %v, %v", ctl, err)
	}
	_, cookie, err := decodePagedValue(ctl[0].Value)
	if err != nil || len(cookie) == 0 {
		t.Fatalf("cookie %x, %v", cookie, err)
	}
	c.send(3, abandonRequestPDU(2))
	c.send(4, searchRequest(people, 1, 0, present), pagedControl(5, cookie))
	c.expect(4, appSearchDone, UnwillingToPerform)
}

// TestHandlerPanic: a panicking handler costs its operation an
// operationsError, not the server: the same connection keeps working.
func TestHandlerPanic(t *testing.T) {
	env := startServer(t, nil)
	c := dialLDAPS(t, env)
	_, err := c.Search(ldap.NewSearchRequest(panicDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if ldapCode(err) != uint16(OperationsError) {
		t.Fatalf("search that panics: %v, want operationsError", err)
	}
	if _, err := c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil)); err != nil {
		t.Fatalf("the next search on the same connection: %v", err)
	}
}
