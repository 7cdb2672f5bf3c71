package directory

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
)

// saslConn sits between go-ldap and the TCP connection. Until a GSSAPI
// bind installs a security layer it passes bytes through untouched; after
// that every write becomes length-prefixed Wrap tokens and every read is
// unwrapped (RFC 4752 §3.1, RFC 4422 §3.7).
//
// The switch happens while nothing is in flight (see [Conn.BindGSSAPI]),
// but go-ldap's reader goroutine is then already blocked in Read on the
// TCP connection. So Read decides, when bytes arrive, whether they are
// protected: it loads the layer after the TCP read returns. The server
// sends nothing between its final BindResponse and the answer to our next
// request, and that request is written after the switch, so any byte
// arriving after the switch is protected.
type saslConn struct {
	net.Conn
	layer atomic.Pointer[saslLayer]

	rmu   sync.Mutex
	plain []byte // unwrapped, not yet returned
	rbuf  []byte
	rerr  error // from the TCP connection, returned once buffered bytes are used
	ferr  error // sticky: the stream is unusable after a bad buffer

	wmu sync.Mutex // wrap tokens carry sequence numbers: writes stay in order
}

type saslLayer struct {
	ctx     *gssapi.Context
	layer   sasl.Layer
	peerMax uint32
	fr      sasl.FrameReader // used under saslConn.rmu only
}

// enable installs the layer; from now on writes are wrapped and bytes read
// are unwrapped.
func (s *saslConn) enable(ctx *gssapi.Context, layer sasl.Layer, ourMax, peerMax uint32) {
	s.layer.Store(&saslLayer{ctx: ctx, layer: layer, peerMax: peerMax, fr: sasl.FrameReader{Max: ourMax}})
}

// protected reports the installed layer, 0 when none.
func (s *saslConn) protected() sasl.Layer {
	if l := s.layer.Load(); l != nil {
		return l.layer
	}
	return 0
}

func (s *saslConn) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		if len(s.plain) > 0 {
			n := copy(p, s.plain)
			s.plain = s.plain[n:]
			return n, nil
		}
		if s.ferr != nil {
			return 0, s.ferr
		}
		l := s.layer.Load()
		if l == nil {
			if s.rerr != nil {
				return 0, s.rerr
			}
			n, err := s.Conn.Read(p)
			if l = s.layer.Load(); l == nil || n == 0 {
				return n, err
			}
			// The layer came on while we waited: these bytes are
			// protected.
			l.fr.Write(p[:n])
			clear(p[:n])
			s.rerr = err
			continue
		}
		tok, err := l.fr.Next()
		if err != nil {
			s.ferr = err
			continue
		}
		if tok != nil {
			pt, err := sasl.Unframe(l.ctx, l.layer, tok)
			if err != nil {
				s.ferr = err
				continue
			}
			s.plain = pt
			continue
		}
		if s.rerr != nil {
			return 0, s.rerr
		}
		if s.rbuf == nil {
			s.rbuf = make([]byte, 32<<10)
		}
		n, err := s.Conn.Read(s.rbuf)
		l.fr.Write(s.rbuf[:n])
		if err != nil {
			if n == 0 {
				return 0, err
			}
			s.rerr = err
		}
	}
}

func (s *saslConn) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	l := s.layer.Load()
	if l == nil {
		return s.Conn.Write(p)
	}
	b, err := sasl.Frame(l.ctx, l.layer, l.peerMax, p)
	if err != nil {
		return 0, err
	}
	if _, err := s.Conn.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
