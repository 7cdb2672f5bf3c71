package msg

import (
	"errors"
	"fmt"
)

// Error reports a structure that could not be decoded or encoded: which
// ASN.1 structure, which of its fields, and why. Struct and Field are the
// names RFC 4120 §5 gives them ("EncTicketPart", "authtime"), so that a
// message can be read next to the specification. An Error never contains a
// key, a ciphertext or a plaintext.
type Error struct {
	Struct string // the ASN.1 type: "Ticket", "KDC-REQ-BODY", "ETYPE-INFO2-ENTRY"
	Field  string // the field of Struct; empty when the structure itself is at fault
	Reason string // what was wrong, for a person
	Err    error  // one of the sentinels below, or a cause from internal/krb5/crypto
}

func (e *Error) Error() string {
	s := "krb5 msg: " + e.Struct
	if e.Field != "" {
		s += "." + e.Field
	}
	s += ": " + e.Reason
	if e.Err != nil && !isSentinel(e.Err) {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels, for errors.Is.
var (
	// ErrMalformed means the bytes are not DER: a truncated element, an
	// indefinite or non-minimal length, a non-minimal INTEGER, a BOOLEAN
	// other than 00 or FF, or bytes left over after a value or after the
	// outer message.
	ErrMalformed = errors.New("malformed DER")
	// ErrUnexpectedTag means an element has the wrong tag: another message's
	// APPLICATION tag, a UTF8String where RFC 4120 wants a GeneralString, an
	// unknown or out-of-order context tag.
	ErrUnexpectedTag = errors.New("unexpected tag")
	// ErrMissingField means a field that is not OPTIONAL is absent.
	ErrMissingField = errors.New("missing field")
	// ErrBadValue means a well-formed field holds a value RFC 4120 does not
	// allow, or a Go value cannot be encoded: a protocol version other than
	// 5, a msg-type that contradicts the APPLICATION tag, an integer out of
	// its range, a KerberosTime with fractional seconds, KerberosFlags of
	// other than 32 bits.
	ErrBadValue = errors.New("bad value")
	// ErrEncTypeMismatch means a key of one encryption type was used to open
	// or seal an EncryptedData of another.
	ErrEncTypeMismatch = errors.New("encryption type mismatch")
)

func isSentinel(err error) bool {
	switch err {
	case ErrMalformed, ErrUnexpectedTag, ErrMissingField, ErrBadValue, ErrEncTypeMismatch:
		return true
	}
	return false
}

// errf makes an Error whose Struct and Field the caller fills in (see
// parser.setErr): value readers know what is wrong, not where they are.
func errf(sentinel error, format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
