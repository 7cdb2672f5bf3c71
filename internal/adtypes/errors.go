package adtypes

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// Error is the error every function in this package returns. It names what was
// being read (Field), the offending value (Value) and why it was rejected
// (Reason), so that a person can find and fix the input:
//
//	adtypes: SID "S-1-5-x": sub-authority 1 "x" is not a decimal number
//
// Binary values are shown as hex, truncated to 32 bytes. None of the values
// this package handles are secrets.
type Error struct {
	Field  string // what was being read: "SID", "GUID", "SecurityDescriptor", "SDDL", "time", …
	Value  string // the offending value, or the offending token of a longer text
	Reason string // what is wrong with it
}

func (e *Error) Error() string {
	return "adtypes: " + e.Field + " " + strconv.Quote(e.Value) + ": " + e.Reason
}

func newError(field, value, format string, args ...any) *Error {
	return &Error{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// maxHexValue is how many bytes of a binary value an Error shows.
const maxHexValue = 32

// hexValue formats b for Error.Value: hex, truncated to maxHexValue bytes.
func hexValue(b []byte) string {
	if len(b) > maxHexValue {
		return hex.EncodeToString(b[:maxHexValue]) + "…"
	}
	return hex.EncodeToString(b)
}
