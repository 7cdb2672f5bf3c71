package ldapserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// Object identifiers the server itself implements.
const (
	OIDStartTLS       = "1.3.6.1.4.1.1466.20037"  // RFC 4511 §4.14
	OIDWhoAmI         = "1.3.6.1.4.1.4203.1.11.3" // RFC 4532
	OIDNotice         = "1.3.6.1.4.1.1466.20036"  // Notice of Disconnection, RFC 4511 §4.4.1
	OIDPagedResults   = "1.2.840.113556.1.4.319"  // RFC 2696
	defaultMaxMessage = 4 << 20
	defaultMaxConns   = 1000
	defaultMaxEntries = 100000
	defaultIdle       = 15 * time.Minute
	maxPagedPerConn   = 16
	handshakeTimeout  = 30 * time.Second
	writeBuffer       = 32 << 10
)

// Handler is the directory behind the server (internal/lab implements it).
// Every method gets the operation's context, cancelled when the operation
// is abandoned, when the connection closes, and for a search at its time
// limit, and the connection the operation arrived on.
type Handler interface {
	Bind(ctx context.Context, c *Conn, r *BindRequest) BindResult
	Search(ctx context.Context, c *Conn, r *SearchRequest, w *SearchWriter) Result
	Add(ctx context.Context, c *Conn, r *AddRequest) Result
	Modify(ctx context.Context, c *Conn, r *ModifyRequest) Result
	Delete(ctx context.Context, c *Conn, r *DeleteRequest) Result
	ModifyDN(ctx context.Context, c *Conn, r *ModifyDNRequest) Result
	// Compare returns CompareTrue or CompareFalse on success.
	Compare(ctx context.Context, c *Conn, r *CompareRequest) Result
}

// PlaintextLimit is implemented by a SecurityLayer whose peer bounds the
// size of a buffer: MaxPlaintext is the most plaintext one wrapped buffer
// may carry, and larger PDUs are split across buffers.
type PlaintextLimit interface {
	MaxPlaintext() int
}

// SecurityLayer is a SASL security layer (RFC 4422 §3.7) that a bind
// installs with [Conn.InstallSecurityLayer]. Wrap protects an outgoing
// PDU, Unwrap checks and opens an incoming buffer, MaxIncoming bounds the
// size of an incoming buffer, and Confidential reports whether the layer
// encrypts.
type SecurityLayer interface {
	Wrap(p []byte) ([]byte, error)
	Unwrap(p []byte) ([]byte, error)
	MaxIncoming() int
	Confidential() bool
}

// Server serves LDAP connections to a Handler. The zero values of the limits
// select their defaults. A Server may serve several listeners at once;
// MaxConns counts the connections of all of them.
type Server struct {
	Handler Handler
	// TLSConfig is used by ServeTLS and by StartTLS; without it StartTLS is
	// answered with protocolError.
	TLSConfig *tls.Config
	// SupportedControls lists the control OIDs the handler understands; a
	// critical control not listed (paged results aside) fails the operation
	// with unavailableCriticalExtension.
	SupportedControls []string
	// MaxMessageSize bounds a request PDU (default 4 MiB); it is checked
	// against the BER length before the body is read.
	MaxMessageSize int
	// MaxConns bounds concurrent connections (default 1000); a connection
	// beyond it gets a Notice of Disconnection with code busy.
	MaxConns int
	// MaxSearchEntries caps the entries of one search whatever the client's
	// sizeLimit (default 100000); it also bounds a buffered paged search.
	MaxSearchEntries int
	// IdleTimeout closes a connection with no outstanding operation after
	// this long without a request (default 15 minutes, AD's MaxConnIdleTime).
	IdleTimeout time.Duration
	// Logger receives structured logs; nil discards them. Credentials and
	// attribute values are never logged.
	Logger *slog.Logger

	active atomic.Int64
	nextID atomic.Uint64
}

func (s *Server) maxMessage() int {
	if s.MaxMessageSize > 0 {
		return s.MaxMessageSize
	}
	return defaultMaxMessage
}

func (s *Server) maxConns() int64 {
	if s.MaxConns > 0 {
		return int64(s.MaxConns)
	}
	return defaultMaxConns
}

func (s *Server) maxEntries() int {
	if s.MaxSearchEntries > 0 {
		return s.MaxSearchEntries
	}
	return defaultMaxEntries
}

func (s *Server) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return defaultIdle
}

func (s *Server) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Serve accepts plain LDAP connections (which may upgrade with StartTLS)
// on l until ctx is cancelled; it then closes l and every connection and
// returns nil once they have ended. Any other Accept error is returned
// after the connections are closed.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.serve(ctx, l, false)
}

// ServeTLS is Serve for LDAPS: TLS from the first byte, with TLSConfig.
func (s *Server) ServeTLS(ctx context.Context, l net.Listener) error {
	if s.TLSConfig == nil {
		return errors.New("ldapserver: ServeTLS needs Server.TLSConfig")
	}
	return s.serve(ctx, l, true)
}

func (s *Server) serve(ctx context.Context, l net.Listener, tlsFirst bool) error {
	if s.Handler == nil {
		return errors.New("ldapserver: Server.Handler is nil")
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer func() {
		cancel() // ends every connection of this listener
		wg.Wait()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("ldapserver: accept on %s: %w", l.Addr(), err)
		}
		if s.active.Add(1) > s.maxConns() {
			s.active.Add(-1)
			s.log().Warn("ldap connection refused: too many connections", "remote", nc.RemoteAddr().String(), "max", s.maxConns())
			wg.Go(func() { s.refuse(nc, tlsFirst) })
			continue
		}
		wg.Go(func() {
			defer s.active.Add(-1)
			s.handle(ctx, nc, tlsFirst)
		})
	}
}

// refuse sends a Notice of Disconnection with code busy and closes nc.
func (s *Server) refuse(nc net.Conn, tlsFirst bool) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	var w io.Writer = nc
	if tlsFirst {
		tc := tls.Server(nc, s.TLSConfig)
		if err := tc.Handshake(); err != nil {
			return
		}
		w = tc
	}
	w.Write(notice(Busy, "too many connections").Bytes())
}

func notice(code ResultCode, msg string) *ber.Packet {
	return envelope(0, extendedResponse(Result{Code: code, Message: msg}, OIDNotice, nil), nil)
}

// Conn is one client connection: the state a handler sees and sets.
type Conn struct {
	srv    *Server
	id     uint64
	nc     net.Conn // the TCP connection
	remote net.Addr
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the reader goroutine.
	br *bufio.Reader
	in io.Reader

	wmu    sync.Mutex    // serializes writes
	out    *bufio.Writer // flushed after every PDU but search entries
	wlayer SecurityLayer

	mu           sync.Mutex
	tlsState     *tls.ConnectionState
	layer        SecurityLayer // installed, both directions
	pendingLayer SecurityLayer
	identity     any
	authzID      string
	saslState    any
	ops          map[int64]context.CancelFunc
	paged        map[string]*pagedState
	pagedOrder   []string
	lastActive   time.Time

	outstanding atomic.Int64
	busy        sync.WaitGroup
}

// ID returns a number unique to the connection within its Server.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// TLS returns the TLS state (LDAPS, or after StartTLS), or nil.
func (c *Conn) TLS() *tls.ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tlsState
}

// Confidential reports whether the connection is encrypted: TLS, or a
// SASL security layer with confidentiality.
func (c *Conn) Confidential() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tlsState != nil || (c.layer != nil && c.layer.Confidential())
}

// Identity returns what the handler set with SetIdentity on the last
// successful bind; nil when anonymous. Every Bind resets it to nil first.
func (c *Conn) Identity() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.identity
}

// SetIdentity records the bound identity; handlers call it from Bind.
func (c *Conn) SetIdentity(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.identity = v
}

// AuthzID returns the authorization identity WhoAmI reports ("dn:…",
// "u:DOMAIN\\name", or "" for anonymous). Every Bind resets it.
func (c *Conn) AuthzID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authzID
}

// SetAuthzID sets the identity WhoAmI reports.
func (c *Conn) SetAuthzID(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.authzID = s
}

// SASLState returns what the handler stored between the steps of a
// multi-step SASL bind. A simple bind resets it.
func (c *Conn) SASLState() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saslState
}

// SetSASLState stores state between the steps of a SASL bind.
func (c *Conn) SetSASLState(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.saslState = v
}

// InstallSecurityLayer is called by a handler during a successful SASL
// bind: right after the bind response is written, every PDU in both
// directions travels in RFC 4422 §3.7 buffers (a 4-octet big-endian length
// and l.Wrap(pdu)). It is ignored when the bind does not succeed, and
// replacing an installed layer is not supported (the bind fails with
// operationsError).
func (c *Conn) InstallSecurityLayer(l SecurityLayer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pendingLayer = l
}

// pagedState is a buffered paged search (see the package doc).
type pagedState struct {
	key       string
	items     []*ber.Packet // SearchResultEntry and SearchResultReference ops
	entries   int
	final     Result
	lastMsgID int64
}

type operation struct {
	msg    *message
	reqErr *requestError
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *Server) handle(ctx context.Context, nc net.Conn, tlsFirst bool) {
	c := &Conn{srv: s, id: s.nextID.Add(1), nc: nc, remote: nc.RemoteAddr(),
		ops: map[int64]context.CancelFunc{}, paged: map[string]*pagedState{}, lastActive: time.Now()}
	c.log = s.log().With("conn", c.id, "remote", c.remote.String())
	c.ctx, c.cancel = context.WithCancel(ctx)
	defer c.cancel()
	stop := context.AfterFunc(c.ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()

	var transport net.Conn = nc
	if tlsFirst {
		tc := tls.Server(nc, s.TLSConfig)
		hctx, hcancel := context.WithTimeout(c.ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		hcancel()
		if err != nil {
			c.log.Debug("ldaps handshake failed", "err", err)
			return
		}
		st := tc.ConnectionState()
		c.tlsState = &st
		transport = tc
	}
	c.br = bufio.NewReader(transport)
	c.in = c.br
	c.out = bufio.NewWriterSize(transport, writeBuffer)
	c.log.Debug("ldap connection opened", "tls", tlsFirst)

	idle := time.AfterFunc(s.idle(), c.checkIdle)
	defer idle.Stop()

	work := make(chan *operation, 32)
	var worker sync.WaitGroup
	worker.Go(func() {
		for op := range work {
			c.run(op)
			c.finish(op)
		}
	})
	defer func() {
		c.cancel()
		close(work)
		worker.Wait()
		c.log.Debug("ldap connection closed")
	}()

	for {
		pdu, err := c.readPDU()
		if err != nil {
			var de *decodeError
			if errors.As(err, &de) {
				c.log.Info("ldap protocol error, disconnecting", "err", err)
				c.write(notice(ProtocolError, de.msg))
			} else if !errors.Is(err, io.EOF) && c.ctx.Err() == nil {
				c.log.Debug("ldap read failed", "err", err)
			}
			return
		}
		c.touch()
		m, err := decodeMessage(pdu)
		var re *requestError
		if err != nil && !errors.As(err, &re) {
			c.log.Info("ldap protocol error, disconnecting", "err", err)
			msg := err.Error()
			var de *decodeError
			if errors.As(err, &de) {
				msg = de.msg
			}
			c.write(notice(ProtocolError, msg))
			return
		}
		switch op := m.Op.(type) {
		case *abandonRequest:
			c.abandon(op.ID)
			continue
		case *unbindRequest:
			c.log.Debug("ldap unbind")
			return
		}
		op := &operation{msg: m, reqErr: re}
		op.ctx, op.cancel = context.WithCancel(c.ctx)
		if m.Tag == appBindRequest || m.Tag == appExtendedRequest {
			// Run in the reader, after earlier operations, so that a new
			// layer or TLS applies exactly from the next PDU.
			if ext, ok := m.Op.(*extendedRequest); ok && ext.Name == OIDStartTLS && re == nil && c.outstanding.Load() > 0 {
				c.write(envelope(m.ID, extendedResponse(Result{Code: OperationsError,
					Message: "StartTLS with outstanding operations"}, "", nil), nil))
				op.cancel()
				continue
			}
			c.busy.Wait()
			c.start(op)
			c.run(op)
			c.finish(op)
			continue
		}
		c.start(op)
		work <- op
	}
}

func (c *Conn) start(op *operation) {
	c.busy.Add(1)
	c.outstanding.Add(1)
	c.mu.Lock()
	c.ops[op.msg.ID] = op.cancel
	c.mu.Unlock()
}

func (c *Conn) finish(op *operation) {
	op.cancel()
	c.mu.Lock()
	delete(c.ops, op.msg.ID)
	c.mu.Unlock()
	c.outstanding.Add(-1)
	c.busy.Done()
	c.touch()
}

func (c *Conn) touch() {
	c.mu.Lock()
	c.lastActive = time.Now()
	c.mu.Unlock()
}

// checkIdle closes the connection when it has been idle for IdleTimeout,
// or checks again when it will have been.
func (c *Conn) checkIdle() {
	if c.ctx.Err() != nil {
		return
	}
	c.mu.Lock()
	since := time.Since(c.lastActive)
	c.mu.Unlock()
	idle := c.srv.idle()
	if since >= idle && c.outstanding.Load() == 0 {
		c.log.Debug("ldap connection idle, closing", "idle", since.String())
		c.cancel()
		return
	}
	wait := idle - since
	if wait <= 0 {
		wait = idle
	}
	time.AfterFunc(wait, c.checkIdle)
}

func (c *Conn) abandon(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.ops[id]; ok {
		cancel()
	}
	for cookie, st := range c.paged {
		if st.lastMsgID == id {
			c.dropPagedLocked(cookie)
		}
	}
	c.log.Debug("ldap abandon", "target", id)
}

// readPDU reads one LDAPMessage, checking the BER header before the body.
func (c *Conn) readPDU() ([]byte, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(c.in, hdr[:2]); err != nil {
		return nil, err
	}
	if hdr[0] != 0x30 {
		return nil, errf("PDU starts with 0x%02x, want 0x30 (SEQUENCE)", hdr[0])
	}
	n, h := int(hdr[1]), 2
	switch {
	case n == 0x80:
		return nil, errf("indefinite length is not allowed in LDAP")
	case n > 0x84:
		return nil, errf("length of length %d octets too large", n&0x7f)
	case n > 0x80:
		k := n & 0x7f
		if _, err := io.ReadFull(c.in, hdr[2:2+k]); err != nil {
			return nil, err
		}
		n = 0
		for _, b := range hdr[2 : 2+k] {
			n = n<<8 | int(b)
		}
		h += k
	}
	if max := c.srv.maxMessage(); n > max {
		return nil, errf("PDU of %d octets exceeds the maximum of %d", n, max)
	}
	buf := make([]byte, h+n)
	copy(buf, hdr[:h])
	if _, err := io.ReadFull(c.in, buf[h:]); err != nil {
		return nil, err
	}
	return buf, nil
}

// write sends one LDAPMessage, through the security layer when one is
// installed.
func (c *Conn) write(p *ber.Packet) error { return c.send(p, true) }

// send writes one LDAPMessage; without flush it may wait in the buffer (for
// search entries, which a SearchResultDone always follows).
func (c *Conn) send(p *ber.Packet, flush bool) error {
	b := p.Bytes()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wlayer != nil {
		// The layer is a byte stream (RFC 4422 §3.7): a PDU larger than
		// the peer's buffer goes out in several buffers.
		chunk := len(b)
		if l, ok := c.wlayer.(PlaintextLimit); ok && l.MaxPlaintext() > 0 && l.MaxPlaintext() < chunk {
			chunk = l.MaxPlaintext()
		}
		var framed []byte
		for off := 0; off < len(b); off += chunk {
			w, err := c.wlayer.Wrap(b[off:min(off+chunk, len(b))])
			if err != nil {
				c.cancel()
				return fmt.Errorf("ldapserver: security layer wrap: %w", err)
			}
			framed = binary.BigEndian.AppendUint32(framed, uint32(len(w)))
			framed = append(framed, w...)
		}
		b = framed
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.idle()))
	_, err := c.out.Write(b)
	if err == nil && flush {
		err = c.out.Flush()
	}
	if err != nil {
		c.cancel()
	}
	return err
}

// saslReader yields the plaintext of RFC 4422 §3.7 buffers.
type saslReader struct {
	r   io.Reader
	l   SecurityLayer
	buf []byte
}

func (s *saslReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		var hdr [4]byte
		if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
			return 0, err
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if max := s.l.MaxIncoming(); max > 0 && int64(n) > int64(max) {
			return 0, errf("SASL buffer of %d octets exceeds the layer's maximum of %d", n, max)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(s.r, b); err != nil {
			return 0, err
		}
		plain, err := s.l.Unwrap(b)
		if err != nil {
			return 0, errf("SASL buffer rejected by the security layer: %v", err)
		}
		s.buf = plain
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// prefixConn reads first what a bufio.Reader already holds.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// criticalProblem returns the OID of a critical control nobody handles.
func (c *Conn) criticalProblem(controls []Control, paged bool) string {
	for _, ctl := range controls {
		if !ctl.Critical || slices.Contains(c.srv.SupportedControls, ctl.OID) || (paged && ctl.OID == OIDPagedResults) {
			continue
		}
		return ctl.OID
	}
	return ""
}

func (c *Conn) respond(op *operation, tag int, r Result, controls []Control) {
	if op.ctx.Err() != nil && c.ctx.Err() == nil {
		return // abandoned: no response (RFC 4511 §4.11)
	}
	c.log.Debug("ldap response", "msgid", op.msg.ID, "op", tag, "code", r.Code.String())
	c.write(envelope(op.msg.ID, resultPacket(ber.Tag(tag), r), controls))
}

func (c *Conn) run(op *operation) {
	m := op.msg
	tag := responseTag(m.Tag)
	// A bug in a handler costs its operation, not the server: the client
	// gets operationsError and the connection goes on.
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("ldap handler panicked", "msgid", m.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.respond(op, tag, Result{Code: OperationsError, Message: "internal error in the server (logged)"}, nil)
		}
	}()
	if op.reqErr != nil {
		c.log.Info("ldap request rejected", "msgid", m.ID, "code", op.reqErr.Code.String(), "err", op.reqErr.Msg)
		if m.Tag == appBindRequest {
			c.resetIdentity()
		}
		c.respond(op, tag, Result{Code: op.reqErr.Code, Message: op.reqErr.Msg}, nil)
		return
	}
	var controls []Control
	switch r := m.Op.(type) {
	case *BindRequest:
		controls = r.Controls
	case *SearchRequest:
		controls = r.Controls
	case *AddRequest:
		controls = r.Controls
	case *ModifyRequest:
		controls = r.Controls
	case *DeleteRequest:
		controls = r.Controls
	case *ModifyDNRequest:
		controls = r.Controls
	case *CompareRequest:
		controls = r.Controls
	case *extendedRequest:
		controls = r.Controls
	}
	if oid := c.criticalProblem(controls, m.Tag == appSearchRequest); oid != "" {
		if m.Tag == appBindRequest {
			c.resetIdentity()
		}
		c.respond(op, tag, Result{Code: UnavailableCriticalExtension, Message: "critical control " + oid + " is not supported"}, nil)
		return
	}
	h := c.srv.Handler
	switch r := m.Op.(type) {
	case *BindRequest:
		c.bind(op, r)
	case *SearchRequest:
		c.search(op, r)
	case *AddRequest:
		c.log.Debug("ldap add", "msgid", m.ID, "dn", r.DN)
		c.respond(op, tag, h.Add(op.ctx, c, r), nil)
	case *ModifyRequest:
		c.log.Debug("ldap modify", "msgid", m.ID, "dn", r.DN)
		c.respond(op, tag, h.Modify(op.ctx, c, r), nil)
	case *DeleteRequest:
		c.log.Debug("ldap delete", "msgid", m.ID, "dn", r.DN)
		c.respond(op, tag, h.Delete(op.ctx, c, r), nil)
	case *ModifyDNRequest:
		c.log.Debug("ldap modifydn", "msgid", m.ID, "dn", r.DN)
		c.respond(op, tag, h.ModifyDN(op.ctx, c, r), nil)
	case *CompareRequest:
		c.log.Debug("ldap compare", "msgid", m.ID, "dn", r.DN, "attr", r.Attr)
		c.respond(op, tag, h.Compare(op.ctx, c, r), nil)
	case *extendedRequest:
		c.extended(op, r)
	}
}

func (c *Conn) resetIdentity() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.identity, c.authzID, c.pendingLayer = nil, "", nil
}

func (c *Conn) bind(op *operation, r *BindRequest) {
	c.resetIdentity()
	if r.Simple != nil {
		c.SetSASLState(nil)
	}
	c.log.Debug("ldap bind", "msgid", op.msg.ID, "name", r.Name, "mechanism", r.Mechanism)
	res := c.srv.Handler.Bind(op.ctx, c, r)
	c.mu.Lock()
	pending := c.pendingLayer
	c.pendingLayer = nil
	if res.Code != Success {
		c.identity, c.authzID, pending = nil, "", nil
	} else if pending != nil && c.layer != nil {
		c.identity, c.authzID, pending = nil, "", nil
		res = BindResult{Result: Result{Code: OperationsError, Message: "a SASL security layer is already installed"}}
	}
	c.mu.Unlock()
	c.log.Debug("ldap bind result", "msgid", op.msg.ID, "code", res.Code.String(), "layer", pending != nil)
	c.write(envelope(op.msg.ID, bindResponse(res), nil))
	if pending != nil {
		c.wmu.Lock()
		c.wlayer = pending
		c.wmu.Unlock()
		c.mu.Lock()
		c.layer = pending
		c.mu.Unlock()
		c.in = &saslReader{r: c.br, l: pending}
	}
}

func (c *Conn) extended(op *operation, r *extendedRequest) {
	m := op.msg
	switch r.Name {
	case OIDWhoAmI:
		c.write(envelope(m.ID, extendedResponse(Result{Code: Success}, "", []byte(c.AuthzID())), nil))
	case OIDStartTLS:
		c.mu.Lock()
		already := c.tlsState != nil || c.layer != nil
		c.mu.Unlock()
		switch {
		case c.srv.TLSConfig == nil:
			c.write(envelope(m.ID, extendedResponse(Result{Code: ProtocolError, Message: "StartTLS is not available on this server"}, OIDStartTLS, nil), nil))
			return
		case already:
			c.write(envelope(m.ID, extendedResponse(Result{Code: OperationsError, Message: "TLS or a SASL security layer is already in place"}, OIDStartTLS, nil), nil))
			return
		}
		if err := c.write(envelope(m.ID, extendedResponse(Result{Code: Success}, OIDStartTLS, nil), nil)); err != nil {
			return
		}
		tc := tls.Server(prefixConn{Conn: c.nc, r: c.br}, c.srv.TLSConfig)
		hctx, cancel := context.WithTimeout(c.ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			c.log.Info("starttls handshake failed", "err", err)
			c.cancel()
			return
		}
		st := tc.ConnectionState()
		c.mu.Lock()
		c.tlsState = &st
		c.mu.Unlock()
		c.wmu.Lock()
		c.out = bufio.NewWriterSize(tc, writeBuffer)
		c.wmu.Unlock()
		c.br = bufio.NewReader(tc)
		c.in = c.br
		c.log.Debug("starttls established")
	default:
		c.write(envelope(m.ID, extendedResponse(Result{Code: ProtocolError, Message: "extended operation " + r.Name + " is not supported"}, "", nil), nil))
	}
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }

// Controls returns the control OIDs to publish as supportedControl in the
// root DSE: SupportedControls plus the paged results control the server
// implements itself.
func (s *Server) Controls() []string {
	out := slices.Clone(s.SupportedControls)
	if !slices.Contains(out, OIDPagedResults) {
		out = append(out, OIDPagedResults)
	}
	return out
}

// Extensions returns the extended operation OIDs to publish as
// supportedExtension in the root DSE: WhoAmI, and StartTLS when TLSConfig
// is set.
func (s *Server) Extensions() []string {
	out := []string{OIDWhoAmI}
	if s.TLSConfig != nil {
		out = append(out, OIDStartTLS)
	}
	return out
}
