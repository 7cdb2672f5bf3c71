package gkdi

import (
	"errors"
	"fmt"
)

// Error reports a bad input: which field, its value (never secret material),
// and why it was refused.
type Error struct {
	Field  string
	Value  string
	Reason string
	Err    error // a sentinel below, when one applies
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("gkdi: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("gkdi: %s %s: %s", e.Field, e.Value, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels for the two classes of refusal Samba and Windows distinguish:
// a parameter out of range (NT_STATUS_INVALID_PARAMETER) and a root key this
// implementation cannot use (NT_STATUS_NOT_SUPPORTED).
var (
	ErrInvalidParameter = errors.New("invalid parameter")
	ErrNotSupported     = errors.New("not supported")
	ErrMalformed        = errors.New("malformed structure")
)

func errorf(sentinel error, field, value, format string, args ...any) *Error {
	return &Error{Field: field, Value: value, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// hexValue renders binary input for an error message, truncated: error
// messages name bad values but must stay readable.
func hexValue(b []byte) string {
	const max = 32
	if len(b) > max {
		return fmt.Sprintf("%x… (%d bytes)", b[:max], len(b))
	}
	return fmt.Sprintf("%x (%d bytes)", b, len(b))
}
