package crypto

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Key is a Kerberos encryption key (RFC 4120 §5.2.9 EncryptionKey): its
// encryption type and its bytes.
//
// A Key never prints its bytes: String, GoString, Format (every verb) and
// LogValue give "aes256-cts-hmac-sha1-96 key [REDACTED]". Keys are not
// comparable with ==; compare [Key.Bytes] with crypto/subtle if you must.
type Key struct {
	Type EncType

	// secret returns the key's bytes (not a copy). It is a func rather than
	// a []byte or a pointer because fmt prints a func as an address with
	// every verb and at every depth: when a Key is an unexported field of a
	// struct being printed, fmt cannot call the Key's methods and walks it
	// by reflection, and would print a slice, or what a pointer points to.
	secret func() []byte

	// rc4 is the explicit opt-in that rc4-hmac keys need before they can
	// encrypt, decrypt or checksum: see [AllowRC4].
	rc4 bool
}

// AllowRC4 returns k enabled for rc4-hmac operations (RFC 4757). RC4 keys
// are otherwise inert: they can be made, stored, compared and written to a
// keytab, but Encrypt, Decrypt and Checksum refuse them. rc4-hmac is weak
// (an unsalted MD4 key, RC4's keystream biases) and Active Directory uses it
// only for accounts that ask for it; whoever enables it says so here, next
// to the reason. For a key of any other type AllowRC4 returns k unchanged.
func AllowRC4(k Key) Key {
	if k.Type == RC4HMAC {
		k.rc4 = true
	}
	return k
}

// NewKey makes a key of type e from b (RFC 3961 random-to-key, which is the
// identity for every type here). It copies b and checks its length against
// e.KeySize().
func NewKey(e EncType, b []byte) (Key, error) {
	n := e.KeySize()
	if n == 0 {
		return Key{}, newError("new key", e, ErrUnsupported, "")
	}
	if len(b) != n {
		return Key{}, newError("new key", e, ErrMalformed, fmt.Sprintf("key is %d bytes, want %d", len(b), n))
	}
	return newKey(e, b), nil
}

// newKey makes a Key of b, copied.
func newKey(e EncType, b []byte) Key { return keyOf(e, append([]byte(nil), b...)) }

// keyOf makes a Key that holds b itself.
func keyOf(e EncType, b []byte) Key { return Key{Type: e, secret: func() []byte { return b }} }

// GenerateKey makes a new random key of type e, reading e.KeySize() bytes
// from rand (crypto/rand.Reader in production, a fixed reader in tests).
func GenerateKey(e EncType, rand io.Reader) (Key, error) {
	n := e.KeySize()
	if n == 0 {
		return Key{}, newError("generate key", e, ErrUnsupported, "")
	}
	if rand == nil {
		return Key{}, newError("generate key", e, ErrMalformed, "no random source")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rand, b); err != nil {
		return Key{}, &Error{Op: "generate key", EncType: e, Reason: "reading random bytes", Err: err}
	}
	return keyOf(e, b), nil
}

// Bytes returns a copy of the key's bytes, or nil for the zero Key.
func (k Key) Bytes() []byte {
	if k.secret == nil {
		return nil
	}
	return append([]byte(nil), k.secret()...)
}

// String returns the key's type and "[REDACTED]", never its bytes.
func (k Key) String() string {
	if k.secret == nil {
		return k.Type.String() + " key [EMPTY]"
	}
	return k.Type.String() + " key [REDACTED]"
}

// GoString is String, for %#v.
func (k Key) GoString() string { return "crypto.Key{" + strconv.Quote(k.String()) + "}" }

// Format writes String for every verb, so that %x, %q, %v and %#v redact too.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, k.GoString())
		return
	}
	io.WriteString(f, k.String())
}

// LogValue makes log/slog print the key redacted.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

var (
	_ fmt.Stringer   = Key{}
	_ fmt.GoStringer = Key{}
	_ fmt.Formatter  = Key{}
	_ slog.LogValuer = Key{}
)
