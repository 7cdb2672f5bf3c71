package gkdi

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Time constants of [MS-GKDI] 3.1.4.1.1 (Samba lib/crypto/gkdi.h), in
// 100-nanosecond units.
const (
	// KeyCycleDuration is the life of one L2 key: 10 hours.
	KeyCycleDuration uint64 = 360000000000
	// MaxClockSkew is the 5 minutes by which a DC looks ahead.
	MaxClockSkew uint64 = 3000000000
	// L1KeyIteration and L2KeyIteration are the number of L1 keys per L0 key
	// and L2 keys per L1 key.
	L1KeyIteration = 32
	L2KeyIteration = 32
)

// GKID is a group key identifier ([MS-GKDI] 3.1.4.1): the indexes of an L0,
// L1 and L2 key. -1 in L1 (and L2) names an L0 (or L1) key.
type GKID struct {
	L0, L1, L2 int32
}

// KeyType says which level of the chain a GKID names.
type KeyType int

const (
	KeyDefault KeyType = iota // (-1, -1, -1)
	KeyL0
	KeyL1
	KeyL2
)

func (k KeyType) String() string {
	return [...]string{"default", "L0", "L1", "L2"}[k]
}

// GKIDAt returns the L2 GKID of the 10-hour interval that contains t
// (Samba gkdi_get_interval_id): n = t / KeyCycleDuration, L0 = n/1024,
// L1 = (n/32) mod 32, L2 = n mod 32. Every uint64 time has one.
func GKIDAt(t adtypes.FileTime) GKID {
	n := uint64(t) / KeyCycleDuration
	return GKID{
		L0: int32(n / (L1KeyIteration * L2KeyIteration)),
		L1: int32(n / L2KeyIteration % L1KeyIteration),
		L2: int32(n % L2KeyIteration),
	}
}

// Validate checks the ranges Samba's gkid_is_valid checks: -1 ≤ L0, and
// -1 ≤ L1, L2 ≤ 31, with L0 = -1 ⇒ L1 = -1 and L1 = -1 ⇒ L2 = -1.
func (g GKID) Validate() error {
	switch {
	case g.L0 < -1:
		return errorf(ErrInvalidParameter, "GKID", g.String(), "L0 %d is below -1", g.L0)
	case g.L1 < -1 || g.L1 >= L1KeyIteration:
		return errorf(ErrInvalidParameter, "GKID", g.String(), "L1 %d is outside -1..31", g.L1)
	case g.L2 < -1 || g.L2 >= L2KeyIteration:
		return errorf(ErrInvalidParameter, "GKID", g.String(), "L2 %d is outside -1..31", g.L2)
	case g.L0 == -1 && g.L1 != -1:
		return errorf(ErrInvalidParameter, "GKID", g.String(), "L1 must be -1 when L0 is -1")
	case g.L1 == -1 && g.L2 != -1:
		return errorf(ErrInvalidParameter, "GKID", g.String(), "L2 must be -1 when L1 is -1")
	}
	return nil
}

// Type reports which key a valid GKID names.
func (g GKID) Type() KeyType {
	switch {
	case g.L0 == -1:
		return KeyDefault
	case g.L1 == -1:
		return KeyL0
	case g.L2 == -1:
		return KeyL1
	}
	return KeyL2
}

// Start returns the beginning of the 10-hour interval an L2 GKID names
// (Samba gkdi_get_key_start_time). It fails for other key types and where the
// start does not fit in 64 bits.
func (g GKID) Start() (adtypes.FileTime, error) {
	if err := g.Validate(); err != nil {
		return 0, err
	}
	if g.Type() != KeyL2 {
		return 0, errorf(ErrInvalidParameter, "GKID", g.String(), "an %s key has no start time; only L2 GKIDs name an interval", g.Type())
	}
	n := (uint64(g.L0)*L1KeyIteration+uint64(g.L1))*L2KeyIteration + uint64(g.L2)
	hi, lo := bits.Mul64(n, KeyCycleDuration)
	if hi != 0 {
		return 0, errorf(ErrInvalidParameter, "GKID", g.String(), "its start time does not fit in a 64-bit FILETIME")
	}
	return adtypes.FileTime(lo), nil
}

// Add returns the L2 GKID n intervals later (n may be negative). ok is false
// when the result would fall outside the valid range.
func (g GKID) Add(n int64) (GKID, bool) {
	if g.Validate() != nil || g.Type() != KeyL2 {
		return GKID{}, false
	}
	idx := (int64(g.L0)*L1KeyIteration+int64(g.L1))*L2KeyIteration + int64(g.L2)
	idx2 := idx + n
	if (n > 0 && idx2 < idx) || (n < 0 && idx2 > idx) || idx2 < 0 || idx2/(L1KeyIteration*L2KeyIteration) > math.MaxInt32 {
		return GKID{}, false
	}
	return GKID{
		L0: int32(idx2 / (L1KeyIteration * L2KeyIteration)),
		L1: int32(idx2 / L2KeyIteration % L1KeyIteration),
		L2: int32(idx2 % L2KeyIteration),
	}, true
}

// Compare orders GKIDs: -1 if g is before o, 0 if equal, +1 if after.
func (g GKID) Compare(o GKID) int {
	for _, d := range [3][2]int32{{g.L0, o.L0}, {g.L1, o.L1}, {g.L2, o.L2}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// String renders "L0,L1,L2", the form ParseGKID reads.
func (g GKID) String() string { return fmt.Sprintf("%d,%d,%d", g.L0, g.L1, g.L2) }

// ParseGKID reads "L0,L1,L2" (spaces and surrounding parentheses allowed) and
// validates the result.
func ParseGKID(s string) (GKID, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "("), ")")
	parts := strings.Split(t, ",")
	if len(parts) != 3 {
		return GKID{}, errorf(ErrInvalidParameter, "GKID", quote(s), "want three comma-separated integers L0,L1,L2")
	}
	var v [3]int32
	for i, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return GKID{}, errorf(ErrInvalidParameter, "GKID", quote(s), "%s %q is not a 32-bit integer", [...]string{"L0", "L1", "L2"}[i], strings.TrimSpace(p))
		}
		v[i] = int32(n)
	}
	g := GKID{v[0], v[1], v[2]}
	return g, g.Validate()
}
