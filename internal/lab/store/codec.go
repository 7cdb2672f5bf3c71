package store

import (
	"encoding/binary"
	"fmt"
)

// recordV1 is the first byte of every entry record in format version 1.
const recordV1 = 1

// encodeEntry writes e in the record format described in the package doc.
func encodeEntry(e *Entry) []byte {
	n := 1 + binary.MaxVarintLen64*2 + len(e.DN)
	for _, a := range e.Attrs {
		n += 2*binary.MaxVarintLen64 + len(a.Name)
		for _, v := range a.Values {
			n += binary.MaxVarintLen64 + len(v)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, recordV1)
	b = binary.AppendUvarint(b, uint64(len(e.DN)))
	b = append(b, e.DN...)
	b = binary.AppendUvarint(b, uint64(len(e.Attrs)))
	for _, a := range e.Attrs {
		b = binary.AppendUvarint(b, uint64(len(a.Name)))
		b = append(b, a.Name...)
		b = binary.AppendUvarint(b, uint64(len(a.Values)))
		for _, v := range a.Values {
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return b
}

// recordReader reads the fields of a record; the first problem is kept in
// err and every later read returns zero values.
type recordReader struct {
	b    []byte
	attr string // the attribute being read, for messages
	err  string
}

func (r *recordReader) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.attr != "" {
		msg = fmt.Sprintf("attribute %q: %s", r.attr, msg)
	}
	r.err = msg
}

func (r *recordReader) uvarint(what string) int {
	if r.err != "" {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("%s: bad uvarint", what)
		return 0
	}
	r.b = r.b[n:]
	// Every counted item takes at least one byte, and a length cannot exceed
	// what is left: this bounds every allocation by the record's size.
	if v > uint64(len(r.b)) {
		r.fail("%s %d exceeds the %d bytes left", what, v, len(r.b))
		return 0
	}
	return int(v)
}

// bytes reads a length-prefixed byte string; what names the length.
func (r *recordReader) bytes(what string) []byte {
	n := r.uvarint(what)
	if r.err != "" {
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// decodeEntry decodes a record stored under key. The record is copied once,
// so the entry does not alias bbolt's memory; values are capacity-limited
// slices of that copy. Errors are *CorruptError naming key.
func decodeEntry(key, rec []byte) (*Entry, error) {
	if len(rec) == 0 || rec[0] != recordV1 {
		v := -1
		if len(rec) > 0 {
			v = int(rec[0])
		}
		return nil, &CorruptError{Key: key, Reason: fmt.Sprintf("unknown record version %d", v)}
	}
	buf := make([]byte, len(rec)-1)
	copy(buf, rec[1:])
	r := &recordReader{b: buf}
	e := &Entry{DN: string(r.bytes("DN length"))}
	nattrs := r.uvarint("attribute count")
	if r.err == "" {
		e.Attrs = make([]Attribute, 0, nattrs)
	}
	for i := 0; i < nattrs && r.err == ""; i++ {
		r.attr = ""
		name := string(r.bytes("attribute name length"))
		r.attr = name
		nv := r.uvarint("value count")
		if r.err != "" {
			break
		}
		a := Attribute{Name: name, Values: make([][]byte, 0, nv)}
		for j := 0; j < nv && r.err == ""; j++ {
			a.Values = append(a.Values, r.bytes("value length"))
		}
		e.Attrs = append(e.Attrs, a)
	}
	r.attr = ""
	if r.err == "" && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != "" {
		return nil, &CorruptError{Key: key, Reason: r.err}
	}
	return e, nil
}

// decodeDN decodes only the DN of a record (for Lookup results and checks).
func decodeDN(key, rec []byte) (string, error) {
	if len(rec) == 0 || rec[0] != recordV1 {
		return "", &CorruptError{Key: key, Reason: "unknown record version"}
	}
	r := &recordReader{b: rec[1:]}
	dn := r.bytes("DN length")
	if r.err != "" {
		return "", &CorruptError{Key: key, Reason: r.err}
	}
	return string(dn), nil
}
