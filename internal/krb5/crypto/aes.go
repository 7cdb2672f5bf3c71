package crypto

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// aesProfile is one of the four AES encryption types. RFC 3962 and RFC 8009
// share the cipher (AES-CTS, zero initial vector, a 16-byte confounder) and
// the shape of Ke/Ki/Kc; they differ in the hash, the lengths, how keys are
// derived and what the MAC covers, which rfc8009 selects.
type aesProfile struct {
	etype      EncType
	keySize    int              // bytes of the protocol key and of Ke
	macKeySize int              // bytes of Ki and Kc
	macSize    int              // bytes of the truncated HMAC (h in RFC 3961 §5.3)
	hash       func() hash.Hash // HMAC hash; also PBKDF2's PRF
	rfc8009    bool             // KDF-HMAC-SHA2 keys, MAC over IV|C, enctype-name salt
	iterations int              // default PBKDF2 iteration count
}

var aesProfiles = map[EncType]*aesProfile{
	// RFC 3962 §6 and §7.
	AES128CTSHMACSHA196: {etype: AES128CTSHMACSHA196, keySize: 16, macKeySize: 16, macSize: 12, hash: sha1.New, iterations: 4096},
	AES256CTSHMACSHA196: {etype: AES256CTSHMACSHA196, keySize: 32, macKeySize: 32, macSize: 12, hash: sha1.New, iterations: 4096},
	// RFC 8009 §5.
	AES128CTSHMACSHA256128: {etype: AES128CTSHMACSHA256128, keySize: 16, macKeySize: 16, macSize: 16, hash: sha256.New, rfc8009: true, iterations: 32768},
	AES256CTSHMACSHA384192: {etype: AES256CTSHMACSHA384192, keySize: 32, macKeySize: 24, macSize: 24, hash: sha512.New384, rfc8009: true, iterations: 32768},
}

func (p *aesProfile) confounderLen() int { return confounderSize }

// confounderSize is the random prefix of every plaintext, one AES block
// (RFC 3962 §6, RFC 8009 §5 "N").
const confounderSize = aes.BlockSize

// derive returns Kc, Ke or Ki for key usage u from the protocol key base:
// DK(base, usage|kind) for RFC 3962 (RFC 3961 §5.3), KDF-HMAC-SHA2(base,
// usage|kind, bits) for RFC 8009 (§5).
func (p *aesProfile) derive(base []byte, u uint32, kind byte) []byte {
	c := usageConstant(u, kind)
	if !p.rfc8009 {
		return deriveKey(base, c)
	}
	n := p.macKeySize
	if kind == kindEncrypt {
		n = p.keySize
	}
	return kdfHMACSHA2(p.hash, base, c, 8*n)
}

func (p *aesProfile) mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(p.hash, key)
	for _, b := range parts {
		m.Write(b)
	}
	return m.Sum(nil)[:p.macSize]
}

// encrypt is the simplified profile's encryption function, RFC 3961 §5.3,
// with RFC 8009 §5's change to encrypt-then-MAC:
//
//	RFC 3962: C = E(Ke, conf | msg), H = HMAC-SHA1(Ki, conf | msg)[:12]
//	RFC 8009: C = E(Ke, conf | msg), H = HMAC-SHA2(Ki, IV | C)[:16 or 24]
//
// and the result is C | H. The initial vector is always zero: Kerberos
// messages do not chain cipher state.
func (p *aesProfile) encrypt(base []byte, u uint32, confounder, msg []byte) []byte {
	ke := p.derive(base, u, kindEncrypt)
	ki := p.derive(base, u, kindIntegrity)
	plain := make([]byte, 0, len(confounder)+len(msg))
	plain = append(append(plain, confounder...), msg...)
	b, _ := aes.NewCipher(ke) // ke has a valid AES length by construction
	iv := make([]byte, aes.BlockSize)
	c, _ := ctsEncrypt(b, iv, plain)
	var h []byte
	if p.rfc8009 {
		h = p.mac(ki, iv, c)
	} else {
		h = p.mac(ki, plain)
	}
	return append(c, h...)
}

// decrypt reverses encrypt and checks the MAC in constant time. With RFC
// 8009 the MAC is checked before anything is decrypted.
func (p *aesProfile) decrypt(base []byte, u uint32, ciphertext []byte) ([]byte, error) {
	if least := confounderSize + p.macSize; len(ciphertext) < least {
		return nil, newError("decrypt", p.etype, ErrMalformed,
			fmt.Sprintf("ciphertext is %d bytes, shorter than the %d of a confounder and a MAC", len(ciphertext), least))
	}
	c, h := ciphertext[:len(ciphertext)-p.macSize], ciphertext[len(ciphertext)-p.macSize:]
	ke := p.derive(base, u, kindEncrypt)
	ki := p.derive(base, u, kindIntegrity)
	iv := make([]byte, aes.BlockSize)
	if p.rfc8009 && !hmac.Equal(h, p.mac(ki, iv, c)) {
		return nil, newError("decrypt", p.etype, ErrIntegrity, "")
	}
	b, _ := aes.NewCipher(ke)
	plain := ctsDecrypt(b, iv, c)
	if !p.rfc8009 && !hmac.Equal(h, p.mac(ki, plain)) {
		return nil, newError("decrypt", p.etype, ErrIntegrity, "")
	}
	return plain[confounderSize:], nil
}

// checksum is the keyed checksum of RFC 3961 §5.4 (RFC 3962 §7,
// hmac-sha1-96-aes*) and RFC 8009 §5 (hmac-sha256-128-aes128,
// hmac-sha384-192-aes256): the truncated HMAC of the data under Kc.
func (p *aesProfile) checksum(base []byte, u uint32, data []byte) []byte {
	return p.mac(p.derive(base, u, kindChecksum), data)
}
