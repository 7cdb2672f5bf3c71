package pac

import (
	"errors"
	"fmt"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Error is the error every function in this package returns. It names the
// operation, the structure and field that was wrong ([MS-PAC] names, so
// that a reader can find them in the specification) and why:
//
//	pac: parse PAC_INFO_BUFFER[2].Offset: 0x13 is not a multiple of 8: malformed PAC
//	pac: parse KERB_VALIDATION_INFO.GroupIds: GroupCount is 3 but the pointer is NULL: malformed PAC
//	pac: verify PAC_SIGNATURE_DATA(server).Signature: integrity check failed
//
// Branch on Err with [errors.Is]. Messages never contain key bytes.
type Error struct {
	Op     string // "parse", "marshal", "sign", "verify", "verify KDC"
	Field  string // the structure and field, such as "KERB_VALIDATION_INFO.ExtraSids"; may be empty
	Reason string // what was wrong, for a person; may be empty
	Err    error  // one of the sentinels below, or a cause from internal/krb5/crypto
}

func (e *Error) Error() string {
	s := "pac: " + e.Op
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels, for errors.Is.
var (
	// ErrMalformed means the bytes cannot be a PAC or one of its buffers: a
	// length or offset that points outside the buffer, an NDR count that
	// disagrees with its field, an odd UTF-16 byte count, a duplicated
	// buffer type this package decodes.
	ErrMalformed = errors.New("malformed PAC")
	// ErrUnsupported means well-formed input this package does not handle:
	// a PACTYPE version other than 0, big-endian NDR, a signature type it
	// cannot compute, a key type that has no PAC checksum.
	ErrUnsupported = errors.New("unsupported PAC content")
	// ErrMissing means a buffer an operation needs is absent: Verify
	// without a server or KDC signature buffer.
	ErrMissing = errors.New("required PAC buffer missing")
	// ErrKeyMismatch means the key given cannot produce the signature's
	// checksum type (an aes128 key for an hmac-sha1-96-aes256 signature).
	ErrKeyMismatch = errors.New("key does not match the signature type")
	// ErrIntegrity means a signature did not verify: the PAC was altered,
	// or the key is not the one it was signed with. It is
	// crypto.ErrIntegrity, so either sentinel matches.
	ErrIntegrity = crypto.ErrIntegrity
)

func errorf(op, field string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Field: field, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// malformed is the common case of parse errors.
func malformed(field, format string, args ...any) *Error {
	return errorf("parse", field, ErrMalformed, format, args...)
}
