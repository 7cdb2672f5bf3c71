package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"hash"
)

// The last byte of a key usage constant says which key it derives, RFC 3961
// §5.3 and RFC 8009 §5.
const (
	kindChecksum  = 0x99 // Kc, for checksums
	kindEncrypt   = 0xAA // Ke, for the cipher
	kindIntegrity = 0x55 // Ki, for the MAC of an encryption
)

// usageConstant is the 5-byte constant for key usage u and key kind, RFC
// 3961 §5.3: the usage as 32 bits big-endian, then the kind.
func usageConstant(u uint32, kind byte) []byte {
	var c [5]byte
	binary.BigEndian.PutUint32(c[:4], u)
	c[4] = kind
	return c[:]
}

// deriveRandom is DR(Key, Constant) of RFC 3961 §5.1 for a cipher whose
// "E" is AES-CTS with a zero initial vector (RFC 3962 §6): the constant is
// n-folded to one block, encrypted, and the result encrypted again until n
// bytes have come out. One block of CTS with a zero IV is one AES block
// encryption.
func deriveRandom(b cipher.Block, constant []byte, n int) []byte {
	k := nfold(constant, aes.BlockSize)
	out := make([]byte, 0, n+aes.BlockSize)
	for len(out) < n {
		b.Encrypt(k, k)
		out = append(out, k...)
	}
	return out[:n]
}

// deriveKey is DK(Key, Constant) = random-to-key(DR(Key, Constant)), RFC
// 3961 §5.1; random-to-key is the identity for AES (RFC 3962 §6).
func deriveKey(key, constant []byte) []byte {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("krb5 crypto: deriveKey: " + err.Error()) // key lengths are checked by NewKey
	}
	return deriveRandom(b, constant, len(key))
}

// kdfHMACSHA2 is KDF-HMAC-SHA2(key, label, k) of RFC 8009 §3 without the
// optional context: the first k bits of HMAC(key, 00000001 | label | 00 | k),
// with the counter and k as 32-bit big-endian numbers. k never exceeds the
// hash's output here, so one block is enough.
func kdfHMACSHA2(h func() hash.Hash, key, label []byte, bits int) []byte {
	m := hmac.New(h, key)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], 1)
	m.Write(n[:])
	m.Write(label)
	m.Write([]byte{0})
	binary.BigEndian.PutUint32(n[:], uint32(bits))
	m.Write(n[:])
	return m.Sum(nil)[:bits/8]
}
