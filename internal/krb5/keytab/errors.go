package keytab

import (
	"errors"
	"strconv"
)

// Error is what Parse, Marshal and Find return: which operation, which
// field of which entry, where in the input, and why. Its message never
// contains key bytes.
type Error struct {
	Op     string // "parse", "marshal" or "find"
	Field  string // e.g. "entries[2].principal.components[1].length"; empty for the file as a whole
	Offset int    // byte offset of Field in the input when parsing, else -1
	Reason string // what was wrong, for a person
	Err    error  // one of the sentinels below
}

func (e *Error) Error() string {
	s := "keytab: " + e.Op
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
	// ErrMalformed means the input is not a keytab: bad magic, a field that
	// runs past its record or the file, a key of the wrong length.
	ErrMalformed = errors.New("malformed keytab")
	// ErrVersion means the file is a keytab of a version other than 1 or 2.
	ErrVersion = errors.New("unsupported keytab version")
	// ErrInvalid means Marshal was given a value the format cannot hold: a
	// string longer than 65535 bytes, a timestamp outside 1970–2106, an
	// encryption type outside 0–65535, an entry without key bytes.
	ErrInvalid = errors.New("value cannot be encoded in a keytab")
	// ErrNotFound means Find found no entry with a usable key for the
	// principal, key version and encryption type asked for.
	ErrNotFound = errors.New("no matching key in keytab")
)
