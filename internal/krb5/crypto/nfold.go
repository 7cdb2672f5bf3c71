package crypto

// nfold stretches or shrinks in to n bytes, RFC 3961 §5.1: the input is
// repeated up to the least common multiple of both lengths, each repetition
// rotated 13 bits further to the right than the last, and the n-byte chunks
// of that are added with ones'-complement (end-around carry) addition.
//
// It is what turns a key usage constant of 5 bytes into a cipher block for
// DK. RFC 3961 states it in bits; every length here is whole bytes.
func nfold(in []byte, n int) []byte {
	if len(in) == 0 || n <= 0 {
		return make([]byte, max(n, 0))
	}
	l := lcm(len(in), n)
	buf := make([]byte, 0, l)
	for i := 0; len(buf) < l; i++ {
		buf = append(buf, rotateRight(in, 13*i)...)
	}
	out := make([]byte, n)
	for off := 0; off < l; off += n {
		addOnesComplement(out, buf[off:off+n])
	}
	return out
}

// rotateRight rotates the big-endian bit string b right by r bits.
func rotateRight(b []byte, r int) []byte {
	bits := 8 * len(b)
	out := make([]byte, len(b))
	for i := range bits {
		src := ((i-r)%bits + bits) % bits
		if b[src/8]&(0x80>>(src%8)) != 0 {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// addOnesComplement sets sum = sum + x with end-around carry; both are
// big-endian and of equal length.
func addOnesComplement(sum, x []byte) {
	carry := 0
	for i := len(sum) - 1; i >= 0; i-- {
		v := int(sum[i]) + int(x[i]) + carry
		sum[i], carry = byte(v), v>>8
	}
	for carry != 0 {
		for i := len(sum) - 1; i >= 0 && carry != 0; i-- {
			v := int(sum[i]) + carry
			sum[i], carry = byte(v), v>>8
		}
	}
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}
