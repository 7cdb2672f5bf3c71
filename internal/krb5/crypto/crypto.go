package crypto

import (
	"crypto/hmac"
	"fmt"
	"io"
)

// This file is the package's whole operational API; the RFC-specific
// mechanics live in aes.go, derive.go, cts.go, nfold.go and
// string_to_key.go.

// suite is what an encryption type does with a key's bytes.
type suite interface {
	encrypt(key []byte, usage uint32, conf, plaintext []byte) []byte
	decrypt(key []byte, usage uint32, ciphertext []byte) ([]byte, error)
	checksum(key []byte, usage uint32, data []byte) []byte
	confounderLen() int
}

// profile returns the suite for k, or an error naming op when k is the zero
// Key, has the wrong length, is of a type that cannot do op, or is an
// rc4-hmac key without the [AllowRC4] opt-in.
func profile(op string, k Key) (suite, error) {
	var s suite
	if p, ok := aesProfiles[k.Type]; ok {
		s = p
	} else if k.Type == RC4HMAC {
		if !k.rc4 {
			return nil, newError(op, k.Type, ErrUnsupported, "rc4-hmac is disabled for this key; opt in with crypto.AllowRC4")
		}
		s = rc4Suite{}
	} else {
		return nil, newError(op, k.Type, ErrUnsupported, "")
	}
	if k.secret == nil {
		return nil, newError(op, k.Type, ErrMalformed, "zero Key")
	}
	if n, want := len(k.secret()), k.Type.KeySize(); n != want {
		return nil, newError(op, k.Type, ErrMalformed, fmt.Sprintf("key is %d bytes, want %d", n, want))
	}
	return s, nil
}

// Encrypt encrypts plaintext under k for key usage usage (RFC 3961 §5.3's
// encryption function; usages in RFC 4120 §7.5.1): a 16-byte confounder read
// from rand, AES-CTS under the usage's Ke, and a truncated HMAC under its Ki.
// The result is the cipher field of an EncryptedData.
func Encrypt(k Key, usage uint32, plaintext []byte, rand io.Reader) ([]byte, error) {
	p, err := profile("encrypt", k)
	if err != nil {
		return nil, err
	}
	if rand == nil {
		return nil, newError("encrypt", k.Type, ErrMalformed, "no random source for the confounder")
	}
	conf := make([]byte, p.confounderLen())
	if _, err := io.ReadFull(rand, conf); err != nil {
		return nil, &Error{Op: "encrypt", EncType: k.Type, Reason: "reading the confounder", Err: err}
	}
	return p.encrypt(k.secret(), usage, conf, plaintext), nil
}

// Decrypt opens a ciphertext made by Encrypt with the same key and usage. A
// ciphertext too short to hold a confounder and a MAC fails with
// [ErrMalformed]; a MAC that does not verify (altered data, wrong key or
// wrong usage) fails with [ErrIntegrity]. It never returns partial
// plaintext.
func Decrypt(k Key, usage uint32, ciphertext []byte) ([]byte, error) {
	p, err := profile("decrypt", k)
	if err != nil {
		return nil, err
	}
	return p.decrypt(k.secret(), usage, ciphertext)
}

// Checksum computes the keyed checksum of type k.Type.ChecksumType() over
// data for key usage usage (RFC 3961 §5.4): HMAC-SHA1-96 for the RFC 3962
// types (15, 16), HMAC-SHA256-128 and HMAC-SHA384-192 for the RFC 8009 types
// (19, 20), each under the usage's Kc.
func Checksum(k Key, usage uint32, data []byte) ([]byte, error) {
	p, err := profile("checksum", k)
	if err != nil {
		return nil, err
	}
	return p.checksum(k.secret(), usage, data), nil
}

// VerifyChecksum checks sum against Checksum(k, usage, data) in constant
// time; a mismatch (including a sum of the wrong length) is [ErrIntegrity].
func VerifyChecksum(k Key, usage uint32, data, sum []byte) error {
	p, err := profile("verify checksum", k)
	if err != nil {
		return err
	}
	if !hmac.Equal(sum, p.checksum(k.secret(), usage, data)) {
		return newError("verify checksum", k.Type, ErrIntegrity, "")
	}
	return nil
}
