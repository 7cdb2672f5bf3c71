// Package sasl implements the security-layer part of the SASL GSSAPI
// mechanism, RFC 4752 §3.1, on top of an established
// [gssapi.Context]: the negotiation of the layer after the context is
// established ([Negotiate] for the client, [Offer] and [Accept] for the
// server), and the framing of the protected stream ([Frame],
// [FrameReader], [ReadFrame]).
//
// After the context is established the server sends a wrapped 4-octet
// token: octet 0 is the bit mask of the layers it supports
// ([LayerNone], [LayerIntegrity], [LayerConfidentiality]), octets 1–3 the
// largest wrap token it accepts, big-endian. The client answers with a
// wrapped token: the one layer it chose, the largest token it accepts (0
// when it chose no layer) and the authorization identity, possibly empty.
//
// With a layer in place every SASL buffer on the wire is a 4-octet
// big-endian length followed by a GSS-API Wrap token (RFC 4121 §4.2.6.2),
// sealed for confidentiality, integrity-only otherwise. A receiver refuses
// a buffer longer than the maximum it announced.
//
// The package is pure: it does no I/O of its own except in [ReadFrame],
// which reads from the io.Reader it is given.
package sasl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
)

// Layer is a SASL GSSAPI security layer, or a set of them as a bit mask.
type Layer byte

// The layers of RFC 4752 §3.3.
const (
	LayerNone            Layer = 1
	LayerIntegrity       Layer = 2
	LayerConfidentiality Layer = 4
)

func (l Layer) String() string {
	switch l {
	case LayerNone:
		return "none"
	case LayerIntegrity:
		return "integrity"
	case LayerConfidentiality:
		return "confidentiality"
	}
	return fmt.Sprintf("layers(%#x)", byte(l))
}

// MaxBufLimit is the largest buffer size the 3-octet field can carry.
const MaxBufLimit = 1<<24 - 1

// DefaultMaxBuf is a reasonable receive buffer size to announce.
const DefaultMaxBuf = 1 << 22

// Errors, for errors.Is.
var (
	// ErrNegotiation: the peer's layer token is malformed, or no layer is
	// acceptable to both sides.
	ErrNegotiation = errors.New("sasl: security layer negotiation failed")
	// ErrFrame: a buffer on the protected stream is malformed or longer
	// than the announced maximum.
	ErrFrame = errors.New("sasl: bad security layer buffer")
)

// Conf reports whether l's wrap tokens are sealed.
func (l Layer) Conf() bool { return l == LayerConfidentiality }

// strongest returns the strongest single layer in the set l, 0 if none.
func (l Layer) strongest() Layer {
	for _, c := range []Layer{LayerConfidentiality, LayerIntegrity, LayerNone} {
		if l&c != 0 {
			return c
		}
	}
	return 0
}

// Negotiate is the client's last step (RFC 4752 §3.1): it unwraps the
// server's token, chooses the strongest layer that is both offered and in
// want (a set of layers), and returns the wrapped reply announcing the
// choice, maxBuf (the largest token the client accepts; sent as 0 when the
// chosen layer is none) and authzid. serverMax is the largest token the
// server accepts.
func Negotiate(ctx *gssapi.Context, serverToken []byte, want Layer, maxBuf uint32, authzid string) (reply []byte, chosen Layer, serverMax uint32, err error) {
	pt, _, err := ctx.Unwrap(serverToken)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: unwrapping the server's token: %w", ErrNegotiation, err)
	}
	if len(pt) != 4 {
		return nil, 0, 0, fmt.Errorf("%w: the server's token has %d octets, want 4", ErrNegotiation, len(pt))
	}
	offered := Layer(pt[0])
	serverMax = binary.BigEndian.Uint32(pt) & MaxBufLimit
	chosen = (offered & want).strongest()
	if chosen == 0 {
		return nil, 0, 0, fmt.Errorf("%w: the server offers %s, we accept %s", ErrNegotiation, offered.list(), want.list())
	}
	if chosen != LayerNone && serverMax == 0 {
		return nil, 0, 0, fmt.Errorf("%w: the server offers %s with a maximum buffer of 0", ErrNegotiation, chosen)
	}
	if maxBuf > MaxBufLimit {
		maxBuf = MaxBufLimit
	}
	if chosen == LayerNone {
		maxBuf = 0
	}
	msg := make([]byte, 4+len(authzid))
	binary.BigEndian.PutUint32(msg, maxBuf)
	msg[0] = byte(chosen)
	copy(msg[4:], authzid)
	reply, err = ctx.Wrap(msg, false)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: wrapping the reply: %w", ErrNegotiation, err)
	}
	return reply, chosen, serverMax, nil
}

// list names the layers of a set.
func (l Layer) list() string {
	s := ""
	for _, c := range []Layer{LayerNone, LayerIntegrity, LayerConfidentiality} {
		if l&c != 0 {
			if s != "" {
				s += ","
			}
			s += c.String()
		}
	}
	if s == "" {
		return "no layer"
	}
	return s
}

// Offer is the server's step after the context is established: the
// wrapped token offering the set layers and maxBuf.
func Offer(ctx *gssapi.Context, layers Layer, maxBuf uint32) ([]byte, error) {
	if layers&(LayerNone|LayerIntegrity|LayerConfidentiality) == 0 || maxBuf > MaxBufLimit {
		return nil, fmt.Errorf("%w: offering %s with maximum %d", ErrNegotiation, layers.list(), maxBuf)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], maxBuf)
	b[0] = byte(layers)
	return ctx.Wrap(b[:], false)
}

// Accept checks the client's reply to [Offer]: exactly one layer, one that
// was offered. It returns the layer, the client's maximum buffer and the
// authorization identity.
func Accept(ctx *gssapi.Context, reply []byte, offered Layer) (chosen Layer, clientMax uint32, authzid string, err error) {
	pt, _, err := ctx.Unwrap(reply)
	if err != nil {
		return 0, 0, "", fmt.Errorf("%w: unwrapping the client's reply: %w", ErrNegotiation, err)
	}
	if len(pt) < 4 {
		return 0, 0, "", fmt.Errorf("%w: the client's reply has %d octets", ErrNegotiation, len(pt))
	}
	chosen = Layer(pt[0])
	if chosen.strongest() != chosen || chosen == 0 || offered&chosen == 0 {
		return 0, 0, "", fmt.Errorf("%w: the client chose %s, offered %s", ErrNegotiation, chosen.list(), offered.list())
	}
	clientMax = binary.BigEndian.Uint32(pt) & MaxBufLimit
	if chosen != LayerNone && clientMax == 0 {
		return 0, 0, "", fmt.Errorf("%w: the client chose %s with a maximum buffer of 0", ErrNegotiation, chosen)
	}
	return chosen, clientMax, string(pt[4:]), nil
}

// wrapOverhead bounds what a Wrap token adds to its plaintext: the 16-octet
// header, a 16-octet confounder, the encrypted header copy and a checksum
// of up to 24 octets (RFC 8009), with room to spare.
const wrapOverhead = 128

// Frame wraps p for the wire under layer (integrity or confidentiality):
// one or more length-prefixed Wrap tokens, each no longer than peerMax, the
// largest buffer the peer announced.
func Frame(ctx *gssapi.Context, layer Layer, peerMax uint32, p []byte) ([]byte, error) {
	if layer != LayerIntegrity && layer != LayerConfidentiality {
		return nil, fmt.Errorf("%w: no protection for layer %s", ErrFrame, layer)
	}
	if peerMax <= 2*wrapOverhead {
		return nil, fmt.Errorf("%w: the peer's maximum buffer %d is too small", ErrFrame, peerMax)
	}
	chunk := int(peerMax - wrapOverhead)
	var out []byte
	for len(p) > 0 || out == nil {
		n := min(len(p), chunk)
		tok, err := ctx.Wrap(p[:n], layer.Conf())
		if err != nil {
			return nil, err
		}
		if len(tok) > int(peerMax) {
			return nil, fmt.Errorf("%w: a token of %d octets exceeds the peer's maximum %d", ErrFrame, len(tok), peerMax)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(tok)))
		out = append(out, tok...)
		p = p[n:]
	}
	return out, nil
}

// Unframe unwraps one token received under layer; a sealed layer refuses a
// token that is not sealed.
func Unframe(ctx *gssapi.Context, layer Layer, tok []byte) ([]byte, error) {
	pt, conf, err := ctx.Unwrap(tok)
	if err != nil {
		return nil, err
	}
	if layer == LayerConfidentiality && !conf {
		return nil, fmt.Errorf("%w: an unsealed token on a sealed layer", ErrFrame)
	}
	return pt, nil
}

// FrameReader splits a byte stream, pushed to it in pieces of any size,
// into SASL buffers: it handles a buffer split across several writes and
// several buffers in one.
type FrameReader struct {
	// Max is the largest buffer accepted, the maximum announced to the
	// peer; a longer length is an error.
	Max uint32
	buf []byte
}

// Write appends stream bytes; it never fails.
func (f *FrameReader) Write(b []byte) (int, error) {
	f.buf = append(f.buf, b...)
	return len(b), nil
}

// Buffered reports how many stream bytes wait for a complete buffer.
func (f *FrameReader) Buffered() int { return len(f.buf) }

// Next returns the next complete buffer's token, or nil with no error when
// more bytes are needed. An empty or oversized buffer is an error, and the
// stream is unusable after it.
func (f *FrameReader) Next() ([]byte, error) {
	if len(f.buf) < 4 {
		return nil, nil
	}
	n := binary.BigEndian.Uint32(f.buf)
	if err := checkLen(n, f.Max); err != nil {
		return nil, err
	}
	if uint64(len(f.buf)) < 4+uint64(n) {
		return nil, nil
	}
	tok := make([]byte, n)
	copy(tok, f.buf[4:])
	rest := copy(f.buf, f.buf[4+n:])
	f.buf = f.buf[:rest]
	return tok, nil
}

func checkLen(n, max uint32) error {
	if n == 0 {
		return fmt.Errorf("%w: an empty buffer", ErrFrame)
	}
	if n > max {
		return fmt.Errorf("%w: a buffer of %d octets exceeds the maximum %d", ErrFrame, n, max)
	}
	return nil
}

// ReadFrame reads one buffer from r and returns its token.
func ReadFrame(r io.Reader, max uint32) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if err := checkLen(n, max); err != nil {
		return nil, err
	}
	tok := make([]byte, n)
	if _, err := io.ReadFull(r, tok); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return tok, nil
}
