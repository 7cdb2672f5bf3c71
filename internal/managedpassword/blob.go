package managedpassword

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Blob is MSDS-MANAGEDPASSWORD_BLOB ([MS-ADTS] 2.2.19), the value of the
// constructed attribute msDS-ManagedPassword:
//
//	0  u16 Version (1)            2  u16 Reserved (0)        4  u32 Length
//	8  u16 CurrentPasswordOffset  10 u16 PreviousPasswordOffset (0: none)
//	12 u16 QueryPasswordIntervalOffset  14 u16 UnchangedPasswordIntervalOffset
//	16 current password (256 bytes) + 00 00 [previous password + 00 00]
//	   u64 QueryPasswordInterval  u64 UnchangedPasswordInterval
//
// all little-endian. The intervals follow the passwords directly: Windows puts
// them at offset 274 (not 8-aligned, whatever [MS-ADTS] says about
// alignment), and Samba's IDL marks the structure NDR_NOALIGN for that reason.
// Blob never prints its passwords.
type Blob struct {
	Current  Password
	Previous *Password // nil when the DC sent no previous password
	// QueryInterval is how long the current password stays current, in 100 ns
	// units; UnchangedInterval how long until the DC may hand out another.
	QueryInterval     uint64
	UnchangedInterval uint64
}

const (
	blobVersion   = 1
	blobHeaderLen = 16
	pwFieldLen    = Len + 2 // password plus its UTF-16 NUL terminator
)

// layout returns the offsets and total length of a blob with or without a
// previous password.
func layout(hasPrevious bool) (cur, prev, query, unchanged, length int) {
	cur = blobHeaderLen
	query = cur + pwFieldLen
	if hasPrevious {
		prev = query
		query += pwFieldLen
	}
	unchanged = query + 8
	return cur, prev, query, unchanged, unchanged + 8
}

// Marshal encodes the blob in the Windows layout.
func (b *Blob) Marshal() []byte {
	cur, prev, query, unchanged, length := layout(b.Previous != nil)
	out := make([]byte, length)
	binary.LittleEndian.PutUint16(out[0:], blobVersion)
	binary.LittleEndian.PutUint32(out[4:], uint32(length))
	binary.LittleEndian.PutUint16(out[8:], uint16(cur))
	binary.LittleEndian.PutUint16(out[10:], uint16(prev))
	binary.LittleEndian.PutUint16(out[12:], uint16(query))
	binary.LittleEndian.PutUint16(out[14:], uint16(unchanged))
	copy(out[cur:], b.Current.bytes()[:])
	if b.Previous != nil {
		copy(out[prev:], b.Previous.bytes()[:])
	}
	binary.LittleEndian.PutUint64(out[query:], b.QueryInterval)
	binary.LittleEndian.PutUint64(out[unchanged:], b.UnchangedInterval)
	return out
}

// ParseBlob decodes msDS-ManagedPassword. It checks the version, the reserved
// field, that Length is the size of the value, that every offset is where the
// Windows layout puts it, and that each password ends in its NUL terminator;
// the error names the field, the value found and the value expected.
func ParseBlob(b []byte) (*Blob, error) {
	u16 := func(off int) int { return int(binary.LittleEndian.Uint16(b[off:])) }
	if len(b) < blobHeaderLen {
		return nil, errorf(ErrMalformed, "MSDS-MANAGEDPASSWORD_BLOB", fmt.Sprintf("(%d bytes)", len(b)), "shorter than its %d-byte header", blobHeaderLen)
	}
	if v := u16(0); v != blobVersion {
		return nil, errorf(ErrMalformed, "Version", strconv.Itoa(v), "want 1")
	}
	if r := u16(2); r != 0 {
		return nil, errorf(ErrMalformed, "Reserved", strconv.Itoa(r), "want 0")
	}
	if n := binary.LittleEndian.Uint32(b[4:]); uint64(n) != uint64(len(b)) {
		return nil, errorf(ErrMalformed, "Length", strconv.FormatUint(uint64(n), 10), "the blob is %d bytes", len(b))
	}
	prevOff := u16(10)
	cur, prev, query, unchanged, length := layout(prevOff != 0)
	for _, f := range []struct {
		name      string
		got, want int
	}{
		{"CurrentPasswordOffset", u16(8), cur},
		{"PreviousPasswordOffset", prevOff, prev},
		{"QueryPasswordIntervalOffset", u16(12), query},
		{"UnchangedPasswordIntervalOffset", u16(14), unchanged},
	} {
		if f.got != f.want {
			return nil, errorf(ErrMalformed, f.name, strconv.Itoa(f.got), "want %d (passwords of %d bytes plus a NUL, intervals packed after them)", f.want, Len)
		}
	}
	if len(b) != length {
		return nil, errorf(ErrMalformed, "Length", strconv.Itoa(len(b)), "want %d for this layout", length)
	}
	blob := &Blob{
		QueryInterval:     binary.LittleEndian.Uint64(b[query:]),
		UnchangedInterval: binary.LittleEndian.Uint64(b[unchanged:]),
	}
	if err := readPassword(b, cur, "CurrentPassword", &blob.Current); err != nil {
		return nil, err
	}
	if prev != 0 {
		blob.Previous = new(Password)
		if err := readPassword(b, prev, "PreviousPassword", blob.Previous); err != nil {
			return nil, err
		}
	}
	return blob, nil
}

func readPassword(b []byte, off int, field string, p *Password) error {
	if t := b[off+Len : off+pwFieldLen]; t[0] != 0 || t[1] != 0 {
		return errorf(ErrMalformed, field, fmt.Sprintf("terminator %02x%02x", t[0], t[1]), "want a UTF-16 NUL after the %d password bytes", Len)
	}
	p.v = new([Len]byte)
	copy(p.v[:], b[off:off+Len])
	return nil
}

// Query and Unchanged return the intervals as durations (saturating).
func (b *Blob) Query() time.Duration     { return adtypes.DurationOf(b.QueryInterval) }
func (b *Blob) Unchanged() time.Duration { return adtypes.DurationOf(b.UnchangedInterval) }

func (b Blob) String() string {
	return fmt.Sprintf("managed password blob (current [REDACTED], previous present: %t, query %s, unchanged %s)",
		b.Previous != nil, b.Query(), b.Unchanged())
}

// GoString redacts as String does.
func (b Blob) GoString() string { return b.String() }

// Format redacts for every verb.
func (b Blob) Format(f fmt.State, _ rune) { fmt.Fprint(f, b.String()) }

// LogValue keeps the passwords out of structured logs.
func (b Blob) LogValue() slog.Value { return slog.StringValue(b.String()) }
