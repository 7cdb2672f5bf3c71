package managedpassword

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/md4"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

// Len is the length of a gMSA password in bytes: 128 UTF-16 units.
const Len = 256

// labelGMSAPassword is "GMSA PASSWORD" in UTF-16LE with its NUL unit.
var labelGMSAPassword = []byte{
	'G', 0, 'M', 0, 'S', 0, 'A', 0, ' ', 0, 'P', 0, 'A', 0, 'S', 0, 'S', 0, 'W', 0, 'O', 0, 'R', 0, 'D', 0, 0, 0,
}

// Password is a gMSA password: 256 bytes of UTF-16LE, no terminator. It is a
// secret: String, GoString, Format and LogValue print "[REDACTED]". The bytes
// sit behind a pointer so that a Password in an unexported field of another
// struct, which fmt prints by reflection, shows an address and not the
// password. The zero Password is empty (all accessors see 256 zero bytes).
type Password struct {
	v *[Len]byte
}

func (p *Password) bytes() *[Len]byte {
	if p.v == nil {
		return new([Len]byte)
	}
	return p.v
}

// PasswordFromBytes copies a 256-byte password (as stored in a blob, without
// its terminator).
func PasswordFromBytes(b []byte) (Password, error) {
	if len(b) != Len {
		return Password{}, errorf(ErrInvalid, "password", fmt.Sprintf("(%d bytes)", len(b)), "must be exactly %d bytes", Len)
	}
	p := Password{v: new([Len]byte)}
	copy(p.v[:], b)
	return p, nil
}

// Bytes returns a copy of the 256 UTF-16LE bytes.
func (p *Password) Bytes() []byte { return append([]byte(nil), p.bytes()[:]...) }

// UTF8 returns the password as the KDC's string-to-key sees it: the UTF-8 of
// the UTF-16 units, with every unpaired surrogate replaced by U+FFFD and a
// 0x0000 unit by U+0001 (Samba's CH_UTF16MUNGED conversion; the same as
// Windows and impacket for the post-processed passwords a DC produces).
func (p *Password) UTF8() []byte { return MungedUTF8(p.bytes()[:]) }

// NTHash is the RC4-HMAC key and the NT hash AD stores for the account:
// MD4 over the 256 password bytes, without terminator or conversion.
func (p *Password) NTHash() [16]byte {
	h := md4.New()
	h.Write(p.bytes()[:])
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// Equal reports whether two passwords are the same.
func (p *Password) Equal(o *Password) bool { return *p.bytes() == *o.bytes() }

func (Password) String() string { return "gMSA password [REDACTED]" }

// GoString redacts, so %#v cannot leak the password.
func (p Password) GoString() string { return p.String() }

// Format redacts for every verb.
func (p Password) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// LogValue keeps the password out of structured logs.
func (p Password) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MungedUTF8 converts UTF-16LE bytes to UTF-8 the way Samba's
// utf16_munged_pull does: 0x0000 → U+0001, a high surrogate not followed by a
// low one → U+FFFD (consuming one unit), a lone low surrogate → U+FFFD. An
// odd trailing byte is ignored.
func MungedUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)/2*3)
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.LittleEndian.Uint16(b[i:])
		switch {
		case u == 0:
			out = append(out, 1)
		case utf16.IsSurrogate(rune(u)):
			r := utf8.RuneError
			if u < 0xdc00 && i+3 < len(b) {
				if lo := binary.LittleEndian.Uint16(b[i+2:]); lo >= 0xdc00 && lo <= 0xdfff {
					r = utf16.DecodeRune(rune(u), rune(lo))
					i += 2
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			out = utf8.AppendRune(out, rune(u))
		}
	}
	return out
}

// postProcess replaces every UTF-16 unit 0x0000 with 0x0001
// ([MS-ADTS] 3.1.1.4.5.39 PostProcessPasswordBuffer; about 0.2 % of raw
// outputs contain one).
func postProcess(b []byte) {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			b[i] = 1
		}
	}
}

// fromSeed derives the password from an L2 seed key.
func fromSeed(h gkdi.Hash, l2 []byte, sid adtypes.SID) Password {
	p := Password{v: new([Len]byte)}
	raw := gkdi.KDF(h, l2, labelGMSAPassword, sid.Bytes(), Len)
	postProcess(raw)
	copy(p.v[:], raw)
	clear(raw)
	return p
}

// Derive computes the password of the account with SID sid for the L2 key
// identifier g of root ([MS-ADTS] 3.1.1.4.5.39): KDF(L2 seed key,
// "GMSA PASSWORD", binary SID, 256 bytes) with the 0x0000 → 0x0001 fix-up.
func Derive(root *gkdi.RootKey, sid adtypes.SID, g gkdi.GKID) (Password, error) {
	if err := checkL2(g); err != nil {
		return Password{}, err
	}
	l2, err := gkdi.SeedKey(root, g, gkdi.GMSASecurityDescriptor)
	if err != nil {
		return Password{}, err
	}
	defer clear(l2)
	return fromSeed(root.Hash, l2, sid), nil
}

func checkL2(g gkdi.GKID) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if g.Type() != gkdi.KeyL2 {
		return errorf(ErrInvalid, "GKID", g.String(), "a gMSA password needs an L2 key identifier (all of L0, L1, L2 ≥ 0)")
	}
	return nil
}

// Deriver derives passwords with a bounded cache of seed keys: passwords of
// many accounts in the same 10-hour interval share one L2 key, and
// consecutive intervals share L1 keys. It is safe for concurrent use.
type Deriver struct {
	seeds *gkdi.Deriver
}

// NewDeriver returns a Deriver caching at most cacheEntries seed keys
// (64 bytes each plus bookkeeping).
func NewDeriver(cacheEntries int) *Deriver {
	return &Deriver{seeds: gkdi.NewDeriver(gkdi.GMSASecurityDescriptor, cacheEntries)}
}

// Password is [Derive] with the cache.
func (d *Deriver) Password(root *gkdi.RootKey, sid adtypes.SID, g gkdi.GKID) (Password, error) {
	if err := checkL2(g); err != nil {
		return Password{}, err
	}
	l2, err := d.seeds.SeedKey(root, g)
	if err != nil {
		return Password{}, err
	}
	defer clear(l2)
	return fromSeed(root.Hash, l2, sid), nil
}

// Stats returns the seed-key cache counters.
func (d *Deriver) Stats() gkdi.DeriverStats { return d.seeds.Stats() }
