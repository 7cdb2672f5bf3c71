// This cross-check uses gokrb5 v8.4.4 as an oracle (test-only dependency):
// string-to-key, encryption both ways and checksums must agree with it.

package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	gokrb5 "github.com/jcmturner/gokrb5/v8/crypto"
)

// randomString makes a password or salt: printable ASCII, with some
// multi-byte UTF-8 mixed in unless asciiOnly.
func randomString(r *mrand.Rand, n int, asciiOnly bool) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !$%&/()=?.-_"
	var b []rune
	for range n {
		if !asciiOnly && r.IntN(8) == 0 {
			b = append(b, []rune("éßж中𝄞")[r.IntN(5)])
		} else {
			b = append(b, rune(alphabet[r.IntN(len(alphabet))]))
		}
	}
	return string(b)
}

func TestStringToKeyAgreesWithGokrb5(t *testing.T) {
	t.Parallel()
	r := mrand.New(mrand.NewPCG(1, 2))
	for _, e := range append(aesTypes, RC4HMAC) {
		oracle, err := gokrb5.GetEtype(int32(e))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			// gokrb5's rc4-hmac string-to-key indexes its UTF-16 buffer by
			// UTF-8 byte offset, so it is only right for ASCII passwords.
			password, salt := randomString(r, r.IntN(80), e == RC4HMAC), randomString(r, r.IntN(40), false)
			iter := 1 + r.IntN(64)
			params := s2kparams(iter)
			gkParams := hex.EncodeToString(params)
			if i == 0 {
				params, gkParams = nil, oracle.GetDefaultStringToKeyParams()
			}
			t.Run(fmt.Sprintf("%v #%d", e, i), func(t *testing.T) {
				want, err := oracle.StringToKey(password, salt, gkParams)
				if err != nil {
					t.Fatal(err)
				}
				k, err := StringToKey(e, password, salt, params)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(k.Bytes(), want) {
					t.Errorf("password %q salt %q count %d: got %x, gokrb5 %x", password, salt, iter, k.Bytes(), want)
				}
			})
		}
	}
}

func TestEncryptionInteroperatesWithGokrb5(t *testing.T) {
	t.Parallel()
	r := mrand.New(mrand.NewPCG(3, 4))
	for _, e := range append(aesTypes, RC4HMAC) {
		oracle, err := gokrb5.GetEtype(int32(e))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 1000} {
			t.Run(fmt.Sprintf("%v with %d bytes", e, n), func(t *testing.T) {
				k, err := GenerateKey(e, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				k = AllowRC4(k) // a no-op for the AES types
				usage := uint32(1 + r.IntN(25))
				msg := make([]byte, n)
				for i := range msg {
					msg[i] = byte(r.Uint32())
				}

				// Ours → gokrb5.
				ct, err := Encrypt(k, usage, msg, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				pt, err := oracle.DecryptMessage(k.Bytes(), ct, usage)
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("gokrb5 could not decrypt ours: %v", err)
				}

				// gokrb5 → ours. (gokrb5 draws its confounder from
				// crypto/rand itself, so the ciphertexts cannot be compared
				// byte for byte.)
				_, gct, err := oracle.EncryptMessage(k.Bytes(), msg, usage)
				if err != nil {
					t.Fatal(err)
				}
				pt, err = Decrypt(k, usage, gct)
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("we could not decrypt gokrb5's: %v", err)
				}

				// Checksums are deterministic: compare them outright.
				sum, err := Checksum(k, usage, msg)
				if err != nil {
					t.Fatal(err)
				}
				gsum, err := oracle.GetChecksumHash(k.Bytes(), msg, usage)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sum, gsum) {
					t.Errorf("checksum: got %x, gokrb5 %x", sum, gsum)
				}
				if !oracle.VerifyChecksum(k.Bytes(), msg, sum, usage) {
					t.Errorf("gokrb5 does not verify our checksum")
				}
			})
		}
	}
}
