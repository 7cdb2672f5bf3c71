package managedpassword

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

const hour = uint64(36000000000) // 100 ns units

func TestRolloverIntervalVectors(t *testing.T) {
	t.Parallel()
	var v struct {
		Vectors []struct {
			Days     int64   `json:"managed_password_interval_days"`
			Interval *uint64 `json:"rollover_interval_100ns"`
		} `json:"rollover_interval_vectors"`
	}
	loadJSON(t, "gkdi-time-intervals.json", &v)
	if len(v.Vectors) == 0 {
		t.Fatal("no rollover vectors")
	}
	for _, c := range v.Vectors {
		got, err := RolloverInterval(c.Days)
		switch {
		case c.Interval == nil && err == nil:
			t.Errorf("RolloverInterval(%d) = %d, want an error", c.Days, got)
		case c.Interval != nil && (err != nil || got != *c.Interval):
			t.Errorf("RolloverInterval(%d) = %d, %v; want %d", c.Days, got, err, *c.Interval)
		}
	}
}

// fixture: one root key usable from long ago, an account created at a fixed
// time with the password ID a DC writes at creation.
type fixture struct {
	root    *gkdi.RootKey
	roots   []*gkdi.RootKey
	sid     adtypes.SID
	created adtypes.FileTime
	acct    Account
}

func newFixture(t testing.TB, days int64) fixture {
	_, root, sid, _ := loadPasswordVector(t)
	root.UseStart, root.Created = 1, 1
	created := adtypes.FileTime(133387453260000000) // 2023-09-09T15:02:06Z
	return fixture{root: root, roots: []*gkdi.RootKey{root}, sid: sid, created: created,
		acct: NewAccount(sid, created, days, root, "contoso.com", "contoso.com")}
}

func (f fixture) plan(t testing.TB, now uint64) *Schedule {
	t.Helper()
	s, err := PlanAt(adtypes.FileTime(now), f.acct, f.roots)
	if err != nil {
		t.Fatalf("PlanAt(%d): %v", now, err)
	}
	return s
}

func TestBoundariesAreAnchoredOnThePasswordIDsInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	start, _ := gkdi.GKIDAt(f.created).Start() // 2023-09-09T08:00Z, not 15:02
	R, _ := RolloverInterval(30)
	boundary := uint64(start) + R

	s := f.plan(t, uint64(f.created))
	if s.Current.GKID != gkdi.GKIDAt(f.created) || s.Previous != nil || s.Stale || s.LookAhead {
		t.Fatalf("at creation: %+v", s)
	}
	if s.CurrentEnd != adtypes.FileTime(boundary) {
		t.Fatalf("first period ends %s, want %s", s.CurrentEnd.Time(), adtypes.FileTime(boundary).Time())
	}
	if s.QueryInterval-s.UnchangedInterval != gkdi.MaxClockSkew {
		t.Fatalf("query − unchanged = %d", s.QueryInterval-s.UnchangedInterval)
	}
}

func TestThePasswordJustBeforeAndAfterABoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	start, _ := gkdi.GKIDAt(f.created).Start()
	R, _ := RolloverInterval(30)
	b := uint64(start) + 2*R // the second boundary: the account is old enough for a previous password
	min := uint64(600000000) // one minute

	before := f.plan(t, b-6*min)
	lookahead := f.plan(t, b-4*min)
	after := f.plan(t, b+1)

	period := func(k uint64) gkdi.GKID { return gkdi.GKIDAt(adtypes.FileTime(uint64(start) + k*R)) }
	if before.Current.GKID != period(1) || before.Previous == nil || before.Previous.GKID != period(0) || before.LookAhead {
		t.Fatalf("6 min before: current %v previous %+v", before.Current.GKID, before.Previous)
	}
	if !lookahead.LookAhead || lookahead.Current.GKID != period(2) || lookahead.Previous.GKID != period(1) {
		t.Fatalf("4 min before: current %v previous %v lookahead %t", lookahead.Current.GKID, lookahead.Previous.GKID, lookahead.LookAhead)
	}
	if lookahead.UnchangedInterval != lookahead.QueryInterval+R-gkdi.MaxClockSkew || lookahead.QueryInterval != 4*min {
		t.Fatalf("look-ahead intervals query %d unchanged %d", lookahead.QueryInterval, lookahead.UnchangedInterval)
	}
	if after.Current.GKID != period(2) || after.Previous.GKID != period(1) || !after.Stale {
		t.Fatalf("after: current %v previous %v stale %t", after.Current.GKID, after.Previous.GKID, after.Stale)
	}
	// The password served in the last 5 minutes is the one of the next period.
	d := NewDeriver(32)
	bl, _, err := d.Blob(adtypes.FileTime(b-4*min), f.acct, f.roots)
	if err != nil {
		t.Fatal(err)
	}
	ba, _, err := d.Blob(adtypes.FileTime(b+1), f.acct, f.roots)
	if err != nil {
		t.Fatal(err)
	}
	if !bl.Current.Equal(&ba.Current) || !bl.Previous.Equal(ba.Previous) {
		t.Fatal("the look-ahead blob differs from the blob after the boundary")
	}
}

// TestPreviousIsCurrentOneIntervalEarlier is the rollover property:
// previous(t) == current(t − R), away from the look-ahead window.
func TestPreviousIsCurrentOneIntervalEarlier(t *testing.T) {
	t.Parallel()
	for _, days := range []int64{1, 3, 30, 45} {
		f := newFixture(t, days)
		R, _ := RolloverInterval(days)
		rng := rand.New(rand.NewPCG(uint64(days), 42))
		for range 300 {
			now := uint64(f.created) + R + rng.Uint64N(40*R)
			s := f.plan(t, now)
			if s.LookAhead {
				continue
			}
			earlier := f.plan(t, now-R)
			if earlier.LookAhead {
				continue
			}
			if s.Previous == nil {
				t.Fatalf("days %d, now %d: no previous password for an account older than R", days, now)
			}
			if s.Previous.GKID != earlier.Current.GKID || s.Previous.RootKey != earlier.Current.RootKey {
				t.Fatalf("days %d, now %d: previous %v ≠ current(t−R) %v", days, now, s.Previous.GKID, earlier.Current.GKID)
			}
			if uint64(s.CurrentEnd)-uint64(s.CurrentStart) != R {
				t.Fatalf("period length %d ≠ R", uint64(s.CurrentEnd)-uint64(s.CurrentStart))
			}
		}
	}
}

func TestNoPreviousPasswordBeforeOneInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1) // R = 20 h
	R, _ := RolloverInterval(1)
	start, _ := gkdi.GKIDAt(f.created).Start()
	// After the first boundary but less than R after whenCreated (15:02 vs 08:00).
	now := uint64(start) + R + hour
	if now-uint64(f.created) >= R {
		t.Fatal("fixture times are wrong")
	}
	if s := f.plan(t, now); s.Previous != nil || s.Current.GKID != gkdi.GKIDAt(adtypes.FileTime(uint64(start)+R)) {
		t.Fatalf("young account: current %v previous %+v", s.Current.GKID, s.Previous)
	}
	if s := f.plan(t, uint64(f.created)+R); s.Previous == nil {
		t.Fatal("an account exactly R old has a previous password")
	}
}

func TestPreviousIDIsUsedWhenPresent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	R, _ := RolloverInterval(30)
	prev := *f.acct.PasswordID
	prev.GKID = gkdi.GKID{L0: 300, L1: 1, L2: 2}
	f.acct.PreviousID = &prev
	s := f.plan(t, uint64(f.created)+R-hour) // younger than R: no previous password at all
	if s.Previous != nil {
		t.Fatal("previous returned for an account younger than R")
	}
	f.acct.Created -= adtypes.FileTime(R) // now old enough, still inside the ID's period
	s = f.plan(t, uint64(f.created)+hour)
	if s.Previous == nil || s.Previous.GKID != prev.GKID {
		t.Fatalf("previous %+v, want the stored previous ID %v", s.Previous, prev.GKID)
	}
}

func TestNewestRootKeyUsableAtThePeriodStartIsChosen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	R, _ := RolloverInterval(30)
	start, _ := gkdi.GKIDAt(f.created).Start()
	newer := *f.root
	newer.ID[0] ^= 0xff
	newer.Created = f.created + 1
	newer.UseStart = adtypes.FileTime(uint64(start) + R + hour) // after the first boundary
	f.roots = append(f.roots, &newer)
	if s := f.plan(t, uint64(start)+R+2*hour); s.Current.RootKey != f.root {
		t.Fatal("a root key not yet usable at the period start was chosen")
	}
	if s := f.plan(t, uint64(start)+2*R+hour); s.Current.RootKey != &newer {
		t.Fatal("the newer root key was not chosen once usable at the period start")
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	cases := []struct {
		name   string
		mutate func(*fixture)
		want   error
	}{
		{"an interval of zero days", func(f *fixture) { f.acct.IntervalDays = 0 }, ErrInvalid},
		{"a negative interval", func(f *fixture) { f.acct.IntervalDays = -1 }, ErrInvalid},
		{"a password ID naming an unknown root key", func(f *fixture) { f.acct.PasswordID.RootKeyID[0] ^= 1 }, ErrNoRootKey},
		{"no root key usable for a stale account", func(f *fixture) { f.acct.PasswordID = nil; f.root.UseStart = ^adtypes.FileTime(0) }, ErrNoRootKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newFixture(t, 30)
			c.mutate(&g)
			_, err := PlanAt(f.created+1, g.acct, g.roots)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestAccountWithoutPasswordIDStartsAtItsCreationInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	f.acct.PasswordID = nil
	s := f.plan(t, uint64(f.created)+hour)
	if !s.Stale || s.Current.GKID != gkdi.GKIDAt(f.created) {
		t.Fatalf("current %v stale %t", s.Current.GKID, s.Stale)
	}
}
