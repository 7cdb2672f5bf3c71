package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

func aesBlock(t testing.TB, k Key) cipher.Block {
	t.Helper()
	b, err := aes.NewCipher(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkStringToKeyAES256 is one default-count (4096) string-to-key, the
// cost a client pays for each password login.
func BenchmarkStringToKeyAES256(b *testing.B) {
	for b.Loop() {
		if _, err := StringToKey(AES256CTSHMACSHA196, "a password of some length", "EXAMPLE.COMwebapp01$", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncryptAES256 encrypts 1 KiB, about the size of a ticket.
func BenchmarkEncryptAES256(b *testing.B) {
	k := testKey(b, AES256CTSHMACSHA196)
	msg := message(1024)
	r := &countingReader{}
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Encrypt(k, KeyUsageKDCRepTicket, msg, r); err != nil {
			b.Fatal(err)
		}
	}
}
