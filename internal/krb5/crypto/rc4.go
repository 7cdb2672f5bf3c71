package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
)

// rc4Suite is rc4-hmac (RFC 4757), the Windows 2000 encryption type: the key
// is the NT hash, encryption is RC4 under a per-message key, integrity an
// HMAC-MD5. Only reachable through keys marked with [AllowRC4].
type rc4Suite struct{}

const (
	rc4ConfounderLen = 8
	rc4ChecksumLen   = md5.Size
)

func (rc4Suite) confounderLen() int { return rc4ConfounderLen }

// rc4Usage maps a Kerberos key usage to the message type RFC 4757 §3 mixes
// into the keys: the AS-REP and TGS-REP encrypted parts share 8, GSS-API
// sealing (usage 23) is 13; every other usage is its own number.
func rc4Usage(u uint32) uint32 {
	switch u {
	case 3, 9:
		return 8
	case 23:
		return 13
	}
	return u
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// encrypt is RFC 4757 §5: K1 = HMAC-MD5(key, T), checksum =
// HMAC-MD5(K1, confounder || plaintext), K3 = HMAC-MD5(K1, checksum), and
// the result checksum || RC4(K3, confounder || plaintext).
func (rc4Suite) encrypt(key []byte, usage uint32, conf, plaintext []byte) []byte {
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], rc4Usage(usage))
	k1 := hmacMD5(key, t[:])
	data := append(append(make([]byte, 0, len(conf)+len(plaintext)), conf...), plaintext...)
	sum := hmacMD5(k1, data)
	k3 := hmacMD5(k1, sum)
	c, _ := rc4.NewCipher(k3)
	out := make([]byte, rc4ChecksumLen+len(data))
	copy(out, sum)
	c.XORKeyStream(out[rc4ChecksumLen:], data)
	return out
}

func (rc4Suite) decrypt(key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < rc4ChecksumLen+rc4ConfounderLen {
		return nil, newError("decrypt", RC4HMAC, ErrMalformed, "ciphertext shorter than a checksum and a confounder")
	}
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], rc4Usage(usage))
	k1 := hmacMD5(key, t[:])
	sum := ciphertext[:rc4ChecksumLen]
	k3 := hmacMD5(k1, sum)
	c, _ := rc4.NewCipher(k3)
	data := make([]byte, len(ciphertext)-rc4ChecksumLen)
	c.XORKeyStream(data, ciphertext[rc4ChecksumLen:])
	if !hmac.Equal(hmacMD5(k1, data), sum) {
		return nil, newError("decrypt", RC4HMAC, ErrIntegrity, "")
	}
	return data[rc4ConfounderLen:], nil
}

// checksum is the hmac-md5 keyed checksum (RFC 4757 §4; the PAC's
// KERB_CHECKSUM_HMAC_MD5): Ksign = HMAC-MD5(key, "signaturekey\0"),
// HMAC-MD5(Ksign, MD5(T || data)).
func (rc4Suite) checksum(key []byte, usage uint32, data []byte) []byte {
	ksign := hmacMD5(key, []byte("signaturekey\x00"))
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], rc4Usage(usage))
	h := md5.New()
	h.Write(t[:])
	h.Write(data)
	return hmacMD5(ksign, h.Sum(nil))
}
