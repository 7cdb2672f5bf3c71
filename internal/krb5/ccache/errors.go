package ccache

import (
	"errors"
	"strconv"
)

// Error is what Parse, Marshal and TGT return: which operation, which field
// of which credential, where in the input, and why. Its message never
// contains key or ticket bytes.
type Error struct {
	Op     string // "parse", "marshal" or "tgt"
	Field  string // e.g. "credentials[1].server.realm.length"; empty for the file as a whole
	Offset int    // byte offset of Field in the input when parsing, else -1
	Reason string // what was wrong, for a person
	Err    error  // one of the sentinels below
}

func (e *Error) Error() string {
	s := "ccache: " + e.Op
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels, for errors.Is.
var (
	// ErrMalformed means the input is not a credential cache: bad magic, a
	// field that runs past the end, a count that cannot fit, a key of the
	// wrong length.
	ErrMalformed = errors.New("malformed credential cache")
	// ErrVersion means the file is a credential cache of a version other
	// than 1 to 4.
	ErrVersion = errors.New("unsupported credential cache version")
	// ErrInvalid means Marshal was given a value the format cannot hold: a
	// time outside 1970–2106, an encryption or address type outside 16
	// bits, a KDC offset beyond ±68 years.
	ErrInvalid = errors.New("value cannot be encoded in a credential cache")
	// ErrNotFound means TGT found no ticket-granting ticket for the realm.
	ErrNotFound = errors.New("no matching credential in cache")
)
