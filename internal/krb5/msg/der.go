package msg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// This file holds the DER mechanics every structure shares: reading the
// EXPLICIT context-tagged fields of a SEQUENCE in order, the RFC 4120 §5.2
// primitive types (Int32, UInt32, Microseconds, KerberosString,
// KerberosTime, KerberosFlags) and their encoders.
//
// cryptobyte already refuses what DER forbids in lengths (indefinite,
// non-minimal, longer than four octets) and high tag numbers; the readers
// here add minimal INTEGERs, DER BOOLEANs and the Kerberos rules.

const (
	tagBoolean         = cbasn1.BOOLEAN
	tagInteger         = cbasn1.INTEGER
	tagBitString       = cbasn1.BIT_STRING
	tagOctetString     = cbasn1.OCTET_STRING
	tagSequence        = cbasn1.SEQUENCE
	tagGeneralizedTime = cbasn1.GeneralizedTime
	tagGeneralString   = cbasn1.Tag(27) // KerberosString, RFC 4120 §5.2.1
)

// contextTag is the identifier octet of an EXPLICIT [n] field: class
// context-specific, constructed.
func contextTag(n int) cbasn1.Tag { return cbasn1.Tag(n).ContextSpecific().Constructed() }

// appTag is the identifier octet of [APPLICATION n]: class application
// (0x40), constructed (0x20). RFC 4120 §5.10 numbers them.
func appTag(n MsgType) cbasn1.Tag { return cbasn1.Tag(0x60 | uint8(n)) }

var universalNames = map[cbasn1.Tag]string{
	tagBoolean: "BOOLEAN", tagInteger: "INTEGER", tagBitString: "BIT STRING",
	tagOctetString: "OCTET STRING", cbasn1.NULL: "NULL", cbasn1.OBJECT_IDENTIFIER: "OBJECT IDENTIFIER",
	cbasn1.UTF8String: "UTF8String", tagSequence: "SEQUENCE", cbasn1.SET: "SET",
	cbasn1.PrintableString: "PrintableString", cbasn1.IA5String: "IA5String",
	cbasn1.UTCTime: "UTCTime", tagGeneralizedTime: "GeneralizedTime", tagGeneralString: "GeneralString",
}

// describeTag names an identifier octet for an error message.
func describeTag(t cbasn1.Tag) string {
	n := int(t & 0x1f)
	var s string
	switch t & 0xc0 {
	case 0x00:
		if name, ok := universalNames[t]; ok {
			return name
		}
		s = fmt.Sprintf("[UNIVERSAL %d]", n)
	case 0x40:
		s = fmt.Sprintf("[APPLICATION %d]", n)
	case 0x80:
		s = fmt.Sprintf("[%d]", n)
	default:
		s = fmt.Sprintf("[PRIVATE %d]", n)
	}
	if t&0x20 == 0 {
		s += " primitive"
	}
	return s
}

// opts are the decoding options. The exported decoders are lenient where
// real implementations differ (see doc.go, "Leniency"); the fuzz targets
// also decode strictly, refusing every input that does not re-encode to
// itself.
type opts struct{ strict bool }

var lenient = opts{}

// reader reads one element from s and returns a value; it is the shape of
// every decoder in this package, from INTEGER up to AS-REP.
type reader[T any] func(s *cryptobyte.String, o opts) (T, error)

// element reads one DER element with tag want from s and returns its
// contents.
func element(s *cryptobyte.String, want cbasn1.Tag) (cryptobyte.String, error) {
	if s.Empty() {
		return nil, errf(ErrMalformed, "no element where %s was expected", describeTag(want))
	}
	var out cryptobyte.String
	var tag cbasn1.Tag
	first := (*s)[0]
	if !s.ReadAnyASN1(&out, &tag) {
		return nil, errf(ErrMalformed, "%s with a truncated, indefinite or non-minimal length, or a high tag number", describeTag(cbasn1.Tag(first)))
	}
	if tag != want {
		return nil, errf(ErrUnexpectedTag, "got %s, want %s", describeTag(tag), describeTag(want))
	}
	return out, nil
}

// parser reads the fields of one SEQUENCE whose fields are all EXPLICIT
// context-tagged, in tag order, as every RFC 4120 structure is. The first
// error sticks; finish reports it.
type parser struct {
	s   cryptobyte.String
	st  string
	o   opts
	err error
}

// setErr records err, naming p's structure and field when err does not yet
// name one (a nested structure names itself).
func (p *parser) setErr(err error, field string) {
	if p.err != nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && e.Struct == "" {
		e.Struct, e.Field = p.st, field
	}
	p.err = err
}

func (p *parser) fail(field string, sentinel error, format string, args ...any) {
	p.setErr(errf(sentinel, format, args...), field)
}

// next returns the contents of the EXPLICIT [n] field when it is the next
// element; an absent required field is an error.
func (p *parser) next(n int, name string, required bool) (cryptobyte.String, bool) {
	if p.err != nil {
		return nil, false
	}
	if p.s.Empty() || !p.s.PeekASN1Tag(contextTag(n)) {
		if required {
			found := "the end of the SEQUENCE"
			if !p.s.Empty() {
				found = describeTag(cbasn1.Tag(p.s[0]))
			}
			p.fail(name, ErrMissingField, "[%d] %s is required, found %s", n, name, found)
		}
		return nil, false
	}
	var inner cryptobyte.String
	if !p.s.ReadASN1(&inner, contextTag(n)) {
		p.fail(name, ErrMalformed, "[%d] has a truncated, indefinite or non-minimal length", n)
		return nil, false
	}
	return inner, true
}

// finish reports the first error, or an element left over after the last
// field the parser read: an unknown field, or one out of order.
func (p *parser) finish() error {
	if p.err == nil && !p.s.Empty() {
		p.err = &Error{Struct: p.st, Reason: fmt.Sprintf("unexpected %s: an unknown field, a field out of order, or a duplicate", describeTag(cbasn1.Tag(p.s[0]))), Err: ErrUnexpectedTag}
	}
	return p.err
}

// field reads the EXPLICIT [n] field with read; ok reports whether it was
// present and valid.
func field[T any](p *parser, n int, name string, required bool, read reader[T]) (v T, ok bool) {
	inner, ok := p.next(n, name, required)
	if !ok {
		return v, false
	}
	v, err := read(&inner, p.o)
	if err == nil && !inner.Empty() {
		err = errf(ErrMalformed, "%d bytes after the value inside [%d]", len(inner), n)
	}
	if err != nil {
		p.setErr(err, name)
		var zero T
		return zero, false
	}
	return v, true
}

// req reads a required field.
func req[T any](p *parser, n int, name string, read reader[T]) T {
	v, _ := field(p, n, name, true, read)
	return v
}

// opt reads an OPTIONAL field whose Go zero value (nil slice, zero time)
// stands for absent.
func opt[T any](p *parser, n int, name string, read reader[T]) T {
	v, _ := field(p, n, name, false, read)
	return v
}

// optPtr reads an OPTIONAL field into a pointer, nil when absent.
func optPtr[T any](p *parser, n int, name string, read reader[T]) *T {
	v, ok := field(p, n, name, false, read)
	if !ok {
		return nil
	}
	return &v
}

// optString reads an OPTIONAL KerberosString; "" means absent. A present
// but empty string is read as absent (and refused when strict).
func (p *parser) optString(n int, name string) string {
	v, ok := field(p, n, name, false, readString)
	if ok && v == "" && p.o.strict {
		p.fail(name, ErrBadValue, "present but empty")
	}
	return v
}

// pvno reads a protocol version number field, which must be 5.
func (p *parser) pvno(n int, name string) {
	if v, ok := field(p, n, name, true, readInt32); ok && v != 5 {
		p.fail(name, ErrBadValue, "protocol version %d, want 5", v)
	}
}

// msgType reads a msg-type field, which must agree with the APPLICATION tag.
func (p *parser) msgType(n int, want MsgType) {
	if v, ok := field(p, n, "msg-type", true, readInt32); ok && MsgType(v) != want {
		p.fail("msg-type", ErrBadValue, "%d (%v) in a message tagged [APPLICATION %d] (%v)", v, MsgType(v), int(want), want)
	}
}

// openSeq reads a SEQUENCE from s and returns a parser over its fields.
func openSeq(s *cryptobyte.String, st string, o opts) (*parser, error) {
	c, err := element(s, tagSequence)
	if err != nil {
		err.(*Error).Struct = st
		return nil, err
	}
	return &parser{s: c, st: st, o: o}, nil
}

// openApp reads [APPLICATION n] SEQUENCE from s, for n one of tags, and
// returns a parser over the SEQUENCE's fields and the tag found.
func openApp(s *cryptobyte.String, st string, o opts, tags ...MsgType) (*parser, MsgType, error) {
	fail := func(sentinel error, format string, args ...any) (*parser, MsgType, error) {
		return nil, 0, &Error{Struct: st, Reason: fmt.Sprintf(format, args...), Err: sentinel}
	}
	if s.Empty() {
		return fail(ErrMalformed, "no bytes")
	}
	first := (*s)[0]
	var c cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&c, &tag) {
		return fail(ErrMalformed, "%s with a truncated, indefinite or non-minimal length, or a high tag number", describeTag(cbasn1.Tag(first)))
	}
	var got MsgType
	for _, t := range tags {
		if tag == appTag(t) {
			got = t
		}
	}
	if got == 0 {
		want := describeTag(appTag(tags[0]))
		if len(tags) > 1 {
			want += " or " + describeTag(appTag(tags[1]))
		}
		return fail(ErrUnexpectedTag, "got %s, want %s", describeTag(tag), want)
	}
	p, err := openSeq(&c, st, o)
	if err != nil {
		return nil, 0, err
	}
	if !c.Empty() {
		return fail(ErrMalformed, "%d bytes after the SEQUENCE inside %s", len(c), describeTag(tag))
	}
	return p, got, nil
}

// parseAll decodes b as exactly one value: bytes after it are an error.
func parseAll[T any](b []byte, st string, read reader[T], o opts) (*T, error) {
	s := cryptobyte.String(b)
	v, err := read(&s, o)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Struct == "" {
			e.Struct = st
		}
		return nil, err
	}
	if !s.Empty() {
		return nil, &Error{Struct: st, Reason: fmt.Sprintf("%d bytes of trailing data after the %s", len(s), st), Err: ErrMalformed}
	}
	return &v, nil
}

// seqOf makes a reader for SEQUENCE OF the elements read. The slice it
// returns is never nil, so that a present but empty SEQUENCE OF stays
// distinguishable from an absent OPTIONAL one.
func seqOf[T any](read reader[T]) reader[[]T] {
	return func(s *cryptobyte.String, o opts) ([]T, error) {
		c, err := element(s, tagSequence)
		if err != nil {
			return nil, err
		}
		out := make([]T, 0)
		for i := 0; !c.Empty(); i++ {
			v, err := read(&c, o)
			if err != nil {
				if e, ok := err.(*Error); ok && e.Struct == "" {
					e.Reason = fmt.Sprintf("element %d: %s", i, e.Reason)
				}
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
}

// readInt reads an INTEGER in [lo, hi].
func readInt(s *cryptobyte.String, lo, hi int64) (int64, error) {
	c, err := element(s, tagInteger)
	if err != nil {
		return 0, err
	}
	switch {
	case len(c) == 0:
		return 0, errf(ErrMalformed, "INTEGER with no content octets")
	case len(c) > 1 && (c[0] == 0 && c[1]&0x80 == 0 || c[0] == 0xff && c[1]&0x80 != 0):
		return 0, errf(ErrMalformed, "INTEGER %x is not minimally encoded", []byte(c))
	case len(c) > 8:
		return 0, errf(ErrBadValue, "INTEGER of %d octets is out of range %d..%d", len(c), lo, hi)
	}
	v := int64(int8(c[0]))
	for _, b := range c[1:] {
		v = v<<8 | int64(b)
	}
	if v < lo || v > hi {
		return 0, errf(ErrBadValue, "%d is out of range %d..%d", v, lo, hi)
	}
	return v, nil
}

// readInt32 reads an Int32 (RFC 4120 §5.2.4).
func readInt32(s *cryptobyte.String, _ opts) (int32, error) {
	v, err := readInt(s, math.MinInt32, math.MaxInt32)
	return int32(v), err
}

// readMicroseconds reads a Microseconds, an INTEGER in 0..999999
// (RFC 4120 §5.2.4).
func readMicroseconds(s *cryptobyte.String, _ opts) (int32, error) {
	v, err := readInt(s, 0, 999999)
	return int32(v), err
}

// UInt32 fields (RFC 4120 §5.2.4) are written two ways: kvno and nonce as a
// signed 32-bit INTEGER (MIT and Windows, so 0xFF000000 is 02 04 FF000000),
// seq-number as the unsigned value it is (02 05 00FF000000). Both decoders
// accept either form, like MIT; strictly, only the form the encoder writes.
func readUint32(signed bool) reader[uint32] {
	return func(s *cryptobyte.String, o opts) (uint32, error) {
		v, err := readInt(s, math.MinInt32, math.MaxUint32)
		if err != nil {
			return 0, err
		}
		if o.strict && signed && v > math.MaxInt32 {
			return 0, errf(ErrBadValue, "%d written unsigned; the encoder writes it as the signed 32-bit %d", v, int32(v))
		}
		if o.strict && !signed && v < 0 {
			return 0, errf(ErrBadValue, "%d written signed; the encoder writes it as the unsigned %d", v, uint32(v))
		}
		return uint32(v), nil
	}
}

var (
	readSignedUint32   = readUint32(true)  // kvno, nonce
	readUnsignedUint32 = readUint32(false) // seq-number
)

// readString reads a KerberosString: a GeneralString (RFC 4120 §5.2.1).
// Its octets are kept as they are; Windows puts UTF-8 there.
func readString(s *cryptobyte.String, _ opts) (string, error) {
	c, err := element(s, tagGeneralString)
	return string(c), err
}

// readOctets reads an OCTET STRING into a new slice, never nil.
func readOctets(s *cryptobyte.String, _ opts) ([]byte, error) {
	c, err := element(s, tagOctetString)
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(c)), c...), nil
}

// readBool reads a DER BOOLEAN: one octet, 00 or FF.
func readBool(s *cryptobyte.String, _ opts) (bool, error) {
	c, err := element(s, tagBoolean)
	if err != nil {
		return false, err
	}
	if len(c) != 1 || c[0] != 0 && c[0] != 0xff {
		return false, errf(ErrMalformed, "BOOLEAN %x is not DER (one octet, 00 or FF)", []byte(c))
	}
	return c[0] == 0xff, nil
}

// readFlags reads KerberosFlags: a BIT STRING of 32 bits, bit 0 the most
// significant bit of the first octet (RFC 4120 §5.2.8). RFC 4120 allows a
// lenient reader to accept other lengths; MIT, Heimdal and Windows all send
// 32 bits, and this reader takes only 32, so that every value it accepts
// re-encodes to the same bytes.
func readFlags(s *cryptobyte.String, _ opts) (uint32, error) {
	c, err := element(s, tagBitString)
	if err != nil {
		return 0, err
	}
	switch {
	case len(c) == 0 || c[0] > 7 || len(c) == 1 && c[0] != 0:
		return 0, errf(ErrMalformed, "BIT STRING %x is not DER", []byte(c))
	case c[0] != 0 || len(c) != 5:
		return 0, errf(ErrBadValue, "KerberosFlags of %d bits, want 32", 8*(len(c)-1)-int(c[0]))
	}
	return binary.BigEndian.Uint32(c[1:]), nil
}

// KerberosTime limits: MIT keeps times as seconds since 1970 and
// GeneralizedTime has four year digits. The lower limit also keeps the zero
// time.Time free to mean "absent".
const (
	minYear = 1970
	maxYear = 9999
)

// readTime reads a KerberosTime: a GeneralizedTime of exactly
// "YYYYMMDDHHMMSSZ", UTC, no fractional seconds (RFC 4120 §5.2.3).
func readTime(s *cryptobyte.String, _ opts) (time.Time, error) {
	c, err := element(s, tagGeneralizedTime)
	if err != nil {
		return time.Time{}, err
	}
	bad := func(why string) (time.Time, error) {
		return time.Time{}, errf(ErrBadValue, "%q is not a KerberosTime: %s", []byte(c), why)
	}
	if len(c) != 15 || c[14] != 'Z' {
		return bad("want YYYYMMDDHHMMSSZ (UTC, no fractional seconds)")
	}
	var d [14]int
	for i := range d {
		if c[i] < '0' || c[i] > '9' {
			return bad("want YYYYMMDDHHMMSSZ (UTC, no fractional seconds)")
		}
		d[i] = int(c[i] - '0')
	}
	year := d[0]*1000 + d[1]*100 + d[2]*10 + d[3]
	month, day := d[4]*10+d[5], d[6]*10+d[7]
	hour, minute, sec := d[8]*10+d[9], d[10]*10+d[11], d[12]*10+d[13]
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day || t.Hour() != hour || t.Minute() != minute || t.Second() != sec {
		return bad("no such date or time")
	}
	if year < minYear {
		return bad("before 1970")
	}
	return t, nil
}

// Encoding. Builders carry the first error (cryptobyte propagates a child's
// error to its parent), so encoders validate as they write.

func builderFail(b *cryptobyte.Builder, st, field string, sentinel error, format string, args ...any) {
	b.SetError(&Error{Struct: st, Field: field, Reason: fmt.Sprintf(format, args...), Err: sentinel})
}

func marshal(f func(b *cryptobyte.Builder)) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	f(b)
	return b.Bytes()
}

func addExplicit(b *cryptobyte.Builder, n int, f func(b *cryptobyte.Builder)) {
	b.AddASN1(contextTag(n), f)
}

func addSeq(b *cryptobyte.Builder, f func(b *cryptobyte.Builder)) { b.AddASN1(tagSequence, f) }

func addApp(b *cryptobyte.Builder, t MsgType, f func(b *cryptobyte.Builder)) {
	b.AddASN1(appTag(t), func(b *cryptobyte.Builder) { addSeq(b, f) })
}

func addInt(b *cryptobyte.Builder, n int, v int64) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { b.AddASN1Int64(v) })
}

// addSignedUint32 writes a kvno or nonce as MIT and Windows do: the signed
// 32-bit INTEGER with the same bits.
func addSignedUint32(b *cryptobyte.Builder, n int, v uint32) { addInt(b, n, int64(int32(v))) }

// addUnsignedUint32 writes a seq-number as the unsigned INTEGER it is.
func addUnsignedUint32(b *cryptobyte.Builder, n int, v uint32) { addInt(b, n, int64(v)) }

func addMicroseconds(b *cryptobyte.Builder, st string, n int, name string, v int32) {
	if v < 0 || v > 999999 {
		builderFail(b, st, name, ErrBadValue, "%d is out of range 0..999999", v)
		return
	}
	addInt(b, n, int64(v))
}

func addStringValue(b *cryptobyte.Builder, s string) {
	b.AddASN1(tagGeneralString, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
}

func addString(b *cryptobyte.Builder, n int, s string) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { addStringValue(b, s) })
}

// addOptString writes an OPTIONAL KerberosString unless it is "".
func addOptString(b *cryptobyte.Builder, n int, s string) {
	if s != "" {
		addString(b, n, s)
	}
}

func addOctets(b *cryptobyte.Builder, n int, v []byte) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { b.AddASN1OctetString(v) })
}

func addFlags(b *cryptobyte.Builder, n int, v uint32) {
	addExplicit(b, n, func(b *cryptobyte.Builder) {
		b.AddASN1(tagBitString, func(b *cryptobyte.Builder) {
			b.AddUint8(0) // no unused bits
			b.AddUint32(v)
		})
	})
}

func addBool(b *cryptobyte.Builder, n int, v bool) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { b.AddASN1Boolean(v) })
}

// addTime writes a required KerberosTime, in UTC, truncated to the second.
func addTime(b *cryptobyte.Builder, st string, n int, name string, t time.Time) {
	if t.IsZero() {
		builderFail(b, st, name, ErrMissingField, "required KerberosTime is the zero time")
		return
	}
	addOptTime(b, st, n, name, t)
}

// addOptTime writes an OPTIONAL KerberosTime unless t is the zero time.
func addOptTime(b *cryptobyte.Builder, st string, n int, name string, t time.Time) {
	if t.IsZero() {
		return
	}
	t = t.UTC()
	if t.Year() < minYear || t.Year() > maxYear {
		builderFail(b, st, name, ErrBadValue, "%s is outside the years %d..%d", t.Format(time.RFC3339), minYear, maxYear)
		return
	}
	addExplicit(b, n, func(b *cryptobyte.Builder) {
		b.AddASN1(tagGeneralizedTime, func(b *cryptobyte.Builder) {
			b.AddBytes([]byte(t.Format("20060102150405") + "Z"))
		})
	})
}

// addSeqOf writes SEQUENCE OF, one element per call of f.
func addSeqOf[T any](b *cryptobyte.Builder, vs []T, f func(v *T, b *cryptobyte.Builder)) {
	addSeq(b, func(b *cryptobyte.Builder) {
		for i := range vs {
			f(&vs[i], b)
		}
	})
}
