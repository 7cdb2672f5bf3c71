package pac

import (
	"encoding/binary"
	"unicode/utf16"
)

// This file holds the little of NDR ([C706] chapter 14, [MS-RPCE] 2.2.6)
// that KERB_VALIDATION_INFO needs: little-endian primitives aligned to their
// size, and the type serialization version 1 envelope ("NDR pickling").

// Type serialization version 1 ([MS-RPCE] 2.2.6): an 8-byte common header
// (version 1, 0x10 for little-endian, header length 8, filler 0xcccccccc),
// an 8-byte private header (the object buffer length, a multiple of 8, and
// 4 filler bytes Windows writes as zero), then the object buffer.
const serializationHeaderLen = 16

var commonHeader = [8]byte{0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc}

// parseSerialization checks the envelope of a type serialization and
// returns its object buffer. The filler bytes are not checked: Windows
// writes 0xcccccccc and zero, other encoders may not.
func parseSerialization(b []byte, name string) ([]byte, *Error) {
	if len(b) < serializationHeaderLen {
		return nil, malformed(name, "%d bytes; the type serialization headers alone take %d", len(b), serializationHeaderLen)
	}
	if b[0] != 1 {
		return nil, errorf("parse", name+" common header", ErrUnsupported, "type serialization version %d is not 1", b[0])
	}
	if b[1] != 0x10 {
		return nil, errorf("parse", name+" common header", ErrUnsupported, "endianness byte 0x%02x is not 0x10 (little-endian)", b[1])
	}
	if n := binary.LittleEndian.Uint16(b[2:]); n != 8 {
		return nil, malformed(name+" common header", "header length %d is not 8", n)
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)-serializationHeaderLen) {
		return nil, malformed(name+" private header", "ObjectBufferLength %d but only %d bytes follow", n, len(b)-serializationHeaderLen)
	}
	return b[serializationHeaderLen : serializationHeaderLen+int(n)], nil
}

// appendSerialization wraps an object buffer in the type serialization
// headers, padding it to a multiple of 8 as [MS-RPCE] 2.2.6.2 requires.
func appendSerialization(dst, body []byte) []byte {
	n := align(len(body), 8)
	dst = append(dst, commonHeader[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, body...)
	return append(dst, make([]byte, n-len(body))...)
}

// align rounds n up to a multiple of a (a power of two).
func align(n, a int) int { return (n + a - 1) &^ (a - 1) }

// reader decodes NDR primitives from an object buffer. The first failure
// sticks: later reads return zero values, and err says what went wrong, so
// decoders read a whole structure and check once.
type reader struct {
	b      []byte
	off    int
	prefix string // the structure's name, for error fields
	err    *Error
}

func (r *reader) fail(field, format string, args ...any) {
	if r.err == nil {
		r.err = malformed(r.prefix+"."+field, format, args...)
	}
}

// align skips the padding before a primitive of size n. Padding bytes are
// not checked: NDR says they are ignored on receipt.
func (r *reader) align(field string, n int) {
	p := align(r.off, n)
	if p > len(r.b) {
		r.fail(field, "the structure ends at offset %d, before the alignment padding", len(r.b))
		return
	}
	r.off = p
}

// bytes returns the next n bytes (not a copy), or nil once anything failed.
func (r *reader) bytes(field string, n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(field, "needs %d bytes at offset %d, only %d remain", n, r.off, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) u16(field string) uint16 {
	r.align(field, 2)
	if b := r.bytes(field, 2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	r.align(field, 4)
	if b := r.bytes(field, 4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// writer encodes NDR primitives, padding with zeros to each one's
// alignment.
type writer struct{ b []byte }

func (w *writer) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *writer) u16(v uint16) {
	w.align(2)
	w.b = binary.LittleEndian.AppendUint16(w.b, v)
}

func (w *writer) u32(v uint32) {
	w.align(4)
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
}

// decodeUTF16 decodes UTF-16LE bytes (an even count); unpaired surrogates
// become U+FFFD, as they would in any Go string.
func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// encodeUTF16 encodes s as UTF-16LE; invalid UTF-8 becomes U+FFFD.
func encodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// utf16Field encodes s for a field whose byte length is a uint16 (at most
// max bytes), or reports which field is too long.
func utf16Field(op, field, s string, max int) ([]byte, *Error) {
	b := encodeUTF16(s)
	if len(b) > max {
		return nil, errorf(op, field, ErrMalformed, "%d bytes of UTF-16; at most %d fit", len(b), max)
	}
	return b, nil
}
