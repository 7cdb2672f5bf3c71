package gkdi

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// TestKDFMatchesTheDefinition recomputes SP800-108 counter mode from its
// definition for every hash and several lengths, including lengths that are
// not a multiple of the block size.
func TestKDFMatchesTheDefinition(t *testing.T) {
	t.Parallel()
	key := []byte("key material of some length")
	label, ctx := []byte("label"), []byte("context bytes")
	for _, h := range []Hash{SHA1, SHA256, SHA384, SHA512} {
		for _, n := range []int{1, 16, 20, 32, 48, 63, 64, 65, 256} {
			var want []byte
			for i := uint32(1); len(want) < n; i++ {
				m := hmac.New(h.new(), key)
				var in []byte
				in = binary.BigEndian.AppendUint32(in, i)
				in = append(in, label...)
				in = append(in, 0)
				in = append(in, ctx...)
				in = binary.BigEndian.AppendUint32(in, uint32(n*8))
				m.Write(in)
				want = m.Sum(want)
			}
			want = want[:n]
			if got := KDF(h, key, label, ctx, n); !bytes.Equal(got, want) {
				t.Errorf("KDF(%s, n=%d) = %x, want %x", h, n, got, want)
			}
		}
	}
}

func TestKDFWithLongContextDoesNotTruncate(t *testing.T) {
	t.Parallel()
	ctx := bytes.Repeat([]byte{7}, 500) // larger than the stack buffer
	a := KDF(SHA512, []byte("k"), []byte("l"), ctx, 64)
	b := KDF(SHA512, []byte("k"), []byte("l"), ctx[:499], 64)
	if bytes.Equal(a, b) {
		t.Fatal("the last context byte did not influence the output")
	}
}

func TestLabelIsKDSServiceWithNUL(t *testing.T) {
	t.Parallel()
	var v struct {
		Label string `json:"label_kds_service_utf16le_nul_hex"`
	}
	loadJSON(t, "gkdi-seed-keys.json", &v)
	if got := hex.EncodeToString(labelKDSService); got != v.Label {
		t.Fatalf("label = %s, want %s", got, v.Label)
	}
}

func TestParseHash(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Hash{"SHA512": SHA512, "sha512": SHA512, "sha-256": SHA256, "SHA1": SHA1, "Sha384": SHA384} {
		got, err := ParseHash(in)
		if err != nil || got != want {
			t.Errorf("ParseHash(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseHash("MD5"); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"MD5"`)) {
		t.Errorf("ParseHash(MD5) error %v should name the value", err)
	}
}
