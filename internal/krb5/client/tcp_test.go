package client

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
)

// tcpTransport is a test-only Transport: one TCP connection per message,
// RFC 4120 §7.2.2's 4-byte big-endian length prefix. The real one, with UDP,
// krb5.conf and KDC discovery, is internal/krb5/transport.
type tcpTransport map[string]string // realm → host:port

func (t tcpTransport) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	addr, ok := t[realm]
	if !ok {
		return nil, fmt.Errorf("test transport: no KDC for realm %q", realm)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	msg := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(msg, uint32(len(req)))
	copy(msg[4:], req)
	if _, err := conn.Write(msg); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	l := binary.BigEndian.Uint32(n[:])
	if l > 1<<20 {
		return nil, fmt.Errorf("test transport: reply of %d bytes", l)
	}
	rep := make([]byte, l)
	if _, err := io.ReadFull(conn, rep); err != nil {
		return nil, err
	}
	return rep, nil
}
