package managedpassword

import (
	"errors"
	"fmt"
)

// Error reports a bad input: the field, its value (never a secret) and why.
type Error struct {
	Field  string
	Value  string
	Reason string
	Err    error // ErrMalformed, ErrNoRootKey or ErrInvalid, when one applies
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("managedpassword: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("managedpassword: %s %s: %s", e.Field, e.Value, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrMalformed: a blob that does not decode.
	ErrMalformed = errors.New("malformed blob")
	// ErrNoRootKey: no root key is usable for a password that must exist.
	ErrNoRootKey = errors.New("no usable root key")
	// ErrInvalid: an argument out of range (interval, time, GKID).
	ErrInvalid = errors.New("invalid argument")
)

func errorf(sentinel error, field, value, format string, args ...any) *Error {
	return &Error{Field: field, Value: value, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
