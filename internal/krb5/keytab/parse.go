package keytab

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Parse reads a keytab file of version 2 or 1 (see the package
// documentation for the format). Holes are skipped; a zero record length
// ends the file, and whatever follows it is ignored, as MIT does. Version 1
// is read in the host byte order of this machine, as MIT reads it.
//
// Every count and length is checked against the bytes that remain before
// anything is allocated, so a hostile file costs at most its own size. The
// error is an [*Error] naming the entry and field, wrapping [ErrMalformed]
// or [ErrVersion]; Parse returns no partial keytab.
func Parse(b []byte) (*Keytab, error) {
	if len(b) < 2 {
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 0, Reason: fmt.Sprintf("file is %d bytes, want at least 2", len(b)), Err: ErrMalformed}
	}
	if b[0] != 5 {
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 0, Reason: fmt.Sprintf("first byte is 0x%02x, want 0x05", b[0]), Err: ErrMalformed}
	}
	var order binary.ByteOrder
	switch b[1] {
	case 1:
		order = binary.NativeEndian
	case 2:
		order = binary.BigEndian
	default:
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 1, Reason: fmt.Sprintf("version %d, want 1 or 2", b[1]), Err: ErrVersion}
	}
	version := int(b[1])
	kt := &Keytab{}
	off := 2
	for off < len(b) {
		field := func() string { return fmt.Sprintf("entries[%d].record length", len(kt.Entries)) }
		if len(b)-off < 4 {
			return nil, &Error{Op: "parse", Field: field(), Offset: off, Reason: fmt.Sprintf("%d bytes left, want 4", len(b)-off), Err: ErrMalformed}
		}
		size := int64(int32(order.Uint32(b[off:])))
		off += 4
		switch {
		case size == 0:
			return kt, nil
		case size < 0:
			if -size > int64(len(b)-off) {
				return nil, &Error{Op: "parse", Field: field(), Offset: off - 4, Reason: fmt.Sprintf("hole of %d bytes, but only %d bytes are left", -size, len(b)-off), Err: ErrMalformed}
			}
			off += int(-size)
			continue
		}
		if size > int64(len(b)-off) {
			return nil, &Error{Op: "parse", Field: field(), Offset: off - 4, Reason: fmt.Sprintf("record of %d bytes, but only %d bytes are left", size, len(b)-off), Err: ErrMalformed}
		}
		c := cursor{b: b[off : off+int(size)], base: off, order: order, index: len(kt.Entries)}
		ent, err := c.entry(version)
		if err != nil {
			return nil, err
		}
		kt.Entries = append(kt.Entries, ent)
		off += int(size)
	}
	return kt, nil
}

// cursor reads the fields of one record.
type cursor struct {
	b     []byte // the record
	pos   int
	base  int // offset of b[0] in the file
	order binary.ByteOrder
	index int // index in Keytab.Entries, for error messages
}

// field names a field of the entry for error messages without building a
// string unless there is an error: name, then "[idx]" when idx >= 0, then
// suffix.
type field struct {
	name   string
	idx    int
	suffix string
}

func named(name string) field { return field{name: name, idx: -1} }

func (fl field) String() string {
	s := fl.name
	if fl.idx >= 0 {
		s += "[" + strconv.Itoa(fl.idx) + "]"
	}
	return s + fl.suffix
}

func (c *cursor) fail(fl field, at int, format string, args ...any) *Error {
	return &Error{Op: "parse", Field: fmt.Sprintf("entries[%d].%s", c.index, fl), Offset: c.base + at, Reason: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

func (c *cursor) left() int { return len(c.b) - c.pos }

func (c *cursor) take(n int, fl field) ([]byte, error) {
	if n > c.left() {
		return nil, c.fail(fl, c.pos, "needs %d bytes, but the record has %d left", n, c.left())
	}
	v := c.b[c.pos : c.pos+n]
	c.pos += n
	return v, nil
}

func (c *cursor) u8(fl field) (uint8, error) {
	v, err := c.take(1, fl)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (c *cursor) u16(fl field) (uint16, error) {
	v, err := c.take(2, fl)
	if err != nil {
		return 0, err
	}
	return c.order.Uint16(v), nil
}

func (c *cursor) u32(fl field) (uint32, error) {
	v, err := c.take(4, fl)
	if err != nil {
		return 0, err
	}
	return c.order.Uint32(v), nil
}

// data reads a 16-bit length and that many bytes.
func (c *cursor) data(fl field) ([]byte, error) {
	length := fl
	length.suffix += ".length"
	n, err := c.u16(length)
	if err != nil {
		return nil, err
	}
	return c.take(int(n), fl)
}

func (c *cursor) entry(version int) (Entry, error) {
	var ent Entry
	p, err := c.principal(version)
	if err != nil {
		return Entry{}, err
	}
	ent.Principal = p
	ts, err := c.u32(named("timestamp"))
	if err != nil {
		return Entry{}, err
	}
	ent.Timestamp = timeOf(ts)
	kvno8, err := c.u8(named("kvno"))
	if err != nil {
		return Entry{}, err
	}
	ent.KVNO = uint32(kvno8)
	et, err := c.u16(named("key.enctype"))
	if err != nil {
		return Entry{}, err
	}
	e := crypto.EncType(et)
	at := c.pos
	kb, err := c.data(named("key.contents"))
	if err != nil {
		return Entry{}, err
	}
	if e.KeySize() == 0 {
		opaque := append([]byte(nil), kb...)
		ent.Key = crypto.Key{Type: e}
		ent.opaque = func() []byte { return opaque }
	} else {
		if len(kb) != e.KeySize() {
			return Entry{}, c.fail(named("key.length"), at, "%d bytes, want %d for %s", len(kb), e.KeySize(), e)
		}
		if ent.Key, err = crypto.NewKey(e, kb); err != nil {
			return Entry{}, c.fail(named("key.contents"), at, "%v", err)
		}
	}
	// MIT 1.14 and later append the key version as 32 bits; it supersedes
	// the 8-bit one when present and not zero. Anything after it is
	// padding left from a larger hole.
	if c.left() >= 4 {
		if v, _ := c.u32(named("kvno32")); v != 0 {
			ent.KVNO = v
		}
	}
	return ent, nil
}

func (c *cursor) principal(version int) (Principal, error) {
	at := c.pos
	n16, err := c.u16(named("principal.count"))
	if err != nil {
		return Principal{}, err
	}
	n := int(n16)
	if version == 1 {
		if n == 0 {
			return Principal{}, c.fail(named("principal.count"), at, "0, want at least 1 (version 1 counts the realm)")
		}
		n--
	}
	// Each component takes at least its 2-byte length.
	if 2*n > c.left() {
		return Principal{}, c.fail(named("principal.count"), at, "%d components cannot fit in the %d bytes left in the record", n, c.left())
	}
	var p Principal
	realm, err := c.data(named("principal.realm"))
	if err != nil {
		return Principal{}, err
	}
	p.Realm = string(realm)
	p.Components = make([]string, n)
	for i := range p.Components {
		v, err := c.data(field{name: "principal.components", idx: i})
		if err != nil {
			return Principal{}, err
		}
		p.Components[i] = string(v)
	}
	if version != 1 {
		nt, err := c.u32(named("principal.name type"))
		if err != nil {
			return Principal{}, err
		}
		p.NameType = int32(nt)
	}
	return p, nil
}

// timeOf converts a file's 32-bit seconds since 1970 (unsigned, as MIT
// reads them since 1.17, which carries the format past 2038 to 2106); 0 is
// the zero Time.
func timeOf(s uint32) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

// secondsOf is timeOf's inverse; ok is false outside 1970–2106.
func secondsOf(t time.Time) (uint32, bool) {
	if t.IsZero() {
		return 0, true
	}
	s := t.Unix()
	if s < 0 || s > math.MaxUint32 {
		return 0, false
	}
	return uint32(s), true
}
