package crypto

import (
	"strconv"
	"strings"
)

// EncType is a Kerberos encryption type number, RFC 3961 §8 and the IANA
// "Kerberos Encryption Type Numbers" registry.
type EncType int32

// The encryption types this package knows.
const (
	AES128CTSHMACSHA196    EncType = 17 // aes128-cts-hmac-sha1-96, RFC 3962
	AES256CTSHMACSHA196    EncType = 18 // aes256-cts-hmac-sha1-96, RFC 3962
	AES128CTSHMACSHA256128 EncType = 19 // aes128-cts-hmac-sha256-128, RFC 8009
	AES256CTSHMACSHA384192 EncType = 20 // aes256-cts-hmac-sha384-192, RFC 8009
	RC4HMAC                EncType = 23 // arcfour-hmac (rc4-hmac), RFC 4757; encryption only after AllowRC4
)

// encTypeNames are MIT krb5's names and aliases (lib/crypto/krb/etypes.c),
// plus the short forms aes128, aes256 and rc4: the first is the one String
// returns, all are accepted by ParseEncType.
var encTypeNames = map[EncType][]string{
	AES128CTSHMACSHA196:    {"aes128-cts-hmac-sha1-96", "aes128-cts", "aes128-sha1", "aes128"},
	AES256CTSHMACSHA196:    {"aes256-cts-hmac-sha1-96", "aes256-cts", "aes256-sha1", "aes256"},
	AES128CTSHMACSHA256128: {"aes128-cts-hmac-sha256-128", "aes128-sha2"},
	AES256CTSHMACSHA384192: {"aes256-cts-hmac-sha384-192", "aes256-sha2"},
	RC4HMAC:                {"arcfour-hmac", "rc4-hmac", "arcfour-hmac-md5", "rc4"},
}

// String returns MIT krb5's name for e ("aes256-cts-hmac-sha1-96",
// "arcfour-hmac"), or "enctype-NN" for a number this package does not know.
func (e EncType) String() string {
	if names, ok := encTypeNames[e]; ok {
		return names[0]
	}
	return "enctype-" + strconv.Itoa(int(e))
}

// ParseEncType reads an encryption type as krb5.conf names it: an MIT name
// or alias ("aes256-cts-hmac-sha1-96", "aes256-cts", "aes256", "aes256-sha2",
// "arcfour-hmac", "rc4-hmac", "rc4"), case-insensitively, or a decimal
// number. Only encryption types this package knows are accepted.
func ParseEncType(s string) (EncType, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for e, names := range encTypeNames {
		for _, n := range names {
			if n == name {
				return e, nil
			}
		}
	}
	if n, err := strconv.ParseInt(name, 10, 32); err == nil {
		if _, ok := encTypeNames[EncType(n)]; ok {
			return EncType(n), nil
		}
		return 0, newError("parse enctype", 0, ErrUnsupported, "encryption type number "+strconv.Quote(s)+" is not one of 17, 18, 19, 20, 23")
	}
	return 0, newError("parse enctype", 0, ErrUnsupported, strconv.Quote(s)+" is not an encryption type name or number")
}

// KeySize returns the length in bytes of a key of type e (RFC 3961 §3's
// key-generation seed length, which for these types is the key length), or
// 0 for an unknown type.
func (e EncType) KeySize() int {
	switch e {
	case AES128CTSHMACSHA196, AES128CTSHMACSHA256128, RC4HMAC:
		return 16
	case AES256CTSHMACSHA196, AES256CTSHMACSHA384192:
		return 32
	}
	return 0
}

// ChecksumType is a Kerberos checksum type number, RFC 3961 §8.
type ChecksumType int32

// The keyed checksum types that go with the AES encryption types.
const (
	HMACSHA196AES128    ChecksumType = 15   // hmac-sha1-96-aes128, RFC 3962
	HMACSHA196AES256    ChecksumType = 16   // hmac-sha1-96-aes256, RFC 3962
	HMACSHA256128AES128 ChecksumType = 19   // hmac-sha256-128-aes128, RFC 8009
	HMACSHA384192AES256 ChecksumType = 20   // hmac-sha384-192-aes256, RFC 8009
	HMACMD5             ChecksumType = -138 // hmac-md5 (KERB_CHECKSUM_HMAC_MD5), RFC 4757 §4; rc4-hmac keys, behind AllowRC4
)

// String returns MIT krb5's name for c, or "cksumtype-NN".
func (c ChecksumType) String() string {
	switch c {
	case HMACSHA196AES128:
		return "hmac-sha1-96-aes128"
	case HMACSHA196AES256:
		return "hmac-sha1-96-aes256"
	case HMACSHA256128AES128:
		return "hmac-sha256-128-aes128"
	case HMACSHA384192AES256:
		return "hmac-sha384-192-aes256"
	case HMACMD5:
		return "hmac-md5-rc4"
	}
	return "cksumtype-" + strconv.Itoa(int(c))
}

// ChecksumType returns the keyed checksum type [Checksum] computes with a
// key of type e (RFC 3961 §4's "required checksum mechanism"), or 0 when
// this package computes none for e.
func (e EncType) ChecksumType() ChecksumType {
	switch e {
	case AES128CTSHMACSHA196:
		return HMACSHA196AES128
	case AES256CTSHMACSHA196:
		return HMACSHA196AES256
	case AES128CTSHMACSHA256128:
		return HMACSHA256128AES128
	case AES256CTSHMACSHA384192:
		return HMACSHA384192AES256
	case RC4HMAC:
		return HMACMD5
	}
	return 0
}
