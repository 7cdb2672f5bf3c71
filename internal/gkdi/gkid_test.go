package gkdi

import (
	"math"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

type timeVectors struct {
	Constants struct {
		KeyCycle uint64 `json:"key_cycle_duration_100ns"`
		L1       int    `json:"l1_key_iteration"`
		L2       int    `json:"l2_key_iteration"`
		Skew     uint64 `json:"max_clock_skew_100ns"`
	} `json:"constants"`
	Interval []struct {
		NTTime uint64   `json:"nt_time"`
		GKID   [3]int32 `json:"gkid"`
	} `json:"interval_id_vectors"`
	Start []struct {
		GKID  [3]int32 `json:"gkid"`
		Start *uint64  `json:"start_nt_time"`
	} `json:"key_start_time_vectors"`
}

func TestTimeConstantsMatchVectors(t *testing.T) {
	t.Parallel()
	var v timeVectors
	loadJSON(t, "gkdi-time-intervals.json", &v)
	if v.Constants.KeyCycle != KeyCycleDuration || v.Constants.Skew != MaxClockSkew || v.Constants.L1 != L1KeyIteration || v.Constants.L2 != L2KeyIteration {
		t.Fatalf("constants differ from the vectors: %+v", v.Constants)
	}
}

func TestGKIDAtVectors(t *testing.T) {
	t.Parallel()
	var v timeVectors
	loadJSON(t, "gkdi-time-intervals.json", &v)
	if len(v.Interval) == 0 {
		t.Fatal("no interval vectors")
	}
	for _, c := range v.Interval {
		want := GKID{c.GKID[0], c.GKID[1], c.GKID[2]}
		if got := GKIDAt(adtypes.FileTime(c.NTTime)); got != want {
			t.Errorf("GKIDAt(%d) = %v, want %v", c.NTTime, got, want)
		}
	}
}

func TestGKIDStartVectors(t *testing.T) {
	t.Parallel()
	var v timeVectors
	loadJSON(t, "gkdi-time-intervals.json", &v)
	if len(v.Start) == 0 {
		t.Fatal("no start vectors")
	}
	for _, c := range v.Start {
		g := GKID{c.GKID[0], c.GKID[1], c.GKID[2]}
		got, err := g.Start()
		switch {
		case c.Start == nil && err == nil:
			t.Errorf("%v.Start() = %d, want an error", g, got)
		case c.Start != nil && err != nil:
			t.Errorf("%v.Start(): %v", g, err)
		case c.Start != nil && uint64(got) != *c.Start:
			t.Errorf("%v.Start() = %d, want %d", g, got, *c.Start)
		}
	}
}

// TestGKIDAtAndStartAgree: the interval of t starts at or before t and the
// next one starts after it.
func TestGKIDAtAndStartAgree(t *testing.T) {
	t.Parallel()
	for _, ft := range []uint64{0, 1, KeyCycleDuration - 1, KeyCycleDuration, 133387453261266352, math.MaxInt64, math.MaxUint64 - KeyCycleDuration*3} {
		g := GKIDAt(adtypes.FileTime(ft))
		start, err := g.Start()
		if err != nil {
			t.Fatalf("%d: %v", ft, err)
		}
		if uint64(start) > ft || ft-uint64(start) >= KeyCycleDuration {
			t.Errorf("time %d: interval %v starts at %d", ft, g, start)
		}
		if next, ok := g.Add(1); ok {
			ns, err := next.Start()
			if err == nil && uint64(ns) <= ft {
				t.Errorf("time %d: next interval %v starts at %d", ft, next, ns)
			}
		}
	}
}

func TestGKIDSampleFromNotes(t *testing.T) {
	t.Parallel()
	// 2023-09-09 15:02 UTC → (361,26,24), starting 08:00 UTC.
	g := GKIDAt(133387453261266352)
	if g != (GKID{361, 26, 24}) {
		t.Fatalf("got %v", g)
	}
	s, _ := g.Start()
	if got := s.Time().Format("2006-01-02T15:04"); got != "2023-09-09T08:00" {
		t.Fatalf("start %s", got)
	}
}

func TestGKIDAddCrossesL1AndL0(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from GKID
		n    int64
		want GKID
	}{
		{GKID{5, 0, 31}, 1, GKID{5, 1, 0}},
		{GKID{5, 31, 31}, 1, GKID{6, 0, 0}},
		{GKID{6, 0, 0}, -1, GKID{5, 31, 31}},
		{GKID{362, 0, 23}, 72, GKID{362, 2, 31}},
	}
	for _, c := range cases {
		if got, ok := c.from.Add(c.n); !ok || got != c.want {
			t.Errorf("%v.Add(%d) = %v, %v; want %v", c.from, c.n, got, ok, c.want)
		}
	}
	if _, ok := (GKID{0, 0, 0}).Add(-1); ok {
		t.Error("(0,0,0).Add(-1) should fail")
	}
}

func TestGKIDValidation(t *testing.T) {
	t.Parallel()
	bad := []GKID{{-2, -1, -1}, {-1, 0, 0}, {0, -1, 0}, {0, -2, -1}, {0, 0, -2}, {123, 0, 32}, {456, 32, 0}}
	for _, g := range bad {
		if err := g.Validate(); err == nil {
			t.Errorf("%v: want an error", g)
		} else if !strings.Contains(err.Error(), g.String()) {
			t.Errorf("%v: error %q does not name the GKID", g, err)
		}
	}
	for _, g := range []GKID{{-1, -1, -1}, {0, -1, -1}, {0, 31, -1}, {math.MaxInt32, 31, 31}} {
		if err := g.Validate(); err != nil {
			t.Errorf("%v: %v", g, err)
		}
	}
}

func TestParseGKID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]GKID{"362,0,23": {362, 0, 23}, " (361, 26, 24) ": {361, 26, 24}, "0,-1,-1": {0, -1, -1}} {
		got, err := ParseGKID(in)
		if err != nil || got != want {
			t.Errorf("ParseGKID(%q) = %v, %v", in, got, err)
		}
		if again, _ := ParseGKID(got.String()); again != got {
			t.Errorf("round trip of %v gave %v", got, again)
		}
	}
	for _, in := range []string{"", "1,2", "1,2,3,4", "a,0,0", "1,32,0", "99999999999,0,0"} {
		if _, err := ParseGKID(in); err == nil {
			t.Errorf("ParseGKID(%q): want an error", in)
		}
	}
}
