package transport

import (
	"context"
	"errors"
	"net"
	"time"
)

// Defaults of [Options].
const (
	// DefaultUDPTimeout bounds one UDP attempt: MIT's sendto_kdc moves on
	// to the next address after 1 s too.
	DefaultUDPTimeout = time.Second
	// DefaultTCPTimeout bounds one TCP attempt, connection included: a
	// refused connection fails at once, so this only matters for a KDC that
	// accepts and stays silent.
	DefaultTCPTimeout = 3 * time.Second
	// DefaultMaxReplySize bounds a TCP reply; a PAC-laden AS-REP or TGS-REP
	// of a user in many groups is tens of kilobytes.
	DefaultMaxReplySize = 1 << 20
)

// maxUDPReply is the largest UDP payload over IPv4 and IPv6.
const maxUDPReply = 65535

// Options are the knobs of a [Client]. The zero value means MIT's
// behaviour and this package's defaults.
type Options struct {
	// UDPTimeout and TCPTimeout bound each attempt (default
	// DefaultUDPTimeout, DefaultTCPTimeout). The ctx given to RoundTrip
	// bounds the whole exchange.
	UDPTimeout time.Duration
	TCPTimeout time.Duration
	// UDPPreferenceLimit overrides krb5.conf's udp_preference_limit: a
	// request longer than this many bytes is tried over TCP first. 1 means
	// TCP first always. 0 takes the configuration's value (MIT default 1465).
	UDPPreferenceLimit int
	// MaxReplySize bounds a TCP reply's length prefix (default
	// DefaultMaxReplySize).
	MaxReplySize int
	// DNSServer, "host:port", sends every DNS query (SRV records, KDC host
	// names) to that server over the Go resolver instead of the system's —
	// the --dns-server flag. Ignored when Resolver is set.
	DNSServer string
	// Resolver resolves SRV records and host names; default
	// net.DefaultResolver.
	Resolver *net.Resolver
	// Trace, when set, is called after every attempt with its outcome
	// (Err nil for the one that answered), on the caller's goroutine.
	Trace func(Attempt)
}

// Client sends Kerberos requests to the KDCs of a realm, as krb5.conf and
// DNS describe them. It implements internal/krb5/client's Transport. It
// holds no connections between calls and is safe for concurrent use.
type Client struct {
	cfg      *Config
	resolver *net.Resolver
	opt      Options
}

// New returns a Client for cfg (nil is an empty configuration: every realm
// is found through DNS).
func New(cfg *Config, opt Options) *Client {
	if cfg == nil {
		cfg, _ = ParseConfig(nil)
	}
	if opt.UDPTimeout <= 0 {
		opt.UDPTimeout = DefaultUDPTimeout
	}
	if opt.TCPTimeout <= 0 {
		opt.TCPTimeout = DefaultTCPTimeout
	}
	if opt.MaxReplySize <= 0 {
		opt.MaxReplySize = DefaultMaxReplySize
	}
	if opt.UDPPreferenceLimit <= 0 {
		opt.UDPPreferenceLimit = cfg.LibDefaults.UDPPreferenceLimit
	}
	r := opt.Resolver
	if r == nil && opt.DNSServer != "" {
		r = ResolverFor(opt.DNSServer)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return &Client{cfg: cfg, resolver: r, opt: opt}
}

// ResolverFor returns a Go resolver that sends every query to the DNS
// server at addr ("host:port"), over UDP or TCP as the resolver chooses.
func ResolverFor(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// Config returns the configuration the Client was made with.
func (c *Client) Config() *Config { return c.cfg }

// RoundTrip sends req, a DER KDC request, to the KDCs of realm in the
// order [Client.Discover] returns them and returns the first reply: per
// KDC, UDP then TCP, or TCP then UDP when req is longer than the UDP
// preference limit, or only the protocol the entry names; a UDP reply that
// is KRB_ERR_RESPONSE_TOO_BIG moves on to TCP at the same KDC (RFC 4120
// §7.2.1). A failure (timeout, refused connection, bad framing) moves on.
// Other KRB-ERRORs are replies like any other. When nothing answered the
// error is an [*Error] matching [ErrNoKDC], and the ctx error if ctx ended.
func (c *Client) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	kdcs, err := c.Discover(ctx, realm)
	if err != nil {
		return nil, err
	}
	fail := &Error{Realm: realm, Err: ErrNoKDC}
	record := func(a Attempt) {
		fail.Attempts = append(fail.Attempts, a)
		if c.opt.Trace != nil {
			c.opt.Trace(a)
		}
	}
	for _, k := range kdcs {
		protos := c.protocols(k, len(req))
		if protos == nil {
			record(Attempt{Network: k.Protocol.String(), Addr: k.Addr(), Err: ErrUnsupported})
			continue
		}
		for i, p := range protos {
			if err := ctxDone(ctx); err != nil {
				fail.Err = err
				return nil, fail
			}
			a := Attempt{Network: p.String(), Addr: k.Addr()}
			var reply []byte
			if p == ProtocolUDP {
				reply, a.Err = c.exchangeUDP(ctx, a.Addr, req)
			} else {
				reply, a.Err = c.exchangeTCP(ctx, a.Addr, req)
			}
			if a.Err == nil && p == ProtocolUDP && tooBig(reply) {
				if i+1 < len(protos) {
					a.Err = errResponseTooBig
					record(a)
					continue
				}
				if k.Protocol == ProtocolUDP {
					record(a) // no TCP allowed here: the client sees the KRB-ERROR
					return reply, nil
				}
				a.Err = errResponseTooBig // TCP already failed on this KDC
			}
			record(a)
			if a.Err == nil {
				return reply, nil
			}
			if err := ctxDone(ctx); err != nil {
				fail.Err = err
				return nil, fail
			}
		}
	}
	return nil, fail
}

// ctxDone is ctx.Err, also when the deadline has passed but ctx's timer
// has not fired yet: an attempt cut short by the deadline must not be
// followed by another.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

var errResponseTooBig = errors.New("KRB_ERR_RESPONSE_TOO_BIG")

// protocols is the order in which to try a KDC, as MIT's sendto_kdc: UDP
// first when the request is at most the UDP preference limit.
func (c *Client) protocols(k KDC, size int) []Protocol {
	switch k.Protocol {
	case ProtocolUDP:
		return []Protocol{ProtocolUDP}
	case ProtocolTCP:
		return []Protocol{ProtocolTCP}
	case ProtocolHTTPS:
		return nil
	}
	if size > c.opt.UDPPreferenceLimit {
		return []Protocol{ProtocolTCP, ProtocolUDP}
	}
	return []Protocol{ProtocolUDP, ProtocolTCP}
}
