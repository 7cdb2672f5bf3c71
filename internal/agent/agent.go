package agent

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
)

// Caller is who called the API, as SO_PEERCRED and the group database say.
type Caller struct {
	UID, GID int
	// Groups are the caller's supplementary group ids.
	Groups []int
	// PID is the calling process (0 when unknown), for leases tied to it.
	PID int
}

// Agent is gmsad: leases, the gMSA identities behind them, and the renewal
// loop (Run). Its methods are safe for concurrent use.
type Agent struct {
	opt    Options
	realm  string
	policy Policy
	conf   []byte // krb5.conf, for the agent and every lease
	kc     *client.Client
	store  *store
	log    *slog.Logger

	hostMu   sync.Mutex
	hostCred *client.Credentials

	mu      sync.Mutex
	leases  map[string]*Lease
	pending map[string][]string  // lease id → accounts, while Create runs
	ids     map[string]*identity // by lower-case account name
	wake    chan struct{}
	// orphanSince: when the creating process of a tied lease was first
	// seen gone.
	orphanSince map[string]time.Time

	metrics metrics
}

type metrics struct {
	passwordReads, keyDerivations, logins, renewals, failures, leasesCreated atomic.Int64
}

// New opens the state database, restores the leases it holds and returns
// the agent. Renewals start with Run; until then no DC is contacted.
func New(opt Options) (*Agent, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.TicketLifetime == 0 {
		opt.TicketLifetime = 10 * time.Hour
	}
	if opt.OrphanTTL <= 0 {
		opt.OrphanTTL = 5 * time.Minute
	}
	if opt.RenewLifetime == 0 {
		opt.RenewLifetime = 7 * 24 * time.Hour
	}
	opt.Domain = strings.ToLower(strings.TrimSuffix(opt.Domain, "."))
	a := &Agent{opt: opt, realm: opt.Realm, policy: opt.Policy.withDefaults(), log: opt.Logger,
		leases: map[string]*Lease{}, pending: map[string][]string{}, ids: map[string]*identity{},
		wake: make(chan struct{}, 1)}
	if a.realm == "" {
		a.realm = strings.ToUpper(opt.Domain)
	}
	a.conf = krb5Conf(a.realm, opt.Domain, opt.DCs)
	kc, err := newKerberos(&a.opt, a.conf)
	if err != nil {
		return nil, err
	}
	a.kc = kc
	for _, d := range []string{opt.StateDir, opt.LeaseRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Lease owners traverse the lease root to reach their own directory
	// but cannot list it.
	if err := os.Chmod(opt.LeaseRoot, 0o711); err != nil {
		return nil, err
	}
	if a.store, err = openStore(opt.StateDir); err != nil {
		return nil, err
	}
	leases, err := a.store.all()
	if err != nil {
		a.store.close()
		return nil, err
	}
	for _, l := range leases {
		l.files = &leaseFiles{}
		a.leases[l.ID] = l
		for _, acct := range l.Accounts {
			a.identityLocked(acct)
		}
	}
	if len(leases) > 0 {
		a.log.Info("leases restored", "count", len(leases))
	}
	return a, nil
}

// Close closes the state database. Lease directories stay.
func (a *Agent) Close() error { return a.store.close() }

// KRB5Conf returns the krb5.conf the agent writes into leases.
func (a *Agent) KRB5Conf() []byte { return slices.Clone(a.conf) }

// identityLocked returns the identity of account, creating it; a.mu is held.
func (a *Agent) identityLocked(account string) *identity {
	key := strings.ToLower(account)
	id, ok := a.ids[key]
	if !ok {
		id = &identity{name: account, account: account}
		a.ids[key] = id
	}
	return id
}

// dropUnused forgets the identities (keys and TGT) no lease uses any more.
func (a *Agent) dropUnused() {
	a.mu.Lock()
	defer a.mu.Unlock()
	used := map[string]bool{}
	for _, l := range a.leases {
		for _, acct := range l.Accounts {
			used[strings.ToLower(acct)] = true
		}
	}
	for _, accounts := range a.pending {
		for _, acct := range accounts {
			used[strings.ToLower(acct)] = true
		}
	}
	for key := range a.ids {
		if !used[key] {
			delete(a.ids, key)
		}
	}
}

// poke wakes the renewal loop to recompute its schedule.
func (a *Agent) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *Agent) mayCreate(c Caller) bool {
	if c.UID == 0 {
		return true
	}
	g := a.opt.CreateGroup
	return g >= 0 && (c.GID == g || slices.Contains(c.Groups, g))
}

// maxSleep bounds the loop's sleep so that a jump of the wall clock (a
// suspended VM) is noticed.
const maxSleep = time.Minute

// minSpacing is the least time between two scheduled actions of one
// identity.
const minSpacing = time.Second

// actionTimeout bounds one scheduled action (DC failover included).
const actionTimeout = 2 * time.Minute

// Run is the renewal loop: for every gMSA with a lease it carries out
// NextAction when due, and writes the new TGT into the gMSA's leases. It
// returns when ctx ends. On start, restored leases get a fresh password read
// and TGT; their files stay in place until then.
func (a *Agent) Run(ctx context.Context) error {
	inflight := map[*identity]bool{}
	finished := map[*identity]time.Time{} // when each identity's last action ended
	done := make(chan *identity)
	for {
		now := a.opt.Now()
		next := now.Add(maxSleep)
		a.mu.Lock()
		ids := make([]*identity, 0, len(a.ids))
		for _, id := range a.ids {
			ids = append(ids, id)
		}
		a.mu.Unlock()
		for id := range finished {
			if !slices.Contains(ids, id) {
				delete(finished, id) // its last lease is gone
			}
		}
		if at := a.collectOrphans(now); at.Before(next) {
			next = at
		}
		for _, id := range ids {
			if inflight[id] {
				continue // its action reports back through done
			}
			act := NextAction(now, id.state(), a.policy)
			// Never spin: an identity due again at once (a KDC that
			// caps tickets below the margin) waits a little.
			if floor := finished[id].Add(min(minSpacing, a.policy.MinBackoff)); act.At.Before(floor) {
				act.At = floor
			}
			if act.At.After(now) {
				if act.At.Before(next) {
					next = act.At
				}
				continue
			}
			// Each due identity acts on its own goroutine, so that one
			// slow DC exchange does not hold the others' renewals up.
			inflight[id] = true
			go func() {
				actx, cancel := context.WithTimeout(ctx, actionTimeout)
				defer cancel()
				a.actIfDue(actx, id) // failures are recorded for backoff and status
				done <- id
			}()
		}
		t := time.NewTimer(max(next.Sub(a.opt.Now()), 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			for range inflight {
				<-done
			}
			return nil
		case id := <-done:
			delete(inflight, id)
			finished[id] = a.opt.Now()
		case <-a.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func sortStatuses(s []*Status) {
	slices.SortFunc(s, func(x, y *Status) int { return strings.Compare(x.ID, y.ID) })
}
