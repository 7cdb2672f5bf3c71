package agent

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// Lease file names (architecture.md, "Files").
const (
	CCacheFile = "krb5cc"
	ConfFile   = "krb5.conf"
	KeytabFile = "krb5.keytab"
)

// Sentinels for errors.Is; the API maps them to HTTP status codes.
var (
	ErrNotFound  = errors.New("no such lease")
	ErrConflict  = errors.New("lease id already in use with another request")
	ErrForbidden = errors.New("not allowed")
	ErrInvalid   = errors.New("invalid lease request")
)

// CreateRequest asks for a lease: POST /v1/leases.
type CreateRequest struct {
	// ID is chosen by the client for an idempotent create (1 to 64 of
	// [A-Za-z0-9_.-]); empty means the agent picks one.
	ID string `json:"id,omitempty"`
	// CredentialSpec is the credential spec document itself; clients
	// resolve file://, config:// and raw:// references.
	CredentialSpec json.RawMessage `json:"credentialSpec"`
	// UID and GID own the lease's files (default: the caller's).
	UID *int `json:"uid,omitempty"`
	GID *int `json:"gid,omitempty"`
	// FileMode of the files: 0600 (default) or 0640 (then the directory
	// is 0750, for a group shared with the container's user).
	FileMode uint32 `json:"fileMode,omitempty"`
	// Keytab asks for krb5.keytab too: the current and previous keys of
	// the primary gMSA, for a service that accepts Kerberos as the gMSA.
	Keytab bool `json:"keytab,omitempty"`
	// TieToCaller ties the lease to the calling process: once it has
	// exited (a crashed `gmsa run`), the lease is deleted after the
	// agent's orphan TTL.
	TieToCaller bool `json:"tieToCaller,omitempty"`
}

// Lease is a lease as stored and as the API returns it.
type Lease struct {
	ID       string `json:"id"`
	Dir      string `json:"dir"`
	UID      int    `json:"uid"`
	GID      int    `json:"gid"`
	FileMode uint32 `json:"fileMode"`
	Keytab   bool   `json:"keytab,omitempty"`
	// Creator is the uid that created the lease (SO_PEERCRED).
	Creator int `json:"creatorUid"`
	// CreatorPID and CreatorStart identify the creating process of a lease
	// tied to it (TieToCaller): its pid and its start time in clock ticks
	// since boot, so that a reused pid is not mistaken for it.
	CreatorPID   int    `json:"creatorPid,omitempty"`
	CreatorStart uint64 `json:"creatorStart,omitempty"`
	// Accounts are the gMSAs, primary first, as the credential spec names
	// them with "$" (WebApp01$).
	Accounts       []string        `json:"accounts"`
	Created        time.Time       `json:"created"`
	CredentialSpec json.RawMessage `json:"credentialSpec"`

	files *leaseFiles // not stored
}

// leaseFiles serializes the writes into a lease directory with its removal,
// so that a renewal cannot recreate the directory of a deleted lease.
type leaseFiles struct {
	mu      sync.Mutex
	deleted bool
}

// Status is a lease with the state of its tickets: GET /v1/leases/{id}.
type Status struct {
	Lease
	Identities []IdentityStatus `json:"identities"`
}

// IdentityStatus is one gMSA of a lease.
type IdentityStatus struct {
	Account   string    `json:"account"`
	File      string    `json:"file"`                // krb5cc or krb5cc_<account>
	Principal string    `json:"principal,omitempty"` // as the KDC echoed it
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	RenewTill time.Time `json:"renewTill,omitzero"`
	// NextAction and NextRenewal: what the agent does next and when.
	NextAction  string    `json:"nextAction"`
	NextRenewal time.Time `json:"nextRenewal"`
	LastError   string    `json:"lastError,omitempty"`
}

// validID: a lease id is a directory name under the lease root, so it
// starts with a letter or digit ("." and ".." would name the root or its
// parent).
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// accountsOf returns the gMSAs of a spec, primary first, each once, with
// "$" (the spec's Name has none).
func accountsOf(s *credspec.Spec) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n == "" {
			return
		}
		n = strings.TrimSuffix(n, "$") + "$"
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	add(s.DomainJoinConfig.MachineAccountName)
	for _, a := range s.ActiveDirectoryConfig.GroupManagedServiceAccounts {
		add(a.Name)
	}
	return out
}

// fileFor names the ccache of the i-th account of a lease.
func fileFor(accounts []string, i int) string {
	if i == 0 {
		return CCacheFile
	}
	return CCacheFile + "_" + strings.ToLower(strings.TrimSuffix(accounts[i], "$"))
}

// Create makes a lease for caller (a uid, as SO_PEERCRED gave it): it gets
// a TGT for every gMSA of the credential spec (shared with the gMSA's other
// leases) and writes the lease directory. Creating again with the same ID
// and the same request returns the existing lease.
func (a *Agent) Create(ctx context.Context, caller Caller, req CreateRequest) (*Lease, error) {
	if !a.mayCreate(caller) {
		return nil, fmt.Errorf("%w: uid %d may not create leases (root or group %d)", ErrForbidden, caller.UID, a.opt.CreateGroup)
	}
	l, err := a.newLease(caller, req)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if old, ok := a.leases[l.ID]; ok {
		a.mu.Unlock()
		if old.Creator == l.Creator && old.UID == l.UID && old.GID == l.GID && old.FileMode == l.FileMode && old.CreatorPID == l.CreatorPID &&
			old.Keytab == l.Keytab && bytes.Equal(old.CredentialSpec, l.CredentialSpec) {
			return old, nil
		}
		return nil, fmt.Errorf("%w: %q", ErrConflict, l.ID)
	}
	if _, ok := a.pending[l.ID]; ok {
		a.mu.Unlock()
		return nil, fmt.Errorf("%w: %q is being created", ErrConflict, l.ID)
	}
	a.pending[l.ID] = l.Accounts
	ids := make([]*identity, len(l.Accounts))
	for i, acct := range l.Accounts {
		ids[i] = a.identityLocked(acct)
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.pending, l.ID)
		a.mu.Unlock()
		a.dropUnused()
	}()

	tgts := make([]*client.Credentials, len(ids))
	for i, id := range ids {
		if tgts[i], err = a.ensure(ctx, id); err != nil {
			return nil, err
		}
	}
	if err := a.writeLease(l, ids, tgts); err != nil {
		os.RemoveAll(l.Dir)
		return nil, err
	}
	if err := a.store.put(l); err != nil {
		os.RemoveAll(l.Dir)
		return nil, err
	}
	a.mu.Lock()
	a.leases[l.ID] = l
	a.mu.Unlock()
	a.metrics.leasesCreated.Add(1)
	a.log.Info("lease created", "id", l.ID, "accounts", l.Accounts, "uid", l.UID)
	a.poke()
	return l, nil
}

// newLease checks a request and builds the lease it asks for.
func (a *Agent) newLease(caller Caller, req CreateRequest) (*Lease, error) {
	id := req.ID
	if id == "" {
		var b [12]byte
		if _, err := a.opt.Rand.Read(b[:]); err != nil {
			return nil, err
		}
		id = hex.EncodeToString(b[:])
	}
	if !validID.MatchString(id) {
		return nil, fmt.Errorf("%w: id %q: want 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit", ErrInvalid, id)
	}
	if len(req.CredentialSpec) == 0 {
		return nil, fmt.Errorf("%w: credentialSpec is missing", ErrInvalid)
	}
	spec, _, err := credspec.Parse(req.CredentialSpec)
	if err != nil {
		return nil, fmt.Errorf("%w: credentialSpec: %w", ErrInvalid, err)
	}
	if d := spec.DomainJoinConfig.DnsName; !strings.EqualFold(strings.TrimSuffix(d, "."), a.opt.Domain) {
		return nil, fmt.Errorf("%w: credentialSpec DomainJoinConfig.DnsName %q: this agent serves %s", ErrInvalid, d, a.opt.Domain)
	}
	accounts := accountsOf(spec)
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%w: credentialSpec names no gMSA", ErrInvalid)
	}
	l := &Lease{files: &leaseFiles{}, ID: id, Dir: filepath.Join(a.opt.LeaseRoot, id), UID: caller.UID, GID: caller.GID,
		FileMode: 0o600, Keytab: req.Keytab, Creator: caller.UID, Accounts: accounts,
		Created: a.opt.Now().UTC().Truncate(time.Second)}
	var compact bytes.Buffer
	if err := json.Compact(&compact, req.CredentialSpec); err != nil {
		return nil, fmt.Errorf("%w: credentialSpec: %w", ErrInvalid, err)
	}
	l.CredentialSpec = compact.Bytes()
	if req.UID != nil || req.GID != nil {
		// Only root hands files to another user.
		if caller.UID != 0 && ((req.UID != nil && *req.UID != caller.UID) || (req.GID != nil && *req.GID != caller.GID)) {
			return nil, fmt.Errorf("%w: uid %d may create leases for itself only", ErrForbidden, caller.UID)
		}
		if req.UID != nil {
			l.UID = *req.UID
		}
		if req.GID != nil {
			l.GID = *req.GID
		}
		if l.UID < 0 || l.GID < 0 {
			return nil, fmt.Errorf("%w: uid %d gid %d: negative", ErrInvalid, l.UID, l.GID)
		}
	}
	if req.TieToCaller {
		start, err := processStart(caller.PID)
		if err != nil {
			return nil, fmt.Errorf("%w: tieToCaller: the calling process (pid %d): %v", ErrInvalid, caller.PID, err)
		}
		l.CreatorPID, l.CreatorStart = caller.PID, start
	}
	switch req.FileMode {
	case 0, 0o600:
	case 0o640:
		l.FileMode = 0o640
	default:
		return nil, fmt.Errorf("%w: fileMode %#o: want 0600 or 0640", ErrInvalid, req.FileMode)
	}
	return l, nil
}

func (l *Lease) dirMode() os.FileMode {
	if l.FileMode&0o040 != 0 {
		return 0o750
	}
	return 0o700
}

// writeLease writes every file of a new lease.
func (a *Agent) writeLease(l *Lease, ids []*identity, tgts []*client.Credentials) error {
	if err := makeDir(l.Dir, l.dirMode(), l.UID, l.GID); err != nil {
		return err
	}
	if err := writeFileAtomic(l.Dir, ConfFile, a.conf, os.FileMode(l.FileMode), l.UID, l.GID); err != nil {
		return err
	}
	for i := range ids {
		if err := a.writeCCache(l, i, tgts[i]); err != nil {
			return err
		}
	}
	if l.Keytab {
		return a.writeKeytab(l, ids[0])
	}
	return nil
}

func (a *Agent) writeCCache(l *Lease, i int, tgt *client.Credentials) error {
	b, err := client.NewCache(tgt).Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(l.Dir, fileFor(l.Accounts, i), b, os.FileMode(l.FileMode), l.UID, l.GID)
}

// writeKeytab writes the primary gMSA's current keys at its kvno and the
// previous password's keys at kvno-1, so that tickets issued just before a
// rotation are still accepted.
func (a *Agent) writeKeytab(l *Lease, id *identity) error {
	prev, err := a.previousKeys(id)
	if err != nil {
		return err
	}
	id.mu.Lock()
	account, kvno, keys := id.account, id.kvno, id.keys
	id.mu.Unlock()
	p := keytab.Principal{Components: []string{account}, Realm: a.realm, NameType: keytab.NameTypePrincipal}
	now := a.opt.Now().Truncate(time.Second)
	var kt keytab.Keytab
	for _, k := range keys {
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, Timestamp: now, KVNO: kvno, Key: k})
	}
	if kvno > 1 {
		for _, k := range prev {
			kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, Timestamp: now, KVNO: kvno - 1, Key: k})
		}
	}
	b, err := kt.Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(l.Dir, KeytabFile, b, os.FileMode(l.FileMode), l.UID, l.GID)
}

// publish writes an identity's new TGT into every lease that uses it.
func (a *Agent) publish(id *identity) {
	id.mu.Lock()
	tgt := id.tgt
	id.mu.Unlock()
	a.mu.Lock()
	var targets []*Lease
	for _, l := range a.leases {
		targets = append(targets, l)
	}
	a.mu.Unlock()
	for _, l := range targets {
		if !slices.ContainsFunc(l.Accounts, func(acct string) bool { return strings.EqualFold(acct, id.name) }) {
			continue
		}
		l.files.mu.Lock()
		a.publishLocked(l, id, tgt)
		l.files.mu.Unlock()
	}
}

// publishLocked writes an identity's TGT (and keytab) into one lease,
// first recreating its directory when it is gone (after a reboot emptied
// /run); l.files.mu is held.
func (a *Agent) publishLocked(l *Lease, id *identity, tgt *client.Credentials) {
	if l.files.deleted {
		return
	}
	if _, err := os.Stat(l.Dir); os.IsNotExist(err) {
		err := makeDir(l.Dir, l.dirMode(), l.UID, l.GID)
		if err == nil {
			err = writeFileAtomic(l.Dir, ConfFile, a.conf, os.FileMode(l.FileMode), l.UID, l.GID)
		}
		if err != nil {
			a.log.Warn("recreating a lease's directory", "id", l.ID, "err", err)
			return
		}
	}
	for i, acct := range l.Accounts {
		if !strings.EqualFold(acct, id.name) {
			continue
		}
		if err := a.writeCCache(l, i, tgt); err != nil {
			a.log.Warn("writing a lease's ccache", "id", l.ID, "err", err)
		}
		if i == 0 && l.Keytab {
			if err := a.writeKeytab(l, id); err != nil {
				a.log.Warn("writing a lease's keytab", "id", l.ID, "err", err)
			}
		}
	}
}

// Delete removes a lease and its directory.
func (a *Agent) Delete(caller Caller, id string) error {
	l, err := a.lookup(caller, id)
	if err != nil {
		return err
	}
	if err := a.store.delete(id); err != nil {
		return err
	}
	a.mu.Lock()
	delete(a.leases, id)
	a.mu.Unlock()
	a.dropUnused()
	a.log.Info("lease deleted", "id", id)
	l.files.mu.Lock()
	defer l.files.mu.Unlock()
	l.files.deleted = true
	return os.RemoveAll(l.Dir)
}

// lookup finds a lease the caller may see: its creator's, or any for root.
func (a *Agent) lookup(caller Caller, id string) (*Lease, error) {
	a.mu.Lock()
	l, ok := a.leases[id]
	a.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if caller.UID != 0 && caller.UID != l.Creator {
		// Not found rather than forbidden: lease ids of other users are
		// not disclosed.
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return l, nil
}

// Show returns a lease and the state of its tickets.
func (a *Agent) Show(caller Caller, id string) (*Status, error) {
	l, err := a.lookup(caller, id)
	if err != nil {
		return nil, err
	}
	return a.status(l), nil
}

// List returns the leases the caller may see, ordered by id.
func (a *Agent) List(caller Caller) []*Status {
	a.mu.Lock()
	var ls []*Lease
	for _, l := range a.leases {
		if caller.UID == 0 || caller.UID == l.Creator {
			ls = append(ls, l)
		}
	}
	a.mu.Unlock()
	out := make([]*Status, 0, len(ls))
	for _, l := range ls {
		out = append(out, a.status(l))
	}
	sortStatuses(out)
	return out
}

// Renew renews the TGTs of a lease's gMSAs now (a TGS renewal, or a new AS
// exchange when the TGT cannot be renewed), which every lease of those gMSAs
// receives.
func (a *Agent) Renew(ctx context.Context, caller Caller, id string) (*Status, error) {
	l, err := a.lookup(caller, id)
	if err != nil {
		return nil, err
	}
	for _, acct := range l.Accounts {
		a.mu.Lock()
		ident := a.ids[strings.ToLower(acct)]
		a.mu.Unlock()
		if ident == nil {
			continue
		}
		kind := ActionRenew
		if ident.state().PasswordRead.IsZero() {
			kind = ActionReadPassword
		}
		if err := a.act(ctx, ident, kind); err != nil {
			return nil, err
		}
	}
	a.poke()
	return a.status(l), nil
}

func (a *Agent) status(l *Lease) *Status {
	s := &Status{Lease: *l}
	now := a.opt.Now()
	for i, acct := range l.Accounts {
		is := IdentityStatus{Account: acct, File: fileFor(l.Accounts, i)}
		a.mu.Lock()
		id := a.ids[strings.ToLower(acct)]
		a.mu.Unlock()
		if id != nil {
			st := id.state()
			next := NextAction(now, st, a.policy)
			is.NextAction, is.NextRenewal = next.Kind.String(), next.At.UTC()
			id.mu.Lock()
			if id.tgt != nil {
				is.Principal = id.tgt.ClientName()
				is.Start, is.End, is.RenewTill = st.Start.UTC(), st.End.UTC(), st.RenewTill.UTC()
				if st.RenewTill.IsZero() {
					is.RenewTill = time.Time{}
				}
			}
			is.LastError = id.lastErr
			id.mu.Unlock()
		}
		s.Identities = append(s.Identities, is)
	}
	return s
}
