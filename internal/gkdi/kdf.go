package gkdi

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"strings"
)

// Hash is the PRF hash of the SP800-108 KDF, named in a root key's
// msKds-KDFParam ([MS-GKDI] 2.2.1).
type Hash uint8

// The hashes [MS-GKDI] allows. Windows and Samba write SHA512 into new root
// keys; a root key without msKds-KDFParam uses SHA256.
const (
	SHA1 Hash = iota + 1
	SHA256
	SHA384
	SHA512
)

// DefaultHash is what a root key without msKds-KDFParam uses (Samba
// kdf_sp_800_108_from_params(NULL); "the default used by Windows").
const DefaultHash = SHA256

var hashNames = map[Hash]string{SHA1: "SHA1", SHA256: "SHA256", SHA384: "SHA384", SHA512: "SHA512"}

func (h Hash) String() string {
	if n, ok := hashNames[h]; ok {
		return n
	}
	return "unknown"
}

// ParseHash accepts the names of the KdfParameters structure ("SHA512"),
// case-insensitively, with or without a dash ("sha-512").
func ParseHash(name string) (Hash, error) {
	n := strings.ToUpper(strings.ReplaceAll(name, "-", ""))
	for h, hn := range hashNames {
		if n == hn {
			return h, nil
		}
	}
	return 0, errorf(ErrNotSupported, "KDF hash", quote(name), "unknown hash (want SHA1, SHA256, SHA384 or SHA512)")
}

func (h Hash) valid() bool { _, ok := hashNames[h]; return ok }

func (h Hash) new() func() hash.Hash {
	switch h {
	case SHA1:
		return sha1.New
	case SHA256:
		return sha256.New
	case SHA384:
		return sha512.New384
	default:
		return sha512.New
	}
}

// Size is the output size of one HMAC block in bytes.
func (h Hash) Size() int {
	switch h {
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case SHA384:
		return sha512.Size384
	default:
		return sha512.Size
	}
}

// KDF is the SP800-108 counter-mode KDF with HMAC(h) as PRF, as [MS-GKDI]
// 3.1.4.1.2 uses it: K(i) = HMAC(key, BE32(i) || label || 0x00 || context ||
// BE32(8·n)) for i = 1, 2, …, and the output is the first n bytes of
// K(1) || K(2) || …. It panics if h is not one of the constants above.
func KDF(h Hash, key, label, context []byte, n int) []byte {
	return appendKDF(make([]byte, 0, n), h, key, label, context, n)
}

// appendKDF appends n bytes of KDF output to dst. The fixed input is built
// once; only the counter changes between blocks.
func appendKDF(dst []byte, h Hash, key, label, context []byte, n int) []byte {
	if !h.valid() {
		panic("gkdi: KDF with unknown hash")
	}
	var stack [160]byte
	fixedLen := 4 + len(label) + 1 + len(context) + 4
	in := stack[:0]
	if fixedLen > len(stack) {
		in = make([]byte, 0, fixedLen)
	}
	in = append(in, 0, 0, 0, 0)
	in = append(in, label...)
	in = append(in, 0)
	in = append(in, context...)
	in = binary.BigEndian.AppendUint32(in, uint32(n)*8)

	mac := hmac.New(h.new(), key)
	var sum [sha512.Size]byte
	for i := uint32(1); n > 0; i++ {
		binary.BigEndian.PutUint32(in[:4], i)
		if i > 1 {
			// Not before the first block: hmac.New has primed the state,
			// and a first Reset would snapshot it, which costs more than
			// the one or four blocks a KDF call computes.
			mac.Reset()
		}
		mac.Write(in)
		block := mac.Sum(sum[:0])
		take := min(n, len(block))
		dst = append(dst, block[:take]...)
		n -= take
	}
	return dst
}
