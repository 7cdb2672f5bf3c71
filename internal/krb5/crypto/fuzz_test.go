package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzType maps a fuzzer's byte onto one of the AES types.
func fuzzType(b byte) EncType { return aesTypes[int(b)%len(aesTypes)] }

func fuzzTypeIndex(e EncType) byte {
	for i, t := range aesTypes {
		if t == e {
			return byte(i)
		}
	}
	panic("not an AES type")
}

// FuzzDecrypt feeds arbitrary keys and ciphertexts to Decrypt: it must never
// panic, must fail with an *Error, and what it accepts must be a plaintext of
// the right length that encrypts and decrypts again. The seeds are the RFC
// 8009 appendix A ciphertexts (which decrypt) and ciphertexts of every
// length around the minimum.
func FuzzDecrypt(f *testing.F) {
	for _, v := range loadVectors(f, "rfc8009", 14) {
		if _, ok := v.fields["ciphertext"]; ok {
			f.Add(fuzzTypeIndex(v.enctype(f)), v.bytes(f, "base-key"), uint32(v.int(f, "usage")), v.bytes(f, "ciphertext"))
		}
	}
	for _, e := range aesTypes {
		k := testKey(f, e)
		for _, n := range []int{0, 1, 16, 17, 100} {
			ct, err := Encrypt(k, KeyUsageKDCRepTicket, message(n), &countingReader{})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(fuzzTypeIndex(e), k.Bytes(), uint32(KeyUsageKDCRepTicket), ct)
			f.Add(fuzzTypeIndex(e), k.Bytes(), uint32(KeyUsageKDCRepTicket), ct[:len(ct)-1])
		}
		f.Add(fuzzTypeIndex(e), k.Bytes(), uint32(1), []byte{})
	}
	f.Fuzz(func(t *testing.T, typ byte, keyBytes []byte, usage uint32, ct []byte) {
		e := fuzzType(typ)
		k, err := NewKey(e, keyBytes)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("NewKey error %T is not *Error", err)
			}
			return
		}
		pt, err := Decrypt(k, usage, ct)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || pt != nil {
				t.Fatalf("Decrypt: %T %v with %d bytes of plaintext", err, err, len(pt))
			}
			return
		}
		if want := len(ct) - confounderSize - aesProfiles[e].macSize; len(pt) != want {
			t.Fatalf("plaintext is %d bytes, want %d", len(pt), want)
		}
		again, err := Encrypt(k, usage, pt, &countingReader{})
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decrypt(k, usage, again); err != nil || !bytes.Equal(back, pt) {
			t.Fatalf("re-encryption did not round-trip: %v", err)
		}
	})
}

// FuzzEncryptRoundTrip checks Decrypt(Encrypt(p)) == p for any plaintext,
// confounder, usage and key, and that flipping any one bit of the
// ciphertext is caught as ErrIntegrity. It also runs the raw CTS mode both
// ways on confounder||plaintext.
func FuzzEncryptRoundTrip(f *testing.F) {
	for _, e := range aesTypes {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100} {
			f.Add(fuzzTypeIndex(e), uint32(KeyUsageAPRepEncPart), message(n), []byte("0123456789abcdef"), uint16(n))
		}
	}
	f.Fuzz(func(t *testing.T, typ byte, usage uint32, plaintext, confounder []byte, flip uint16) {
		e := fuzzType(typ)
		conf := make([]byte, confounderSize)
		copy(conf, confounder)
		k := testKey(t, e)
		ct, err := Encrypt(k, usage, plaintext, bytes.NewReader(conf))
		if err != nil {
			t.Fatal(err)
		}
		pt, err := Decrypt(k, usage, ct)
		if err != nil {
			t.Fatalf("Decrypt: %v", err)
		}
		if !bytes.Equal(pt, plaintext) {
			t.Fatalf("got %x, want %x", pt, plaintext)
		}
		bit := int(flip) % (8 * len(ct))
		ct[bit/8] ^= 1 << (bit % 8)
		if _, err := Decrypt(k, usage, ct); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("bit %d flipped: got %v, want ErrIntegrity", bit, err)
		}

		block := aesBlock(t, k)
		iv := make([]byte, 16)
		in := append(conf, plaintext...)
		c, _ := ctsEncrypt(block, iv, in)
		if back := ctsDecrypt(block, iv, c); !bytes.Equal(back, in) || len(c) != len(in) {
			t.Fatalf("CTS did not round-trip %d bytes", len(in))
		}
	})
}
