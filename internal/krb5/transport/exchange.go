package transport

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// attempt bounds one exchange by ctx and the per-attempt timeout, and makes
// a cancelled ctx unblock the connection's reads and writes.
func attempt(ctx context.Context, timeout time.Duration, conn net.Conn) (stop func()) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	// The callback runs only if ctx ends while the exchange is under way;
	// stop unregisters it when the exchange returns.
	unregister := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return func() { unregister() }
}

func (c *Client) dialer(ctx context.Context, timeout time.Duration) (*net.Dialer, context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return &net.Dialer{Resolver: c.resolver}, ctx, cancel
}

// exchangeUDP sends req in one datagram and reads one reply (RFC 4120
// §7.2.1). The socket is connected, so ICMP port unreachable shows as
// "connection refused" and datagrams from other addresses are dropped by
// the kernel.
func (c *Client) exchangeUDP(ctx context.Context, addr string, req []byte) ([]byte, error) {
	d, dctx, cancel := c.dialer(ctx, c.opt.UDPTimeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer attempt(dctx, c.opt.UDPTimeout, conn)()
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, maxUDPReply)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, err
	}
	return checkReply(buf[:n])
}

// exchangeTCP sends req with the 4-octet big-endian length prefix of RFC
// 4120 §7.2.2 and reads one reply framed the same way. The high bit of the
// length is reserved for extensions this package does not negotiate, so a
// reply with it set is refused, as is one longer than MaxReplySize.
func (c *Client) exchangeTCP(ctx context.Context, addr string, req []byte) ([]byte, error) {
	d, dctx, cancel := c.dialer(ctx, c.opt.TCPTimeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer attempt(dctx, c.opt.TCPTimeout, conn)()
	if uint64(len(req)) > 1<<31-1 {
		return nil, fmt.Errorf("%w: request of %d bytes is too long for TCP framing", ErrFraming, len(req))
	}
	framed := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(framed, uint32(len(req)))
	copy(framed[4:], req)
	if _, err := conn.Write(framed); err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, noEOF(err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	switch {
	case n&0x80000000 != 0:
		return nil, fmt.Errorf("%w: reply length %#08x has the reserved high bit set", ErrFraming, n)
	case n == 0:
		return nil, fmt.Errorf("%w: empty reply", ErrFraming)
	case uint64(n) > uint64(c.opt.MaxReplySize):
		return nil, fmt.Errorf("%w: reply of %d bytes is over the %d-byte bound", ErrFraming, n, c.opt.MaxReplySize)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return nil, noEOF(err)
	}
	return checkReply(reply)
}

func noEOF(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: connection closed before the whole reply", ErrFraming)
	}
	return err
}

// checkReply keeps what is at least shaped like a Kerberos message: an
// [APPLICATION n] tag. Decoding it is the client's job.
func checkReply(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty reply", ErrFraming)
	}
	if _, err := msg.Peek(b); err != nil {
		return nil, fmt.Errorf("%w: reply is not a Kerberos message (first octet %#02x)", ErrFraming, b[0])
	}
	return b, nil
}

// tooBig reports whether a reply is a KRB-ERROR with the code
// KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 §7.2.1).
func tooBig(reply []byte) bool {
	if t, err := msg.Peek(reply); err != nil || t != msg.MsgTypeError {
		return false
	}
	e, err := msg.ParseKRBError(reply)
	return err == nil && e.ErrorCode == msg.KRBErrResponseTooBig
}
