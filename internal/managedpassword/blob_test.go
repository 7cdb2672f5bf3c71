package managedpassword

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

type blobVector struct {
	Name                string  `json:"name"`
	Hex                 string  `json:"blob_hex"`
	Version             int     `json:"version"`
	Length              int     `json:"length"`
	CurrentOffset       int     `json:"current_password_offset"`
	PreviousOffset      int     `json:"previous_password_offset"`
	QueryOffset         int     `json:"query_password_interval_offset"`
	UnchangedOffset     int     `json:"unchanged_password_interval_offset"`
	Current             string  `json:"current_password_utf16le_hex"`
	Previous            *string `json:"previous_password_utf16le_hex"`
	Query               uint64  `json:"query_password_interval_100ns"`
	Unchanged           uint64  `json:"unchanged_password_interval_100ns"`
	QueryMinusUnchanged uint64  `json:"query_minus_unchanged_100ns"`
}

func loadBlobs(t testing.TB) []blobVector {
	var f struct {
		Vectors []blobVector `json:"vectors"`
	}
	loadJSON(t, "gmsa-managedpassword-blob.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no blob vectors")
	}
	return f.Vectors
}

func TestBlobVectors(t *testing.T) {
	t.Parallel()
	for _, v := range loadBlobs(t) {
		t.Run(v.Name, func(t *testing.T) {
			raw := unhex(t, v.Hex)
			b, err := ParseBlob(raw)
			if err != nil {
				t.Fatal(err)
			}
			le16 := func(off int) int { return int(binary.LittleEndian.Uint16(raw[off:])) }
			if len(raw) != v.Length || le16(0) != v.Version || le16(8) != v.CurrentOffset || le16(10) != v.PreviousOffset ||
				le16(12) != v.QueryOffset || le16(14) != v.UnchangedOffset {
				t.Fatalf("header does not match the vector's decoded fields")
			}
			if !bytes.Equal(b.Current.Bytes(), unhex(t, v.Current)) {
				t.Fatal("current password differs")
			}
			if (b.Previous == nil) != (v.Previous == nil) {
				t.Fatalf("previous present = %t", b.Previous != nil)
			}
			if b.QueryInterval != v.Query || b.UnchangedInterval != v.Unchanged || b.QueryInterval-b.UnchangedInterval != v.QueryMinusUnchanged {
				t.Fatalf("intervals %d/%d, want %d/%d", b.QueryInterval, b.UnchangedInterval, v.Query, v.Unchanged)
			}
			if out := b.Marshal(); !bytes.Equal(out, raw) {
				t.Fatalf("Marshal differs from the Windows blob")
			}
		})
	}
}

// TestBlobWithPrevious: the layout with a previous password follows the same
// packing: offsets 0x10, 0x112, 0x214, 0x21c and length 0x224.
func TestBlobWithPrevious(t *testing.T) {
	t.Parallel()
	_, root, sid, g := loadPasswordVector(t)
	cur, _ := Derive(root, sid, g)
	prevG, _ := g.Add(-72)
	prev, _ := Derive(root, sid, prevG)
	b := &Blob{Current: cur, Previous: &prev, QueryInterval: 25763432939433, UnchangedInterval: 25760432939433}
	raw := b.Marshal()
	want := []int{0x10, 0x112, 0x214, 0x21c}
	for i, off := range want {
		if got := int(binary.LittleEndian.Uint16(raw[8+2*i:])); got != off {
			t.Errorf("offset %d = %#x, want %#x", i, got, off)
		}
	}
	if len(raw) != 0x224 || binary.LittleEndian.Uint32(raw[4:]) != 0x224 {
		t.Fatalf("length %d", len(raw))
	}
	back, err := ParseBlob(raw)
	if err != nil || !back.Current.Equal(&cur) || back.Previous == nil || !back.Previous.Equal(&prev) || back.QueryInterval != b.QueryInterval {
		t.Fatalf("round trip: %v", err)
	}
}

func TestMalformedBlobs(t *testing.T) {
	t.Parallel()
	good := unhex(t, loadBlobs(t)[0].Hex)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	put16 := func(off int, v uint16) []byte {
		return mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b })
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"an empty value", nil, "shorter than its 16-byte header"},
		{"version 2", put16(0, 2), "Version 2"},
		{"a non-zero reserved field", put16(2, 7), "Reserved 7"},
		{"a length that is not the blob's size", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 291); return b }), "Length 291"},
		{"a truncated blob", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 200); return b[:200] }), "Length 200: want 290"},
		{"a current password offset off by two", put16(8, 18), "CurrentPasswordOffset 18: want 16"},
		{"an 8-aligned query offset", put16(12, 280), "QueryPasswordIntervalOffset 280: want 274"},
		{"a previous offset without a previous password", put16(10, 274), "QueryPasswordIntervalOffset 274: want 532"},
		{"a missing password terminator", mut(func(b []byte) []byte { b[16+256] = 'x'; return b }), "CurrentPassword terminator 7800"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := ParseBlob(c.in)
			if err == nil || b != nil {
				t.Fatalf("accepted: %v", b)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %q, want it to contain %q", err, c.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err does not wrap ErrMalformed")
			}
		})
	}
}
