package crypto

import (
	"crypto/pbkdf2"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// MaxIterations is the largest PBKDF2 iteration count StringToKey accepts,
// 2^24. RFC 3962 §8 warns that a forged s2kparams with a huge count is a
// denial of service against the client; 2^24 is 512 times RFC 8009's
// default and several seconds of work.
const MaxIterations = 1 << 24

// StringToKey derives the long-term key of type e from a password and salt
// (RFC 3961 §3 string-to-key). s2kparams is the KDC's opaque parameter
// string from ETYPE-INFO2 (RFC 4120 §5.2.7.5); nil or empty means the
// encryption type's default.
//
//   - AES with SHA-1, RFC 3962 §4: DK(PBKDF2-HMAC-SHA1(password, salt, count),
//     "kerberos"); s2kparams is the iteration count as 4 octets big-endian,
//     4096 by default.
//   - AES with SHA-2, RFC 8009 §4: KDF-HMAC-SHA2(PBKDF2-HMAC-SHA256/384(
//     password, enctype-name | 0x00 | salt, count), "kerberos"); the count
//     is encoded the same way, 32768 by default.
//   - rc4-hmac, RFC 4757 §4: MD4(UTF-16LE(password)); salt and s2kparams are
//     ignored.
//
// Iteration counts of 0 (which RFC 3962 defines as 2^32) and above
// [MaxIterations] are refused with [ErrParams].
func StringToKey(e EncType, password, salt string, s2kparams []byte) (Key, error) {
	if e == RC4HMAC {
		return keyOf(e, NTHash(utf16le(password))), nil
	}
	p, ok := aesProfiles[e]
	if !ok {
		return Key{}, newError("string-to-key", e, ErrUnsupported, "")
	}
	iter, err := iterations(e, s2kparams, p.iterations)
	if err != nil {
		return Key{}, err
	}
	var k []byte
	if p.rfc8009 {
		saltp := append(append([]byte(e.String()), 0), salt...)
		tkey, err := pbkdf2.Key(p.hash, password, saltp, iter, p.keySize)
		if err != nil {
			return Key{}, &Error{Op: "string-to-key", EncType: e, Reason: "PBKDF2", Err: err}
		}
		k = kdfHMACSHA2(p.hash, tkey, []byte("kerberos"), 8*p.keySize)
	} else {
		tkey, err := pbkdf2.Key(p.hash, password, []byte(salt), iter, p.keySize)
		if err != nil {
			return Key{}, &Error{Op: "string-to-key", EncType: e, Reason: "PBKDF2", Err: err}
		}
		k = deriveKey(tkey, []byte("kerberos"))
	}
	return keyOf(e, k), nil
}

// iterations reads an AES s2kparams: an unsigned 32-bit big-endian
// iteration count (RFC 3962 §4, RFC 8009 §4).
func iterations(e EncType, s2kparams []byte, def int) (int, error) {
	if len(s2kparams) == 0 {
		return def, nil
	}
	if len(s2kparams) != 4 {
		return 0, newError("string-to-key", e, ErrMalformed,
			fmt.Sprintf("s2kparams is %d bytes, want 4 (an iteration count)", len(s2kparams)))
	}
	n := binary.BigEndian.Uint32(s2kparams)
	if n == 0 {
		return 0, newError("string-to-key", e, ErrParams,
			"iteration count 0 (meaning 4294967296, RFC 3962 §4) is above the limit of 16777216")
	}
	if n > MaxIterations {
		return 0, newError("string-to-key", e, ErrParams,
			fmt.Sprintf("iteration count %d is above the limit of %d", n, MaxIterations))
	}
	return int(n), nil
}

// NTHash is MD4 over a UTF-16LE password: the NT hash, which is also the
// rc4-hmac key (RFC 4757 §4). It takes the UTF-16LE bytes as they are
// because a gMSA's password is 256 bytes of arbitrary UTF-16 that need not
// be valid Unicode, so it must not go through a Go string.
func NTHash(utf16le []byte) []byte {
	h := md4.New()
	h.Write(utf16le)
	return h.Sum(nil)
}

// utf16le encodes s as UTF-16 little-endian; invalid UTF-8 becomes U+FFFD.
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}
