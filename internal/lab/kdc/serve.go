package kdc

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// maxInFlight bounds the requests one server handles at once.
const maxInFlight = 256

// ServeUDP answers requests arriving on pc, one datagram each (RFC 4120
// §7.2.1), until ctx is done (then it returns nil) or pc fails. A reply
// larger than MaxUDPReply is replaced by KRB_ERR_RESPONSE_TOO_BIG. The
// caller closes pc.
func (k *KDC) ServeUDP(ctx context.Context, pc net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxInFlight)
	buf := make([]byte, 65535)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if n > k.maxRequestSize() {
			continue
		}
		req := append([]byte(nil), buf[:n]...)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			start := k.now()
			reply := k.Handle(ctx, req, addr)
			if reply == nil {
				return
			}
			if len(reply) > orDefault(k.MaxUDPReply, DefaultMaxUDPReply) {
				r, _ := msg.ParseKDCReq(req)
				reply = k.errorReply(refuse(msg.KRBErrResponseTooBig, "reply of %d bytes", len(reply)), r, start)
			}
			pc.WriteTo(reply, addr)
		})
	}
}

func (k *KDC) maxRequestSize() int { return orDefault(k.MaxRequestSize, DefaultMaxRequestSize) }

// ServeTCP answers requests on connections accepted from l, each framed by
// a 4-octet big-endian length (RFC 4120 §7.2.2), several per connection,
// until ctx is done (then it closes l, waits for the connections to end and
// returns nil) or l fails. A frame longer than MaxRequestSize, or with the
// reserved high bit set, gets KRB_ERR_FIELD_TOO_LONG and the connection is
// closed; so is one idle for longer than ReadTimeout.
func (k *KDC) ServeTCP(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxInFlight)
	for {
		conn, err := l.Accept()
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			return nil
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			k.serveConn(ctx, conn)
		})
	}
}

func (k *KDC) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	timeout := orDefault(k.ReadTimeout, DefaultReadTimeout)
	var hdr [4]byte
	for {
		conn.SetDeadline(time.Now().Add(timeout))
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 {
			return
		}
		if n&0x80000000 != 0 || uint64(n) > uint64(k.maxRequestSize()) {
			// RFC 4120 §7.2.2: an unsupported extension bit, or a
			// request too long to accept.
			writeFrame(conn, k.errorReply(refuse(msg.KRBErrFieldTooLong, "request of %d bytes", n), nil, k.now()))
			return
		}
		req := make([]byte, n)
		if _, err := io.ReadFull(conn, req); err != nil {
			return
		}
		reply := k.Handle(ctx, req, conn.RemoteAddr())
		if reply == nil || writeFrame(conn, reply) != nil {
			return
		}
	}
}

func writeFrame(w io.Writer, b []byte) error {
	if b == nil {
		return errors.New("no reply")
	}
	framed := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(framed, uint32(len(b)))
	copy(framed[4:], b)
	_, err := w.Write(framed)
	return err
}
