package managedpassword

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

// DefaultIntervalDays is the password interval of a gMSA whose
// msDS-ManagedPasswordInterval is absent.
const DefaultIntervalDays = 30

// maxIntervalDays is the largest interval whose rollover fits in 64 bits
// (Samba gkdi_rollover_interval: UINT64_MAX / KeyCycleDuration · 10 / 24).
const maxIntervalDays = int64(math.MaxUint64 / gkdi.KeyCycleDuration * 10 / 24)

// RolloverInterval converts msDS-ManagedPasswordInterval (days) into the
// rollover interval a DC uses, in 100 ns: whole 10-hour key cycles,
// floor(days·24/10)·KeyCycleDuration. So 30 days is exactly 30 days, but 1
// day is 20 hours and 3 days 70 hours. 0 days gives 0 (no gMSA can use it);
// negative and too-large values are errors.
func RolloverInterval(days int64) (uint64, error) {
	if days < 0 || days > maxIntervalDays {
		return 0, errorf(ErrInvalid, "msDS-ManagedPasswordInterval", strconv.FormatInt(days, 10), "must be between 1 and %d days", maxIntervalDays)
	}
	return uint64(days) * 24 / 10 * gkdi.KeyCycleDuration, nil
}

// Account is what a DC reads from a gMSA object to compute its passwords.
type Account struct {
	SID adtypes.SID // objectSid
	// Created is whenCreated (whole seconds, as LDAP returns it).
	Created adtypes.FileTime
	// IntervalDays is msDS-ManagedPasswordInterval; use DefaultIntervalDays
	// when the attribute is absent.
	IntervalDays int64
	// PasswordID and PreviousID are msDS-ManagedPasswordId and
	// msDS-ManagedPasswordPreviousId, nil when absent.
	PasswordID *gkdi.KeyEnvelope
	PreviousID *gkdi.KeyEnvelope
}

// NewAccount returns the account as a DC leaves it at creation time
// created: its password ID names root and the 10-hour interval that contains
// created (Samba gmsa_generate_blobs).
func NewAccount(sid adtypes.SID, created adtypes.FileTime, intervalDays int64, root *gkdi.RootKey, domain, forest string) Account {
	return Account{
		SID:          sid,
		Created:      created,
		IntervalDays: intervalDays,
		PasswordID: &gkdi.KeyEnvelope{
			Version:   root.Version,
			Flags:     gkdi.FlagKeyMayEncryptNewData,
			GKID:      gkdi.GKIDAt(created),
			RootKeyID: root.ID,
			Domain:    domain,
			Forest:    forest,
		},
	}
}

// KeyRef names the key one password is derived from.
type KeyRef struct {
	RootKey *gkdi.RootKey
	GKID    gkdi.GKID
}

// Schedule is the outcome of the rollover rules at one moment: which keys the
// current and previous passwords come from, and the intervals a DC puts in
// the blob.
type Schedule struct {
	Current  KeyRef
	Previous *KeyRef // nil when no previous password is returned
	// CurrentStart and CurrentEnd bound the period of the password ID in force
	// (before the last-5-minutes look-ahead): the next rollover is CurrentEnd.
	CurrentStart, CurrentEnd adtypes.FileTime
	// QueryInterval and UnchangedInterval are the blob's, in 100 ns.
	QueryInterval, UnchangedInterval uint64
	// LookAhead is true in the last 5 minutes of a period: Current is then
	// already the next period's key and Previous the one still in force.
	LookAhead bool
	// Stale is true when msDS-ManagedPasswordId is absent or has expired, so a
	// writable DC would now store a new password ID.
	Stale bool
	// Rollover is the rollover interval, in 100 ns.
	Rollover uint64
}

// PlanAt applies the rollover rules of a domain controller at time now to
// account a, choosing root keys from roots (Samba
// gmsa_recalculate_managed_pwd, written to match Windows):
//
//   - The password ID's period runs from the start of its GKID for one
//     rollover interval. While now is inside it, its key is current, and the
//     previous password is the one of msDS-ManagedPasswordPreviousId, or else
//     the period before — but only once the account is one interval old.
//   - After it, the current period is the last boundary key_start + k·R at or
//     before now, with the newest root key usable at that boundary.
//   - In the last 5 minutes of a period the next period's password is
//     returned as current and the one in force as previous.
//
// A password that must exist but has no usable root key is an error wrapping
// ErrNoRootKey; a missing previous password is not.
func PlanAt(now adtypes.FileTime, a Account, roots []*gkdi.RootKey) (*Schedule, error) {
	R, err := RolloverInterval(a.IntervalDays)
	if err != nil {
		return nil, err
	}
	if R == 0 {
		return nil, errorf(ErrInvalid, "msDS-ManagedPasswordInterval", "0", "a gMSA needs an interval of at least 1 day")
	}
	age := uint64(now) - min(uint64(a.Created), uint64(now))

	var keyStart uint64
	haveKeyStart := false
	var currentEnd uint64
	if a.PasswordID != nil {
		if s, err := a.PasswordID.GKID.Start(); err == nil {
			keyStart, haveKeyStart = uint64(s), true
		}
	}
	if haveKeyStart {
		if keyStart > math.MaxUint64-R {
			return nil, errorf(ErrInvalid, "msDS-ManagedPasswordId", a.PasswordID.GKID.String(), "its period ends beyond the 64-bit FILETIME range")
		}
		currentEnd = keyStart + R
	} else {
		// No usable ID: keys start on 10-hour boundaries, so the first
		// period ends at the start of the creation interval.
		s, _ := gkdi.GKIDAt(a.Created).Start()
		currentEnd = uint64(s)
	}

	sch := &Schedule{Rollover: R}
	var current *KeyRef
	var previous *KeyRef
	if a.PasswordID != nil && uint64(now) < currentEnd {
		current = &KeyRef{RootKey: byID(roots, a.PasswordID.RootKeyID), GKID: a.PasswordID.GKID}
		if current.RootKey == nil {
			return nil, errorf(ErrNoRootKey, "msDS-ManagedPasswordId root key", a.PasswordID.RootKeyID.String(), "is not among the domain's root keys")
		}
		sch.CurrentStart, sch.CurrentEnd = adtypes.FileTime(keyStart), adtypes.FileTime(currentEnd)
		if age >= R {
			switch {
			case a.PreviousID != nil:
				if rk := byID(roots, a.PreviousID.RootKeyID); rk != nil {
					previous = &KeyRef{RootKey: rk, GKID: a.PreviousID.GKID}
				}
			case haveKeyStart && keyStart >= R:
				previous = nonspecific(roots, keyStart-R)
			}
		}
	} else {
		sch.Stale = true
		start := currentEnd
		if start < uint64(now) {
			stale := (uint64(now) + 1 - start) / R
			start += stale * R
		}
		if start > math.MaxUint64-R {
			return nil, errorf(ErrInvalid, "time", strconv.FormatUint(uint64(now), 10), "the next period ends beyond the 64-bit FILETIME range")
		}
		currentEnd = start + R
		sch.CurrentStart, sch.CurrentEnd = adtypes.FileTime(start), adtypes.FileTime(currentEnd)
		current = nonspecific(roots, start)
		if current == nil {
			return nil, errorf(ErrNoRootKey, "root keys", strconv.Itoa(len(roots)), "none is usable at the period start %s", adtypes.FileTime(start).Time().Format("2006-01-02T15:04:05Z"))
		}
		if age >= R {
			if start < R {
				return nil, errorf(ErrInvalid, "time", strconv.FormatUint(uint64(now), 10), "the previous period would start before 1601")
			}
			previous = nonspecific(roots, start-R)
		}
	}

	query := currentEnd - min(uint64(now), currentEnd)
	unchanged := query
	if query <= gkdi.MaxClockSkew {
		future := nonspecific(roots, currentEnd)
		if future == nil {
			return nil, errorf(ErrNoRootKey, "root keys", strconv.Itoa(len(roots)), "none is usable for the next period starting %s", adtypes.FileTime(currentEnd).Time().Format("2006-01-02T15:04:05Z"))
		}
		if unchanged > math.MaxUint64-R {
			return nil, errorf(ErrInvalid, "time", strconv.FormatUint(uint64(now), 10), "unchanged interval overflows")
		}
		unchanged += R
		previous, current = current, future
		sch.LookAhead = true
	}
	unchanged -= min(gkdi.MaxClockSkew, unchanged)

	sch.Current, sch.Previous = *current, previous
	sch.QueryInterval, sch.UnchangedInterval = query, unchanged
	return sch, nil
}

// nonspecific is the key of the period starting at start: the newest root
// key usable then, and the GKID of that moment. nil if no root key is usable.
func nonspecific(roots []*gkdi.RootKey, start uint64) *KeyRef {
	rk := gkdi.Newest(roots, adtypes.FileTime(start))
	if rk == nil {
		return nil
	}
	return &KeyRef{RootKey: rk, GKID: gkdi.GKIDAt(adtypes.FileTime(start))}
}

func byID(roots []*gkdi.RootKey, id adtypes.GUID) *gkdi.RootKey {
	for _, rk := range roots {
		if rk.ID == id {
			return rk
		}
	}
	return nil
}

// PasswordAt derives the password for ref as a DC would at time now: the
// root key must already be in use (UseStart ≤ now) and the GKID may not lie
// beyond the interval of now + 5 minutes (Samba gmsa_password_based_on_key_id).
func (d *Deriver) PasswordAt(now adtypes.FileTime, ref KeyRef, sid adtypes.SID) (Password, error) {
	if now < ref.RootKey.UseStart {
		return Password{}, errorf(ErrInvalid, "time", now.Time().Format("2006-01-02T15:04:05Z"),
			"is before the use-start time %s of root key %s", ref.RootKey.UseStart.Time().Format("2006-01-02T15:04:05Z"), ref.RootKey.ID)
	}
	ahead, carry := bits.Add64(uint64(now), gkdi.MaxClockSkew, 0)
	if carry != 0 {
		ahead = math.MaxUint64
	}
	if limit := gkdi.GKIDAt(adtypes.FileTime(ahead)); ref.GKID.Compare(limit) > 0 {
		return Password{}, errorf(ErrInvalid, "GKID", ref.GKID.String(), "lies in the future (the latest at this time is %s)", limit)
	}
	return d.Password(ref.RootKey, sid, ref.GKID)
}

// Blob computes msDS-ManagedPassword for account a at time now, exactly as a
// DC returns it, together with the schedule it followed.
func (d *Deriver) Blob(now adtypes.FileTime, a Account, roots []*gkdi.RootKey) (*Blob, *Schedule, error) {
	sch, err := PlanAt(now, a, roots)
	if err != nil {
		return nil, nil, err
	}
	blob := &Blob{QueryInterval: sch.QueryInterval, UnchangedInterval: sch.UnchangedInterval}
	if blob.Current, err = d.PasswordAt(now, sch.Current, a.SID); err != nil {
		return nil, nil, err
	}
	if sch.Previous != nil {
		p, err := d.PasswordAt(now, *sch.Previous, a.SID)
		if err != nil {
			return nil, nil, err
		}
		blob.Previous = &p
	}
	return blob, sch, nil
}
