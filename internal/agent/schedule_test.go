package agent

import (
	"testing"
	"time"
)

func TestNextAction(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	// base: a fresh 10 h TGT renewable for 7 days, a password read at t0
	// that stays current for 20 days, no jitter, no failures.
	base := func() State {
		return State{HaveTGT: true, Start: t0, End: t0.Add(10 * time.Hour), RenewTill: t0.Add(7 * 24 * time.Hour),
			PasswordRead: t0, Query: 20 * 24 * time.Hour}
	}
	pol := Policy{Jitter: -1} // no jitter unless a case sets it
	tests := []struct {
		name   string
		now    time.Time
		mutate func(*State)
		policy *Policy
		want   Action
	}{
		{"a fresh TGT is renewed at half-life", t0, nil, nil, Action{ActionRenew, t0.Add(5 * time.Hour)}},
		{"before the first password read, the password is read now", t0, func(s *State) { *s = State{} }, nil, Action{ActionReadPassword, t0}},
		{"without a TGT, log in now", t0, func(s *State) { s.HaveTGT = false }, nil, Action{ActionLogin, t0}},
		{"an expired TGT means a new AS exchange now", t0.Add(11 * time.Hour), nil, nil, Action{ActionLogin, t0.Add(11 * time.Hour)}},
		{"a TGT ending within the margin is replaced now", t0.Add(10*time.Hour - 30*time.Second), nil, nil, Action{ActionLogin, t0.Add(10*time.Hour - 30*time.Second)}},
		{"a TGT that is not renewable is replaced by AS at half-life", t0, func(s *State) { s.RenewTill = time.Time{} }, nil, Action{ActionLogin, t0.Add(5 * time.Hour)}},
		{"past renew-till a renewal is useless: AS at half-life", t0, func(s *State) { s.RenewTill = s.End }, nil, Action{ActionLogin, t0.Add(5 * time.Hour)}},
		{"the password is re-read just after the rotation the blob announced", t0, func(s *State) { s.Query = time.Hour }, nil,
			Action{ActionReadPassword, t0.Add(time.Hour + 5*time.Second)}},
		{"a tiny query interval cannot make the agent poll the DC", t0, func(s *State) { s.Query = time.Second }, nil,
			Action{ActionReadPassword, t0.Add(35 * time.Second)}},
		{"full jitter brings the renewal forward by 10 % of the life", t0, func(s *State) { s.Jitter = 0.999999999 }, &Policy{},
			Action{ActionRenew, t0.Add(4 * time.Hour).Add(36 * time.Microsecond / 1000)}},
		{"one failure backs off by the minimum", t0.Add(5 * time.Hour), func(s *State) { s.Failures, s.LastFailure = 1, t0.Add(5*time.Hour) }, nil,
			Action{ActionRenew, t0.Add(5*time.Hour + 5*time.Second)}},
		{"four failures back off 8 times the minimum", t0.Add(5 * time.Hour), func(s *State) { s.Failures, s.LastFailure = 4, t0.Add(5*time.Hour) }, nil,
			Action{ActionRenew, t0.Add(5*time.Hour + 40*time.Second)}},
		{"backoff is capped", t0.Add(5 * time.Hour), func(s *State) { s.Failures, s.LastFailure = 40, t0.Add(5*time.Hour) }, nil,
			Action{ActionRenew, t0.Add(5*time.Hour + 5*time.Minute)}},
		{"an expired TGT after failures still waits for the backoff", t0.Add(11 * time.Hour), func(s *State) { s.Failures, s.LastFailure = 2, t0.Add(11*time.Hour) }, nil,
			Action{ActionLogin, t0.Add(11*time.Hour + 10*time.Second)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base()
			if tc.mutate != nil {
				tc.mutate(&s)
			}
			p := pol
			if tc.policy != nil {
				p = *tc.policy
			}
			got := NextAction(tc.now, s, p)
			if got.Kind != tc.want.Kind || got.At.Sub(tc.want.At).Abs() > time.Millisecond {
				t.Errorf("NextAction = %v at %v, want %v at %v", got.Kind, got.At, tc.want.Kind, tc.want.At)
			}
		})
	}
}
