package credspec

import (
	"errors"
	"strconv"
)

// Error is the error Parse, Marshal, ParseReference and Resolve return. It
// names the JSON path or reference being read (Path), the offending value
// (Value) and why it was rejected (Reason):
//
//	credspec: DomainJoinConfig.Sid 42: want a string
//
// Values are shown as JSON text or as the reference given, truncated to 64
// bytes. A credential spec holds no secrets; a raw:// reference holds a spec.
type Error struct {
	Path   string // "DomainJoinConfig.Sid", "reference", or "" for the whole document
	Value  string // the offending value
	Reason string // what is wrong with it
	Err    error  // a sentinel such as ErrWindowsOnly, or nil
}

func (e *Error) Error() string {
	s := "credspec: "
	if e.Path != "" {
		s += e.Path + " "
	}
	if e.Value != "" {
		s += strconv.Quote(e.Value) + ": "
	} else if e.Path != "" {
		s = s[:len(s)-1] + ": "
	}
	return s + e.Reason
}

// Unwrap returns the sentinel error, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrWindowsOnly is wrapped by the error for a registry:// reference, which
// names a value in the Windows registry.
var ErrWindowsOnly = errors.New("credential spec reference form is Windows-only")

const maxErrorValue = 64

func newError(path string, value []byte, reason string) *Error {
	return &Error{Path: path, Value: shorten(string(value)), Reason: reason}
}

func shorten(s string) string {
	if len(s) > maxErrorValue {
		return s[:maxErrorValue] + "…"
	}
	return s
}
