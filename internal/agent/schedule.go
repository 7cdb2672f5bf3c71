package agent

import "time"

// ActionKind is what the renewal loop does next for one gMSA.
type ActionKind int

const (
	// ActionLogin is a new AS exchange with the gMSA's keys: there is no
	// usable TGT, its renew-till is reached, or the password rotated.
	ActionLogin ActionKind = iota + 1
	// ActionRenew is a TGS renewal of the TGT (RFC 4120 §3.3.1).
	ActionRenew
	// ActionReadPassword re-reads msDS-ManagedPassword because the blob's
	// query interval has passed: the password has just rotated.
	ActionReadPassword
)

func (k ActionKind) String() string {
	switch k {
	case ActionLogin:
		return "login"
	case ActionRenew:
		return "renew"
	case ActionReadPassword:
		return "read-password"
	}
	return "none"
}

// Action is the next thing to do and when.
type Action struct {
	Kind ActionKind
	At   time.Time
}

// Policy is the renewal policy. The zero value takes the defaults of
// DefaultPolicy field by field.
type Policy struct {
	// RenewAt is the fraction of a ticket's life after which it is renewed
	// (default 0.5: at half-life).
	RenewAt float64
	// Jitter is the largest fraction of the ticket's life by which a
	// renewal is brought forward, so that many agents do not renew at the
	// same instant (default 0.1).
	Jitter float64
	// Margin: a TGT that ends within Margin is not used; a new one is
	// obtained first (default 1 minute).
	Margin time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff after
	// failures (default 5 s and 5 min).
	MinBackoff, MaxBackoff time.Duration
	// RereadDelay is how long after the announced rotation the password
	// is read again, to let the DCs' clocks pass it (default 5 s).
	RereadDelay time.Duration
	// MinQuery is the shortest interval between two password reads, so
	// that a blob announcing a rotation every few seconds cannot make the
	// agent hammer the DC (default 30 s).
	MinQuery time.Duration
}

// DefaultPolicy is the renewal policy gmsad uses unless configured.
var DefaultPolicy = Policy{
	RenewAt:     0.5,
	Jitter:      0.1,
	Margin:      time.Minute,
	MinBackoff:  5 * time.Second,
	MaxBackoff:  5 * time.Minute,
	RereadDelay: 5 * time.Second,
	MinQuery:    30 * time.Second,
}

// withDefaults fills zero fields from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.RenewAt <= 0 || p.RenewAt >= 1 {
		p.RenewAt = d.RenewAt
	}
	if p.Jitter < 0 || p.Jitter >= p.RenewAt {
		p.Jitter = 0
	} else if p.Jitter == 0 {
		p.Jitter = min(d.Jitter, p.RenewAt/2)
	}
	if p.Margin <= 0 {
		p.Margin = d.Margin
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = d.MinBackoff
	}
	if p.MaxBackoff < p.MinBackoff {
		p.MaxBackoff = max(d.MaxBackoff, p.MinBackoff)
	}
	if p.RereadDelay <= 0 {
		p.RereadDelay = d.RereadDelay
	}
	if p.MinQuery <= 0 {
		p.MinQuery = d.MinQuery
	}
	return p
}

// State is what NextAction decides from: the TGT's times, when the
// password was read and for how long the DC said it stays current, and the
// failures since the last success.
type State struct {
	// HaveTGT is false before the first AS exchange.
	HaveTGT bool
	// Start, End and RenewTill are the TGT's times (RenewTill zero when it
	// is not renewable), on the KDC's clock shifted to the host's.
	Start, End, RenewTill time.Time
	// PasswordRead is when msDS-ManagedPassword was last read (zero:
	// never); Query is the blob's query interval.
	PasswordRead time.Time
	Query        time.Duration
	// Failures counts consecutive failed actions; LastFailure is when the
	// last one failed.
	Failures    int
	LastFailure time.Time
	// Jitter is a number in [0, 1) drawn once per ticket: how much of the
	// policy's jitter this ticket's renewal takes.
	Jitter float64
}

// NextAction is the renewal policy: the next action for one gMSA and when to
// take it, as a pure function of now and the state. An At before or equal to
// now means "now".
func NextAction(now time.Time, s State, p Policy) Action {
	p = p.withDefaults()
	a := nextAction(now, s, p)
	if s.Failures > 0 {
		backoff := p.MinBackoff
		for i := 1; i < s.Failures && backoff < p.MaxBackoff; i++ {
			backoff *= 2
		}
		backoff = min(backoff, p.MaxBackoff)
		if retry := s.LastFailure.Add(backoff); retry.After(a.At) {
			a.At = retry
		}
	}
	return a
}

func nextAction(now time.Time, s State, p Policy) Action {
	if s.PasswordRead.IsZero() {
		return Action{ActionReadPassword, now}
	}
	if !s.HaveTGT || !now.Before(s.End.Add(-p.Margin)) {
		return Action{ActionLogin, now}
	}
	life := s.End.Sub(s.Start)
	frac := p.RenewAt - p.Jitter*s.Jitter
	t := Action{ActionRenew, s.Start.Add(time.Duration(float64(life) * frac))}
	// A renewal is worth it only while renew-till lies beyond the current
	// end; after that only a new AS exchange extends the identity.
	if s.RenewTill.IsZero() || !s.RenewTill.After(s.End) {
		t.Kind = ActionLogin
	}
	// The password rotates at PasswordRead + Query: read it right after,
	// unless the ticket needs attention first.
	reread := s.PasswordRead.Add(max(s.Query, p.MinQuery)).Add(p.RereadDelay)
	if reread.Before(t.At) {
		return Action{ActionReadPassword, reread}
	}
	return t
}
