package ccache

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Header field tags of version 4.
const tagKDCOffset = 1 // FCC_TAG_DELTATIME: 32-bit seconds, 32-bit microseconds

// Parse reads a credential cache file of version 1 to 4 (see the package
// documentation for the format). Unknown version 4 header fields are
// skipped, as the format asks. Configuration entries are kept as
// credentials; their ticket field is not decoded.
//
// Every count and length is checked against the bytes that remain before
// anything is allocated, so a hostile file costs at most its own size. The
// error is an [*Error] naming the credential and field, wrapping
// [ErrMalformed] or [ErrVersion]; Parse returns no partial cache.
func Parse(b []byte) (*Cache, error) {
	if len(b) < 2 {
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 0, Reason: fmt.Sprintf("file is %d bytes, want at least 2", len(b)), Err: ErrMalformed}
	}
	if b[0] != 5 {
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 0, Reason: fmt.Sprintf("first byte is 0x%02x, want 0x05", b[0]), Err: ErrMalformed}
	}
	version := int(b[1])
	if version < 1 || version > 4 {
		return nil, &Error{Op: "parse", Field: "file format version", Offset: 1, Reason: fmt.Sprintf("version %d, want 1 to 4", version), Err: ErrVersion}
	}
	r := &reader{b: b, pos: 2, version: version, order: binary.BigEndian}
	if version < 3 {
		r.order = binary.NativeEndian
	}
	c := &Cache{Version: version}
	if version == 4 {
		off, err := r.header()
		if err != nil {
			return nil, err
		}
		c.KDCOffset = off
	}
	var err error
	if c.DefaultPrincipal, err = r.principal(named("default principal")); err != nil {
		return nil, err
	}
	for r.pos < len(r.b) {
		cred, err := r.credential(len(c.Credentials))
		if err != nil {
			return nil, err
		}
		c.Credentials = append(c.Credentials, cred)
	}
	return c, nil
}

// field names a field for error messages without building a string unless
// there is an error: "credentials[cred]." (when cred >= 0), base, part,
// "[idx]" (when idx >= 0), suffix — as in
// "credentials[1].server.components[0].length".
type field struct {
	cred   int
	base   string
	part   string
	idx    int
	suffix string
}

func named(base string) field { return field{cred: -1, base: base, idx: -1} }

func (f field) String() string {
	s := ""
	if f.cred >= 0 {
		s = "credentials[" + strconv.Itoa(f.cred) + "]."
	}
	s += f.base + f.part
	if f.idx >= 0 {
		s += "[" + strconv.Itoa(f.idx) + "]"
	}
	return s + f.suffix
}

// with returns f with part (and no index or suffix).
func (f field) with(part string) field { f.part, f.idx, f.suffix = part, -1, ""; return f }

// withBase returns f naming base (with no part, index or suffix).
func (f field) withBase(base string) field {
	f.base, f.part, f.idx, f.suffix = base, "", -1, ""
	return f
}

type reader struct {
	b       []byte
	pos     int
	version int
	order   binary.ByteOrder
}

func (r *reader) fail(fl field, at int, format string, args ...any) *Error {
	return &Error{Op: "parse", Field: fl.String(), Offset: at, Reason: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

func (r *reader) left() int { return len(r.b) - r.pos }

func (r *reader) take(n uint64, fl field) ([]byte, error) {
	if n > uint64(r.left()) {
		return nil, r.fail(fl, r.pos, "needs %d bytes, but %d are left", n, r.left())
	}
	v := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return v, nil
}

func (r *reader) u8(fl field) (uint8, error) {
	v, err := r.take(1, fl)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (r *reader) u16(fl field) (uint16, error) {
	v, err := r.take(2, fl)
	if err != nil {
		return 0, err
	}
	return r.order.Uint16(v), nil
}

func (r *reader) u32(fl field) (uint32, error) {
	v, err := r.take(4, fl)
	if err != nil {
		return 0, err
	}
	return r.order.Uint32(v), nil
}

// data reads a 32-bit length and that many bytes; it returns nil for an
// empty value.
func (r *reader) data(fl field) ([]byte, error) {
	length := fl
	length.suffix += ".length"
	n, err := r.u32(length)
	if err != nil {
		return nil, err
	}
	v, err := r.take(uint64(n), fl)
	if err != nil || n == 0 {
		return nil, err
	}
	return v, nil
}

// count reads a 32-bit count of items that take at least min bytes each,
// and refuses one the rest of the file cannot hold.
func (r *reader) count(fl field, min int) (int, error) {
	at := r.pos
	n, err := r.u32(fl)
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(min) > uint64(r.left()) {
		return 0, r.fail(fl, at, "%d items cannot fit in the %d bytes left", n, r.left())
	}
	return int(n), nil
}

func (r *reader) header() (*time.Duration, error) {
	n, err := r.u16(named("header.length"))
	if err != nil {
		return nil, err
	}
	start := r.pos
	h, err := r.take(uint64(n), named("header"))
	if err != nil {
		return nil, err
	}
	var offset *time.Duration
	for i, n := 0, 0; i < len(h); n++ {
		fl := field{cred: -1, base: "header.fields", idx: n}
		length := fl
		length.suffix = ".length"
		if len(h)-i < 4 {
			return nil, r.fail(fl, start+i, "%d bytes left in the header, want a 4-byte tag and length", len(h)-i)
		}
		tag, size := r.order.Uint16(h[i:]), int(r.order.Uint16(h[i+2:]))
		if size > len(h)-i-4 {
			return nil, r.fail(length, start+i+2, "%d bytes, but the header has %d left", size, len(h)-i-4)
		}
		v := h[i+4 : i+4+size]
		if tag == tagKDCOffset {
			if size != 8 {
				return nil, r.fail(length, start+i+2, "KDC time offset of %d bytes, want 8", size)
			}
			sec, usec := int32(r.order.Uint32(v)), int32(r.order.Uint32(v[4:]))
			d := time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
			offset = &d
		}
		i += 4 + size
	}
	return offset, nil
}

func (r *reader) principal(fl field) (Principal, error) {
	var p Principal
	if r.version != 1 {
		nt, err := r.u32(fl.with(".name type"))
		if err != nil {
			return Principal{}, err
		}
		p.NameType = int32(nt)
	}
	at := r.pos
	n, err := r.u32(fl.with(".count"))
	if err != nil {
		return Principal{}, err
	}
	if r.version == 1 {
		if n == 0 {
			return Principal{}, r.fail(fl.with(".count"), at, "0, want at least 1 (version 1 counts the realm)")
		}
		n--
	}
	// The realm and each component take at least their 4-byte length.
	if (uint64(n)+1)*4 > uint64(r.left()) {
		return Principal{}, r.fail(fl.with(".count"), at, "%d components cannot fit in the %d bytes left", n, r.left())
	}
	realm, err := r.data(fl.with(".realm"))
	if err != nil {
		return Principal{}, err
	}
	p.Realm = string(realm)
	p.Components = make([]string, n)
	comp := fl.with(".components")
	for i := range p.Components {
		comp.idx = i
		v, err := r.data(comp)
		if err != nil {
			return Principal{}, err
		}
		p.Components[i] = string(v)
	}
	return p, nil
}

func (r *reader) credential(i int) (Credential, error) {
	var c Credential
	var err error
	fl := field{cred: i, idx: -1}
	if c.Client, err = r.principal(fl.withBase("client")); err != nil {
		return Credential{}, err
	}
	if c.Server, err = r.principal(fl.withBase("server")); err != nil {
		return Credential{}, err
	}
	if err := r.keyblock(fl, &c); err != nil {
		return Credential{}, err
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"authtime", &c.AuthTime}, {"starttime", &c.StartTime}, {"endtime", &c.EndTime}, {"renew_till", &c.RenewTill}} {
		s, err := r.u32(fl.withBase(t.name))
		if err != nil {
			return Credential{}, err
		}
		*t.dst = timeOf(s)
	}
	pos := r.pos
	skey, err := r.u8(fl.withBase("is_skey"))
	if err != nil {
		return Credential{}, err
	}
	if skey > 1 {
		return Credential{}, r.fail(fl.withBase("is_skey"), pos, "%d, want 0 or 1", skey)
	}
	c.IsSKey = skey == 1
	flags, err := r.u32(fl.withBase("ticket_flags"))
	if err != nil {
		return Credential{}, err
	}
	c.Flags = TicketFlags(flags)
	n, err := r.count(fl.withBase("addresses.count"), 6)
	if err != nil {
		return Credential{}, err
	}
	if n > 0 {
		c.Addresses = make([]Address, n)
	}
	for j := range c.Addresses {
		el := fl.withBase("addresses")
		el.idx, el.suffix = j, ".addrtype"
		t, err := r.u16(el)
		if err != nil {
			return Credential{}, err
		}
		el.suffix = ".contents"
		v, err := r.data(el)
		if err != nil {
			return Credential{}, err
		}
		c.Addresses[j] = Address{Type: int32(t), Data: clone(v)}
	}
	if n, err = r.count(fl.withBase("authdata.count"), 6); err != nil {
		return Credential{}, err
	}
	if n > 0 {
		c.AuthData = make([]AuthData, n)
	}
	for j := range c.AuthData {
		el := fl.withBase("authdata")
		el.idx, el.suffix = j, ".ad_type"
		t, err := r.u16(el)
		if err != nil {
			return Credential{}, err
		}
		el.suffix = ".contents"
		v, err := r.data(el)
		if err != nil {
			return Credential{}, err
		}
		// Authorization data types can be negative: MIT sign-extends.
		c.AuthData[j] = AuthData{Type: int32(int16(t)), Data: clone(v)}
	}
	t, err := r.data(fl.withBase("ticket"))
	if err != nil {
		return Credential{}, err
	}
	c.Ticket = clone(t)
	t, err = r.data(fl.withBase("second_ticket"))
	if err != nil {
		return Credential{}, err
	}
	c.SecondTicket = clone(t)
	return c, nil
}

func (r *reader) keyblock(fl field, c *Credential) error {
	et, err := r.u16(fl.withBase("keyblock.enctype"))
	if err != nil {
		return err
	}
	if r.version == 3 {
		// Version 3 had a key type and an enctype; MIT writes the enctype
		// twice and ignores the second copy.
		if _, err := r.u16(fl.withBase("keyblock.enctype (repeated)")); err != nil {
			return err
		}
	}
	e := crypto.EncType(et)
	at := r.pos
	kb, err := r.data(fl.withBase("keyblock.contents"))
	if err != nil {
		return err
	}
	switch {
	case e == 0 && len(kb) == 0:
		// No key: a configuration entry.
	case e.KeySize() == 0:
		opaque := clone(kb)
		c.Key = crypto.Key{Type: e}
		c.opaque = func() []byte { return opaque }
	case len(kb) != e.KeySize():
		return r.fail(fl.withBase("keyblock.length"), at, "%d bytes, want %d for %s", len(kb), e.KeySize(), e)
	default:
		if c.Key, err = crypto.NewKey(e, kb); err != nil {
			return r.fail(fl.withBase("keyblock.contents"), at, "%v", err)
		}
	}
	return nil
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// timeOf converts 32-bit seconds since 1970 (unsigned, as MIT reads them
// since 1.17, which carries the format to 2106); 0 is the zero Time.
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
