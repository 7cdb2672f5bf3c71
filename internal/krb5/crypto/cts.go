package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// CBC with ciphertext stealing as RFC 3962 §5 defines it for Kerberos: CBC
// over the plaintext zero-padded to whole blocks, then the last two
// ciphertext blocks are swapped and the new last block is cut to the length
// of the last plaintext block. The swap happens even when the plaintext is a
// whole number of blocks (more than one); a single block is plain CBC. The
// RFC 3962 appendix B vectors pin this down.

// ctsEncrypt encrypts plaintext (at least one block) with b in CBC-CTS mode
// from the initial vector iv. It also returns the next cipher state: the
// last full CBC ciphertext block, which is the second-to-last block of the
// output.
func ctsEncrypt(b cipher.Block, iv, plaintext []byte) (ciphertext, nextIV []byte) {
	const bs = aes.BlockSize
	n := len(plaintext)
	if n < bs || len(iv) != bs {
		panic("krb5 crypto: ctsEncrypt: input shorter than one block or bad IV")
	}
	blocks := (n + bs - 1) / bs
	buf := make([]byte, blocks*bs)
	copy(buf, plaintext)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(buf, buf)
	if blocks == 1 {
		return buf, append([]byte(nil), buf...)
	}
	last := buf[(blocks-1)*bs:]
	prev := buf[(blocks-2)*bs : (blocks-1)*bs]
	tail := n - (blocks-1)*bs // bytes in the last plaintext block, 1..16
	out := make([]byte, n)
	copy(out, buf[:(blocks-2)*bs])
	copy(out[(blocks-2)*bs:], last)
	copy(out[(blocks-1)*bs:], prev[:tail])
	return out, append([]byte(nil), last...)
}

// ctsDecrypt reverses ctsEncrypt. ciphertext must be at least one block.
func ctsDecrypt(b cipher.Block, iv, ciphertext []byte) []byte {
	const bs = aes.BlockSize
	n := len(ciphertext)
	if n < bs || len(iv) != bs {
		panic("krb5 crypto: ctsDecrypt: input shorter than one block or bad IV")
	}
	blocks := (n + bs - 1) / bs
	out := make([]byte, n)
	if blocks == 1 {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ciphertext)
		return out
	}
	head := (blocks - 2) * bs // bytes of plain CBC before the stolen pair
	tail := n - (blocks-1)*bs // bytes of the last, short block, 1..16

	// Everything before the last two blocks is ordinary CBC.
	chain := iv
	if head > 0 {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out[:head], ciphertext[:head])
		chain = ciphertext[head-bs : head]
	}

	// The swapped pair: cLast is the last CBC block, cPrev the (cut) one
	// before it. D(cLast) = cPrev ^ lastPlain||zeros, so its tail bytes
	// restore what was cut from cPrev.
	cLast := ciphertext[head : head+bs]
	cPrevShort := ciphertext[head+bs:]
	d := make([]byte, bs)
	b.Decrypt(d, cLast)
	cPrev := make([]byte, bs)
	copy(cPrev, cPrevShort)
	copy(cPrev[tail:], d[tail:])
	subtle.XORBytes(out[head+bs:], d[:tail], cPrevShort)

	b.Decrypt(d, cPrev)
	subtle.XORBytes(out[head:head+bs], d, chain)
	return out
}
