package crypto

import "errors"

// Error reports a refused operation: which one, for which encryption type,
// and why. Its message never contains key bytes, passwords or plaintext.
type Error struct {
	Op      string  // "encrypt", "decrypt", "checksum", "verify checksum", "string-to-key", "new key", "parse enctype"
	EncType EncType // zero when the operation has no encryption type yet
	Reason  string  // what was wrong, for a person; may be empty
	Err     error   // one of the sentinels below, or the cause (a failing random reader)
}

func (e *Error) Error() string {
	s := "krb5 crypto: " + e.Op
	if e.EncType != 0 {
		s += " " + e.EncType.String()
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
	// ErrIntegrity means a MAC or checksum did not verify: the data was
	// altered, or the key or key usage is wrong. RFC 4120 calls this
	// KRB_AP_ERR_BAD_INTEGRITY.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrUnsupported means the encryption type is unknown, or known but not
	// available for the operation (rc4-hmac encryption).
	ErrUnsupported = errors.New("unsupported encryption type")
	// ErrMalformed means the input cannot be what the operation expects: a
	// ciphertext too short to hold a confounder and a MAC, a key of the
	// wrong length, an s2kparams that is not four octets.
	ErrMalformed = errors.New("malformed input")
	// ErrParams means string-to-key parameters were well formed but refused:
	// an iteration count of zero (2^32, RFC 3962 §4) or above 2^24.
	ErrParams = errors.New("refused string-to-key parameters")
)

func newError(op string, e EncType, sentinel error, reason string) *Error {
	return &Error{Op: op, EncType: e, Reason: reason, Err: sentinel}
}
