package crypto

import (
	"crypto/hmac"
	"fmt"
	"io"
)

// This file is the package's whole operational API; the RFC-specific
// mechanics live in aes.go, derive.go, cts.go, nfold.go and
// string_to_key.go.

// profile returns the AES profile for k, or an error naming op when k is the
// zero Key, has the wrong length, or is of a type that cannot do op.
func profile(op string, k Key) (*aesProfile, error) {
	p, ok := aesProfiles[k.Type]
	if !ok {
		reason := ""
		if k.Type == RC4HMAC {
			reason = "rc4-hmac keys are supported for string-to-key only"
		}
		return nil, newError(op, k.Type, ErrUnsupported, reason)
	}
	if k.secret == nil {
		return nil, newError(op, k.Type, ErrMalformed, "zero Key")
	}
	if n := len(k.secret()); n != p.keySize {
		return nil, newError(op, k.Type, ErrMalformed, fmt.Sprintf("key is %d bytes, want %d", n, p.keySize))
	}
	return p, nil
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
	conf := make([]byte, confounderSize)
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
