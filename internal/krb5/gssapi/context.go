package gssapi

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"io"
	"sync"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Per-message token flags, RFC 4121 §4.2.2.
const (
	tokFlagSentByAcceptor = 0x01
	tokFlagSealed         = 0x02
	tokFlagAcceptorSubkey = 0x04
)

const tokHeaderLen = 16

// Context is an established security context, the state RFC 4121 §4.2
// needs for per-message tokens: the key, which side we are, whether the
// acceptor chose a subkey, our next sequence number and the window of the
// peer's. [Initiator] and [Acceptor] embed it; its methods fail with
// [ErrState] until the context is established. A Context may be used by
// several goroutines: Wrap/MIC and Unwrap/VerifyMIC serialize on a mutex,
// as sequence numbers require.
type Context struct {
	mu             sync.Mutex
	established    bool
	acceptor       bool // we are the acceptor
	acceptorSubkey bool // the key is the acceptor's subkey (flag 0x04)
	key            crypto.Key
	flags          Flags
	sendSeq        uint64
	recv           seqWindow
	rand           io.Reader
	rrc            uint16
}

func (c *Context) establish(key crypto.Key, acceptorSubkey bool, sendSeq, recvSeq uint64) {
	c.key, c.acceptorSubkey = key, acceptorSubkey
	c.sendSeq = sendSeq
	c.recv = seqWindow{replay: c.flags&FlagReplay != 0, sequence: c.flags&FlagSequence != 0, next: recvSeq, seen: ^uint64(0)}
	c.established = true
}

// Established reports whether the context is complete and per-message
// tokens may be used.
func (c *Context) Established() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.established
}

// Flags returns the context's negotiated flags.
func (c *Context) Flags() Flags {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flags
}

// SetWrapRRC sets the Right Rotation Count that [Context.Wrap] writes
// (RFC 4121 §4.2.5). 0, the default, is what MIT sends; Windows uses 28
// for SASL (the 16-octet header plus the 12-octet AES-SHA1 HMAC), and
// some peers expect it. Unwrap accepts any RRC.
func (c *Context) SetWrapRRC(rrc uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rrc = rrc
}

func (c *Context) usages() (seal, sign, peerSeal, peerSign uint32) {
	if c.acceptor {
		return crypto.KeyUsageAcceptorSeal, crypto.KeyUsageAcceptorSign, crypto.KeyUsageInitiatorSeal, crypto.KeyUsageInitiatorSign
	}
	return crypto.KeyUsageInitiatorSeal, crypto.KeyUsageInitiatorSign, crypto.KeyUsageAcceptorSeal, crypto.KeyUsageAcceptorSign
}

func (c *Context) sendFlags() byte {
	var f byte
	if c.acceptor {
		f |= tokFlagSentByAcceptor
	}
	if c.acceptorSubkey {
		f |= tokFlagAcceptorSubkey
	}
	return f
}

// checkFlags refuses a token whose SentByAcceptor flag says it comes from
// our own side (a reflection, RFC 4121 §4.2.2) or whose AcceptorSubkey
// flag does not match the key in use.
func (c *Context) checkFlags(op string, f byte) error {
	if (f&tokFlagSentByAcceptor != 0) == c.acceptor {
		return errorf(op, ErrReflected, "SentByAcceptor flag says the token comes from our own side")
	}
	if (f&tokFlagAcceptorSubkey != 0) != c.acceptorSubkey {
		return errorf(op, ErrReflected, "AcceptorSubkey flag does not match the context's key")
	}
	return nil
}

// Wrap makes a Wrap token, RFC 4121 §4.2.6.2 (TOK_ID 05 04): with conf,
// the plaintext and a copy of the header encrypted; without, the
// plaintext followed by a checksum over it and the header. Both use our
// seal key usage (24 for the initiator, 22 for the acceptor), as RFC 4121
// §2 assigns the SEAL usages to Wrap tokens and MIT and Windows do; the
// SIGN usages (25/23) are for MIC tokens only. The result is rotated right
// by the RRC set with [Context.SetWrapRRC].
func (c *Context) Wrap(plaintext []byte, conf bool) ([]byte, error) {
	const op = "wrap"
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.established {
		return nil, errorf(op, ErrState, "context not established")
	}
	seal, _, _, _ := c.usages()
	hdr := make([]byte, tokHeaderLen)
	binary.BigEndian.PutUint16(hdr, TokIDWrap)
	hdr[2] = c.sendFlags()
	hdr[3] = 0xff
	binary.BigEndian.PutUint64(hdr[8:], c.sendSeq)
	var body []byte
	if conf {
		hdr[2] |= tokFlagSealed
		// EC 0: the AES enctypes need no padding (RFC 4121 §4.2.4).
		pt := make([]byte, 0, len(plaintext)+tokHeaderLen)
		pt = append(append(pt, plaintext...), hdr...) // the copy has RRC 0
		ct, err := crypto.Encrypt(c.key, seal, pt, c.rand)
		if err != nil {
			return nil, &Error{Op: op, Reason: "encrypting", Err: err}
		}
		body = ct
	} else {
		sum, err := crypto.Checksum(c.key, seal, append(append([]byte(nil), plaintext...), hdr...))
		if err != nil {
			return nil, &Error{Op: op, Reason: "checksumming", Err: err}
		}
		binary.BigEndian.PutUint16(hdr[4:], uint16(len(sum))) // EC: the checksum's length
		body = append(append([]byte(nil), plaintext...), sum...)
	}
	binary.BigEndian.PutUint16(hdr[6:], c.rrc)
	c.sendSeq++
	return append(hdr, rotateRight(body, int(c.rrc))...), nil
}

// Unwrap opens a Wrap token from the peer: it checks the header (token
// ID, filler, direction flags), undoes the rotation, decrypts or verifies
// the checksum, compares the encrypted copy of the header, and only then
// the sequence number against the replay window. conf reports whether the
// token was sealed. A failed check returns no plaintext.
func (c *Context) Unwrap(token []byte) (plaintext []byte, conf bool, err error) {
	const op = "unwrap"
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.established {
		return nil, false, errorf(op, ErrState, "context not established")
	}
	hdr, body, err := parseWrapHeader(token)
	if err != nil {
		return nil, false, err
	}
	if err := c.checkFlags(op, hdr[2]); err != nil {
		return nil, false, err
	}
	_, _, peerSeal, _ := c.usages()
	ec := int(binary.BigEndian.Uint16(hdr[4:]))
	rrc := int(binary.BigEndian.Uint16(hdr[6:]))
	body = rotateLeft(body, rrc)
	seq := binary.BigEndian.Uint64(hdr[8:])
	conf = hdr[2]&tokFlagSealed != 0
	if conf {
		pt, err := crypto.Decrypt(c.key, peerSeal, body)
		if err != nil {
			return nil, false, wrapErr(op, ErrBadMIC, "decrypting", err)
		}
		if len(pt) < ec+tokHeaderLen {
			return nil, false, errorf(op, ErrMalformed, "decrypted data shorter than EC %d plus the header", ec)
		}
		inner := pt[len(pt)-tokHeaderLen:]
		want := append([]byte(nil), hdr...)
		want[6], want[7] = 0, 0 // the encrypted copy has RRC 0
		if !bytes.Equal(inner, want) {
			return nil, false, errorf(op, ErrBadMIC, "encrypted header copy does not match the token header")
		}
		plaintext = pt[:len(pt)-tokHeaderLen-ec]
	} else {
		if ec > len(body) {
			return nil, false, errorf(op, ErrMalformed, "EC %d longer than the %d-octet body", ec, len(body))
		}
		msgLen := len(body) - ec
		signed := make([]byte, 0, msgLen+tokHeaderLen)
		signed = append(append(signed, body[:msgLen]...), hdr...)
		h := signed[msgLen:]
		h[4], h[5], h[6], h[7] = 0, 0, 0, 0 // EC and RRC are zero in the checksummed header
		if err := crypto.VerifyChecksum(c.key, peerSeal, signed, body[msgLen:]); err != nil {
			return nil, false, wrapErr(op, ErrBadMIC, "checksum", err)
		}
		plaintext = append([]byte(nil), body[:msgLen]...)
	}
	if err := c.recv.check(seq); err != nil {
		return nil, false, err
	}
	return plaintext, conf, nil
}

func parseWrapHeader(token []byte) (hdr, body []byte, err error) {
	const op = "unwrap"
	if len(token) < tokHeaderLen {
		return nil, nil, errorf(op, ErrMalformed, "%d octets, shorter than the 16-octet header", len(token))
	}
	if len(token) > maxToken {
		return nil, nil, errorf(op, ErrMalformed, "%d octets, more than %d", len(token), maxToken)
	}
	if id := binary.BigEndian.Uint16(token); id != TokIDWrap {
		return nil, nil, errorf(op, ErrMalformed, "TOK_ID %04x, want 0504", id)
	}
	if token[2]&^(tokFlagSentByAcceptor|tokFlagSealed|tokFlagAcceptorSubkey) != 0 {
		return nil, nil, errorf(op, ErrMalformed, "unknown flags %02x", token[2])
	}
	if token[3] != 0xff {
		return nil, nil, errorf(op, ErrMalformed, "filler %02x, want ff", token[3])
	}
	return token[:tokHeaderLen], append([]byte(nil), token[tokHeaderLen:]...), nil
}

// MIC makes a MIC token, RFC 4121 §4.2.6.1 (TOK_ID 04 04): the header and
// a checksum over the message and the header under our sign key usage.
func (c *Context) MIC(message []byte) ([]byte, error) {
	const op = "MIC"
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.established {
		return nil, errorf(op, ErrState, "context not established")
	}
	_, sign, _, _ := c.usages()
	hdr := micHeader(c.sendFlags(), c.sendSeq)
	sum, err := crypto.Checksum(c.key, sign, append(append([]byte(nil), message...), hdr...))
	if err != nil {
		return nil, &Error{Op: op, Reason: "checksumming", Err: err}
	}
	c.sendSeq++
	return append(hdr, sum...), nil
}

func micHeader(flags byte, seq uint64) []byte {
	hdr := make([]byte, tokHeaderLen)
	binary.BigEndian.PutUint16(hdr, TokIDMIC)
	hdr[2] = flags
	for i := 3; i < 8; i++ {
		hdr[i] = 0xff
	}
	binary.BigEndian.PutUint64(hdr[8:], seq)
	return hdr
}

// VerifyMIC checks a MIC token from the peer over message: header,
// direction flags, checksum, then the sequence number.
func (c *Context) VerifyMIC(message, token []byte) error {
	const op = "verify MIC"
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.established {
		return errorf(op, ErrState, "context not established")
	}
	hdr, sum, err := parseMICHeader(token)
	if err != nil {
		return err
	}
	if err := c.checkFlags(op, hdr[2]); err != nil {
		return err
	}
	_, _, _, peerSign := c.usages()
	if err := crypto.VerifyChecksum(c.key, peerSign, append(append([]byte(nil), message...), hdr...), sum); err != nil {
		return wrapErr(op, ErrBadMIC, "checksum", err)
	}
	return c.recv.check(binary.BigEndian.Uint64(hdr[8:]))
}

func parseMICHeader(token []byte) (hdr, sum []byte, err error) {
	const op = "verify MIC"
	if len(token) < tokHeaderLen {
		return nil, nil, errorf(op, ErrMalformed, "%d octets, shorter than the 16-octet header", len(token))
	}
	if id := binary.BigEndian.Uint16(token); id != TokIDMIC {
		return nil, nil, errorf(op, ErrMalformed, "TOK_ID %04x, want 0404", id)
	}
	if token[2]&^(tokFlagSentByAcceptor|tokFlagAcceptorSubkey) != 0 {
		return nil, nil, errorf(op, ErrMalformed, "unknown flags %02x", token[2])
	}
	if subtle.ConstantTimeCompare(token[3:8], []byte{0xff, 0xff, 0xff, 0xff, 0xff}) != 1 {
		return nil, nil, errorf(op, ErrMalformed, "filler is not ff ff ff ff ff")
	}
	return token[:tokHeaderLen], token[tokHeaderLen:], nil
}

// rotateRight returns b rotated right by n octets (RFC 4121 §4.2.5).
func rotateRight(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	return append(append(make([]byte, 0, len(b)), b[len(b)-n:]...), b[:len(b)-n]...)
}

// rotateLeft undoes rotateRight.
func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	return append(append(make([]byte, 0, len(b)), b[n:]...), b[:n]...)
}
