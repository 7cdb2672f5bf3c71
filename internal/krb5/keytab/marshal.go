package keytab

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Marshal encodes the keytab as a version 2 file, the form MIT krb5 1.20
// writes: the header 0x05 0x02, then one record per entry, each followed
// by its 32-bit key version. The error is an [*Error] wrapping
// [ErrInvalid] that names the entry and field that cannot be encoded.
func (k *Keytab) Marshal() ([]byte, error) {
	out := []byte{5, 2}
	for i := range k.Entries {
		var err error
		if out, err = appendEntry(out, &k.Entries[i], i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func invalid(i int, field, format string, args ...any) *Error {
	return &Error{Op: "marshal", Field: fmt.Sprintf("entries[%d].%s", i, field), Offset: -1, Reason: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func appendEntry(out []byte, ent *Entry, i int) ([]byte, error) {
	start := len(out)
	out = append(out, 0, 0, 0, 0) // record length, filled in below
	p := ent.Principal
	if len(p.Components) > math.MaxUint16 {
		return nil, invalid(i, "principal.count", "%d components, the format holds at most 65535", len(p.Components))
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(p.Components)))
	var err error
	if out, err = appendData(out, p.Realm, i, "principal.realm"); err != nil {
		return nil, err
	}
	for j, c := range p.Components {
		if out, err = appendData(out, c, i, fmt.Sprintf("principal.components[%d]", j)); err != nil {
			return nil, err
		}
	}
	out = binary.BigEndian.AppendUint32(out, uint32(p.NameType))
	ts, ok := secondsOf(ent.Timestamp)
	if !ok {
		return nil, invalid(i, "timestamp", "%s is outside 1970-2106", ent.Timestamp.UTC().Format("2006-01-02T15:04:05Z"))
	}
	out = binary.BigEndian.AppendUint32(out, ts)
	out = append(out, byte(ent.KVNO))
	e := ent.Key.Type
	if e < 0 || e > math.MaxUint16 {
		return nil, invalid(i, "key.enctype", "%d is outside 0-65535", int32(e))
	}
	out = binary.BigEndian.AppendUint16(out, uint16(e))
	kb, ok := ent.keyBytes()
	if !ok {
		return nil, invalid(i, "key.contents", "the %s key has no bytes", e)
	}
	if len(kb) > math.MaxUint16 {
		return nil, invalid(i, "key.length", "%d bytes, the format holds at most 65535", len(kb))
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(kb)))
	out = append(out, kb...)
	out = binary.BigEndian.AppendUint32(out, ent.KVNO)
	size := len(out) - start - 4
	if size > math.MaxInt32 {
		return nil, invalid(i, "record length", "%d bytes, the format holds at most 2^31-1", size)
	}
	binary.BigEndian.PutUint32(out[start:], uint32(size))
	return out, nil
}

func appendData(out []byte, s string, i int, field string) ([]byte, error) {
	if len(s) > math.MaxUint16 {
		return nil, invalid(i, field, "%d bytes, the format holds at most 65535", len(s))
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
	return append(out, s...), nil
}
