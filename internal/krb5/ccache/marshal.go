package ccache

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Marshal encodes the cache as a version 4 file, whatever Version says:
// the header (with the KDC time offset when KDCOffset is set), the default
// principal, then the credentials — configuration entries included — in
// order. An MIT-written version 4 file re-encodes to the same bytes;
// header fields other than the KDC offset (none are defined) are not
// written back. The
// error is an [*Error] wrapping [ErrInvalid] that names the field that
// cannot be encoded.
func (c *Cache) Marshal() ([]byte, error) {
	out := []byte{5, 4}
	if c.KDCOffset == nil {
		out = binary.BigEndian.AppendUint16(out, 0)
	} else {
		d := *c.KDCOffset
		sec := d / time.Second
		usec := (d % time.Second) / time.Microsecond
		if sec < math.MinInt32 || sec > math.MaxInt32 {
			return nil, invalid(named("KDCOffset"), "%v is beyond the ±2^31 seconds the header holds", d)
		}
		out = binary.BigEndian.AppendUint16(out, 12)
		out = binary.BigEndian.AppendUint16(out, tagKDCOffset)
		out = binary.BigEndian.AppendUint16(out, 8)
		out = binary.BigEndian.AppendUint32(out, uint32(int32(sec)))
		out = binary.BigEndian.AppendUint32(out, uint32(int32(usec)))
	}
	var err error
	if out, err = appendPrincipal(out, c.DefaultPrincipal, named("default principal")); err != nil {
		return nil, err
	}
	for i := range c.Credentials {
		if out, err = appendCredential(out, &c.Credentials[i], field{cred: i, idx: -1}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func invalid(fl field, format string, args ...any) *Error {
	return &Error{Op: "marshal", Field: fl.String(), Offset: -1, Reason: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func appendData(out, v []byte, fl field) ([]byte, error) {
	if uint64(len(v)) > math.MaxUint32 {
		return nil, invalid(fl, "%d bytes, the format holds at most 2^32-1", len(v))
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
	return append(out, v...), nil
}

func appendPrincipal(out []byte, p Principal, fl field) ([]byte, error) {
	out = binary.BigEndian.AppendUint32(out, uint32(p.NameType))
	if uint64(len(p.Components)) > math.MaxUint32 {
		return nil, invalid(fl.with(".count"), "%d components, the format holds at most 2^32-1", len(p.Components))
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(p.Components)))
	if uint64(len(p.Realm)) > math.MaxUint32 {
		return nil, invalid(fl.with(".realm"), "%d bytes, the format holds at most 2^32-1", len(p.Realm))
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(p.Realm)))
	out = append(out, p.Realm...)
	for i, comp := range p.Components {
		if uint64(len(comp)) > math.MaxUint32 {
			el := fl.with(".components")
			el.idx = i
			return nil, invalid(el, "%d bytes, the format holds at most 2^32-1", len(comp))
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(comp)))
		out = append(out, comp...)
	}
	return out, nil
}

func appendCredential(out []byte, c *Credential, fl field) ([]byte, error) {
	var err error
	if out, err = appendPrincipal(out, c.Client, fl.withBase("client")); err != nil {
		return nil, err
	}
	if out, err = appendPrincipal(out, c.Server, fl.withBase("server")); err != nil {
		return nil, err
	}
	if e := c.Key.Type; e < 0 || e > math.MaxUint16 {
		return nil, invalid(fl.withBase("keyblock.enctype"), "%d is outside 0-65535", int32(e))
	}
	out = binary.BigEndian.AppendUint16(out, uint16(c.Key.Type))
	if out, err = appendData(out, c.keyBytes(), fl.withBase("keyblock.contents")); err != nil {
		return nil, err
	}
	for _, t := range [...]struct {
		name string
		v    time.Time
	}{{"authtime", c.AuthTime}, {"starttime", c.StartTime}, {"endtime", c.EndTime}, {"renew_till", c.RenewTill}} {
		s, ok := secondsOf(t.v)
		if !ok {
			return nil, invalid(fl.withBase(t.name), "%s is outside 1970-2106", t.v.UTC().Format(time.RFC3339))
		}
		out = binary.BigEndian.AppendUint32(out, s)
	}
	skey := byte(0)
	if c.IsSKey {
		skey = 1
	}
	out = append(out, skey)
	out = binary.BigEndian.AppendUint32(out, uint32(c.Flags))
	out = binary.BigEndian.AppendUint32(out, uint32(len(c.Addresses)))
	for i, a := range c.Addresses {
		if a.Type < 0 || a.Type > math.MaxUint16 {
			el := fl.withBase("addresses")
			el.idx, el.suffix = i, ".addrtype"
			return nil, invalid(el, "%d is outside 0-65535", a.Type)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(a.Type))
		el := fl.withBase("addresses")
		el.idx, el.suffix = i, ".contents"
		if out, err = appendData(out, a.Data, el); err != nil {
			return nil, err
		}
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(c.AuthData)))
	for i, a := range c.AuthData {
		if a.Type < math.MinInt16 || a.Type > math.MaxInt16 {
			el := fl.withBase("authdata")
			el.idx, el.suffix = i, ".ad_type"
			return nil, invalid(el, "%d is outside -32768-32767", a.Type)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(int16(a.Type)))
		el := fl.withBase("authdata")
		el.idx, el.suffix = i, ".contents"
		if out, err = appendData(out, a.Data, el); err != nil {
			return nil, err
		}
	}
	if out, err = appendData(out, c.Ticket, fl.withBase("ticket")); err != nil {
		return nil, err
	}
	return appendData(out, c.SecondTicket, fl.withBase("second_ticket"))
}
