package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// DefaultTimeout bounds one LDAP operation when neither Options.Timeout nor
// the context's deadline is shorter.
const DefaultTimeout = 30 * time.Second

// closeTimeout bounds how long Close waits for go-ldap's goroutines.
const closeTimeout = 2 * time.Second

// Options say how [Dial] reaches a DC.
type Options struct {
	// Server is "host", "host:port", "ldap://host[:port]" or
	// "ldaps://host[:port]". A bare host means ldap:// on 389.
	Server string
	// StartTLS upgrades an ldap:// connection with the StartTLS extended
	// operation before anything else is sent. Not allowed with ldaps://.
	StartTLS bool
	// CAFile is a PEM file of CAs to trust for the DC's certificate.
	// RootCAs, if set, is used instead. With neither, the system pool.
	CAFile  string
	RootCAs *x509.CertPool
	// ServerName is the name to verify in the DC's certificate; default
	// the host of Server.
	ServerName string
	// Timeout bounds each operation (and the dial); the context's deadline
	// wins when it is sooner. Default DefaultTimeout.
	Timeout time.Duration
}

// Conn is a connection to one DC. It is safe for concurrent use, but its
// calls serialize: go-ldap's timeout is per connection, so two calls with
// different contexts cannot overlap. Dial more than one Conn for parallel
// work.
type Conn struct {
	mu      sync.Mutex
	l       *ldap.Conn
	raw     net.Conn  // the TCP connection under TLS; closing it ends every pending call
	sc      *saslConn // between go-ldap (or TLS) and raw; carries a GSSAPI security layer
	host    string    // the DC's name for a default SPN: Options.ServerName or the host of Server
	timeout time.Duration
	tlsConf *tls.Config
	server  string // the URL dialled, for messages

	// confidential is true when the transport encrypts (TLS, or a
	// sealed SASL layer). The DC refuses secrets otherwise.
	confidential atomic.Bool
	// boundAs names the bound identity (never its secret), for hints.
	boundAs atomic.Pointer[string]

	rootDSE atomic.Pointer[RootDSE] // cached by RootDSE
}

// bound returns the bound identity, "" before a bind.
func (c *Conn) bound() string {
	if p := c.boundAs.Load(); p != nil {
		return *p
	}
	return ""
}

// endpoint is a parsed Options.Server.
type endpoint struct {
	scheme, host, port string
}

func parseServer(s string) (endpoint, error) {
	if s == "" {
		return endpoint{}, errors.New("no server given")
	}
	if !strings.Contains(s, "://") {
		s = "ldap://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("server %q: %v", s, err)
	}
	if u.Scheme != "ldap" && u.Scheme != "ldaps" {
		return endpoint{}, fmt.Errorf("server %q: scheme %q (want ldap or ldaps)", s, u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return endpoint{}, fmt.Errorf("server %q: only scheme, host and port are allowed", s)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return endpoint{}, fmt.Errorf("server %q: no host", s)
	}
	if port == "" {
		port = "389"
		if u.Scheme == "ldaps" {
			port = "636"
		}
	}
	return endpoint{scheme: u.Scheme, host: host, port: port}, nil
}

func (e endpoint) String() string {
	return e.scheme + "://" + net.JoinHostPort(e.host, e.port)
}

// Dial connects to the DC opt.Server names; ctx bounds the TCP dial, the TLS
// handshake and StartTLS. The connection is not bound: call a bind method.
func Dial(ctx context.Context, opt Options) (*Conn, error) {
	ep, err := parseServer(opt.Server)
	if err != nil {
		return nil, &Error{Op: "dial", Err: err}
	}
	fail := func(err error) (*Conn, error) {
		return nil, &Error{Op: "dial " + ep.String(), Err: err}
	}
	if opt.StartTLS && ep.scheme == "ldaps" {
		return fail(errors.New("StartTLS is for ldap:// only; ldaps:// is TLS already"))
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	wantTLS := ep.scheme == "ldaps" || opt.StartTLS
	var tlsConf *tls.Config
	if wantTLS {
		tlsConf = &tls.Config{ServerName: opt.ServerName, RootCAs: opt.RootCAs, MinVersion: tls.VersionTLS12}
		if tlsConf.ServerName == "" {
			tlsConf.ServerName = ep.host
		}
		if tlsConf.RootCAs == nil && opt.CAFile != "" {
			pem, err := os.ReadFile(opt.CAFile)
			if err != nil {
				return fail(err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fail(fmt.Errorf("CA file %s: no PEM certificate in it", opt.CAFile))
			}
			tlsConf.RootCAs = pool
		}
	}

	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", net.JoinHostPort(ep.host, ep.port))
	if err != nil {
		return fail(ctxErr(ctx, err))
	}
	sc := &saslConn{Conn: raw}
	var nc net.Conn = sc
	if ep.scheme == "ldaps" {
		tc := tls.Client(sc, tlsConf)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return fail(ctxErr(ctx, fmt.Errorf("TLS handshake: %w", err)))
		}
		nc = tc
	}
	l := ldap.NewConn(nc, ep.scheme == "ldaps")
	l.Start()
	host := opt.ServerName
	if host == "" {
		host = ep.host
	}
	c := &Conn{l: l, raw: raw, sc: sc, host: host, timeout: timeout, tlsConf: tlsConf, server: ep.String()}
	c.confidential.Store(ep.scheme == "ldaps")
	if opt.StartTLS {
		err := c.do(ctx, func() error { return c.l.StartTLS(tlsConf) })
		if err != nil {
			c.Close()
			return fail(err)
		}
		c.confidential.Store(true)
	}
	return c, nil
}

// do runs one go-ldap call under ctx. go-ldap v3 takes no context on most
// operations, so the context is mapped onto what it has:
//   - its per-connection request timeout is set to the sooner of
//     Options.Timeout and the context's deadline, so a call waits no longer
//     than the caller allows;
//   - if the context is cancelled while the call runs, the TCP connection
//     under go-ldap is closed. go-ldap's reader then fails every pending
//     call at once, which returns within the time the kernel needs to close
//     a socket rather than at a server's whim. The Conn is unusable after
//     that, which is the honest state: the server may still be working on
//     the request. (Closing go-ldap's own Conn instead could block on its
//     message mutex, held by the very call we want to stop.)
//
// c.mu serializes calls because the timeout is per connection.
func (c *Conn) do(ctx context.Context, f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout, fromCtx := c.timeout, false
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout, fromCtx = d, true
		}
		if timeout <= 0 {
			return context.DeadlineExceeded
		}
	}
	c.l.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	start := time.Now()
	err := f()
	if !stop() {
		// The context ended during the call and the connection is gone.
		return ctxErr(ctx, err)
	}
	if err != nil && fromCtx && ldap.IsErrorWithCode(err, ldap.ErrorNetwork) && time.Since(start) >= timeout {
		// go-ldap's timer, set from the deadline, fired a moment before
		// the context's own.
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	if err != nil {
		return ctxErr(ctx, err)
	}
	return nil
}

// ctxErr prefers the context's error when the context has ended, keeping
// the underlying error too.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if err == nil {
			return cerr
		}
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// Confidential reports whether the connection encrypts what it carries
// (TLS or a sealed GSSAPI layer). The DC hands out msDS-ManagedPassword only then.
func (c *Conn) Confidential() bool { return c.confidential.Load() }

// TLSConnectionState returns the TLS state when the connection is TLS —
// for channel bindings of a later GSSAPI bind.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	return c.l.TLSConnectionState()
}

// Close ends the connection: go-ldap's message loop is stopped (waiting at
// most closeTimeout) and the socket closed. Pending calls fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l.SetTimeout(closeTimeout)
	done := make(chan struct{})
	go func() {
		// go-ldap's Close waits for its message loop; bound it.
		c.l.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeTimeout):
	}
	c.raw.Close()
	return nil
}
