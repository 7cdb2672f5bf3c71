package credspec

import (
	"unicode/utf16"
	"unicode/utf8"
)

// decodeText returns b as UTF-8 without a byte order mark. New-CredentialSpec
// writes ASCII (Out-File -Encoding ascii), but files edited or re-saved on
// Windows are often UTF-8 with a BOM (PowerShell 7, Notepad) or UTF-16LE with
// a BOM (Windows PowerShell 5.1's Out-File and ">" default).
func decodeText(b []byte) ([]byte, error) {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		b = b[3:]
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return fromUTF16(b[2:], false)
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return fromUTF16(b[2:], true)
	case len(b) >= 2 && b[0] != 0 && b[1] == 0:
		return fromUTF16(b, false) // UTF-16LE without a BOM
	case len(b) >= 2 && b[0] == 0 && b[1] != 0:
		return fromUTF16(b, true) // UTF-16BE without a BOM
	}
	if !utf8.Valid(b) {
		return nil, &Error{Reason: "document is not UTF-8 or UTF-16 text"}
	}
	return b, nil
}

func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, &Error{Reason: "document looks like UTF-16 but has an odd number of bytes"}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(u))), nil
}
