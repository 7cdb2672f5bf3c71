package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// identity is one gMSA as the agent holds it in memory: its password's keys
// (read and derived once per rotation), and the one TGT that every lease of
// the gMSA receives. Nothing of it is written to the state database.
type identity struct {
	name string // as the credential spec names it, with "$": the map key's case

	// run serializes the network actions (password read, AS, renewal), so
	// that concurrent leases of one gMSA share one exchange.
	run sync.Mutex

	mu           sync.Mutex // guards what follows
	account      string     // sAMAccountName as the DC stores it
	password     *managedpassword.Password
	previous     *managedpassword.Password
	keys         client.Keys
	prevKeys     client.Keys
	kvno         uint32
	passwordRead time.Time
	query        time.Duration
	tgt          *client.Credentials
	jitter       float64
	failures     int
	lastFailure  time.Time
	lastErr      string
}

// snapshot returns the scheduler's view of the identity.
func (id *identity) state() State {
	id.mu.Lock()
	defer id.mu.Unlock()
	s := State{PasswordRead: id.passwordRead, Query: id.query, Failures: id.failures,
		LastFailure: id.lastFailure, Jitter: id.jitter}
	if id.tgt != nil {
		s.HaveTGT = true
		s.Start, s.End, s.RenewTill = ticketTimes(id.tgt)
	}
	return s
}

// ticketTimes returns a ticket's times on the host's clock.
func ticketTimes(c *client.Credentials) (start, end, renewTill time.Time) {
	start = c.StartTime
	if start.IsZero() {
		start = c.AuthTime
	}
	off := c.KDCOffset
	start, end = start.Add(-off), c.EndTime.Add(-off)
	if !c.RenewTill.IsZero() {
		renewTill = c.RenewTill.Add(-off)
	}
	return start, end, renewTill
}

// ensure returns a TGT for the identity that is good for at least the
// policy's margin, reading the password and logging in only when needed.
func (a *Agent) ensure(ctx context.Context, id *identity) (*client.Credentials, error) {
	id.run.Lock()
	defer id.run.Unlock()
	id.mu.Lock()
	tgt, havePassword := id.tgt, id.password != nil
	id.mu.Unlock()
	if tgt != nil {
		_, end, _ := ticketTimes(tgt)
		if a.opt.Now().Add(a.policy.Margin).Before(end) {
			return tgt, nil
		}
	}
	if !havePassword {
		if _, err := a.refreshPassword(ctx, id); err != nil {
			return nil, a.failed(id, err)
		}
	}
	if err := a.login(ctx, id); err != nil {
		return nil, a.failed(id, err)
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	id.failures, id.lastErr = 0, ""
	return id.tgt, nil
}

// actIfDue carries out the identity's next action if it is still due once
// the identity is free (a lease create may have just done the work).
func (a *Agent) actIfDue(ctx context.Context, id *identity) {
	id.run.Lock()
	defer id.run.Unlock()
	now := a.opt.Now()
	if next := NextAction(now, id.state(), a.policy); !next.At.After(now) {
		a.actLocked(ctx, id, next.Kind)
	}
}

// act carries out one action now (POST renew) and hands a new TGT to
// every lease of the identity.
func (a *Agent) act(ctx context.Context, id *identity, kind ActionKind) error {
	id.run.Lock()
	defer id.run.Unlock()
	return a.actLocked(ctx, id, kind)
}

func (a *Agent) actLocked(ctx context.Context, id *identity, kind ActionKind) error {
	var err error
	switch kind {
	case ActionReadPassword:
		var changed bool
		changed, err = a.refreshPassword(ctx, id)
		id.mu.Lock()
		needLogin := changed || id.tgt == nil
		id.mu.Unlock()
		if err == nil && needLogin {
			err = a.login(ctx, id)
		}
	case ActionRenew:
		err = a.renew(ctx, id)
		if errors.Is(err, client.ErrCannotRenew) || errors.Is(err, client.ErrTicketExpired) {
			err = a.login(ctx, id)
		}
	case ActionLogin:
		err = a.login(ctx, id)
	}
	if err != nil {
		return a.failed(id, fmt.Errorf("%s %s: %w", kind, id.name, err))
	}
	id.mu.Lock()
	id.failures, id.lastErr = 0, ""
	id.mu.Unlock()
	return nil
}

// failed records a failure for the backoff and the lease status.
func (a *Agent) failed(id *identity, err error) error {
	a.metrics.failures.Add(1)
	id.mu.Lock()
	id.failures++
	id.lastFailure = a.opt.Now()
	id.lastErr = err.Error()
	id.mu.Unlock()
	a.log.Warn("gMSA action failed", "account", id.name, "err", err)
	return err
}

// refreshPassword reads msDS-ManagedPassword and, when the password is new,
// derives its keys. It reports whether the password changed.
func (a *Agent) refreshPassword(ctx context.Context, id *identity) (bool, error) {
	r, kvno, err := a.readPassword(ctx, id.name)
	if err != nil {
		return false, err
	}
	now := a.opt.Now()
	id.mu.Lock()
	same := id.password != nil && id.password.Equal(&r.Blob.Current)
	id.mu.Unlock()
	var keys client.Keys
	if !same {
		if keys, err = a.deriveKeys(&r.Blob.Current, r.SAMAccountName); err != nil {
			return false, err
		}
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	id.account, id.kvno = r.SAMAccountName, kvno
	id.passwordRead, id.query = now, r.Blob.Query()
	if same {
		return false, nil
	}
	changed := id.password != nil
	// The previous password's keys serve keytabs only: after a rotation
	// they are the keys already held; otherwise they are derived when a
	// keytab first needs them (previousKeys).
	var prev client.Keys
	if changed && r.Blob.Previous != nil && r.Blob.Previous.Equal(id.password) {
		prev = id.keys
	}
	cur := r.Blob.Current
	id.password, id.previous, id.keys, id.prevKeys = &cur, r.Blob.Previous, keys, prev
	if changed {
		a.log.Info("gMSA password rotated", "account", id.account, "kvno", kvno)
	}
	return changed, nil
}

// previousKeys returns the previous password's keys (nil when the DC
// sent no previous password), deriving them on first use.
func (a *Agent) previousKeys(id *identity) (client.Keys, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.prevKeys != nil || id.previous == nil {
		return id.prevKeys, nil
	}
	k, err := a.deriveKeys(id.previous, id.account)
	if err != nil {
		return nil, err
	}
	id.prevKeys = k
	return k, nil
}

// login runs an AS exchange with the identity's current keys and publishes
// the TGT.
func (a *Agent) login(ctx context.Context, id *identity) error {
	id.mu.Lock()
	account, keys := id.account, id.keys
	id.mu.Unlock()
	tgt, err := a.kc.Login(ctx, client.LoginRequest{Principal: account, Realm: a.realm, Keys: keys,
		Lifetime: a.opt.TicketLifetime, RenewLifetime: a.opt.RenewLifetime})
	if err != nil {
		return err
	}
	a.metrics.logins.Add(1)
	a.setTGT(id, tgt)
	return nil
}

// renew renews the identity's TGT and publishes it.
func (a *Agent) renew(ctx context.Context, id *identity) error {
	id.mu.Lock()
	tgt := id.tgt
	id.mu.Unlock()
	if tgt == nil {
		return client.ErrCannotRenew
	}
	n, err := a.kc.Renew(ctx, tgt)
	if err != nil {
		return err
	}
	a.metrics.renewals.Add(1)
	a.setTGT(id, n)
	return nil
}

func (a *Agent) setTGT(id *identity, tgt *client.Credentials) {
	var b [8]byte
	j := 0.0
	if _, err := a.opt.Rand.Read(b[:]); err == nil {
		j = float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
	}
	id.mu.Lock()
	id.tgt, id.jitter = tgt, j
	id.mu.Unlock()
	a.publish(id)
}
