package gssapi

import (
	"bytes"
	"encoding/binary"
	"io"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// DefaultMaxSkew is the clock skew allowed when AcceptorConfig.MaxSkew is
// zero: RFC 4120 §1.6's customary five minutes, MIT's and Windows' default.
const DefaultMaxSkew = 5 * time.Minute

// AcceptorConfig is what an acceptor needs: the service's keys and the
// policy to apply.
type AcceptorConfig struct {
	// Keytab holds the service's keys; required.
	Keytab *keytab.Keytab
	// Service, if set, is the only principal accepted ("HTTP/web.contoso.com"
	// or with "@REALM"); otherwise any principal of the keytab is.
	Service string
	// MaxSkew is the clock skew allowed; DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// ChannelBindings is the expected application data of the channel
	// bindings (see [ChannelBindingsTLSServerEndPoint]). When set, an
	// initiator that sent bindings must match, and one that sent none is
	// refused. When nil, bindings are not checked.
	ChannelBindings []byte
	// ReplayCache remembers authenticators; a process-wide
	// [MemoryReplayCache] when nil.
	ReplayCache ReplayCache
	// Now is the clock (time.Now in production); required.
	Now func() time.Time
	// Rand supplies the acceptor subkey, sequence number and confounders
	// (crypto/rand.Reader in production); required.
	Rand io.Reader
}

// Acceptor is the service side of a Kerberos V5 GSS-API context. Pass the
// initiator's first token to [Acceptor.Step]; send back the output if
// there is one (the AP-REP of mutual authentication). The context is then
// established: Client, AuthorizationData and PAC say who the client is,
// and the embedded [Context] wraps and unwraps messages.
type Acceptor struct {
	Context
	cfg    AcceptorConfig
	done   bool
	failed bool
	client msg.PrincipalName
	realm  string
	ticket *msg.EncTicketPart
	sname  msg.PrincipalName
	srealm string
}

// NewAcceptor checks cfg and returns an acceptor ready for the
// initiator's first token.
func NewAcceptor(cfg AcceptorConfig) (*Acceptor, error) {
	const op = "accept"
	if cfg.Keytab == nil || cfg.Now == nil || cfg.Rand == nil {
		return nil, errorf(op, ErrConfig, "AcceptorConfig.Keytab, Now and Rand are required")
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.ReplayCache == nil {
		cfg.ReplayCache = &defaultReplayCache
	}
	if cfg.Service != "" {
		if _, err := keytab.ParsePrincipal(cfg.Service); err != nil {
			return nil, wrapErr(op, ErrConfig, "AcceptorConfig.Service", err)
		}
	}
	a := &Acceptor{cfg: cfg}
	a.acceptor = true
	a.rand = cfg.Rand
	return a, nil
}

// Client returns the authenticated client principal, "alice@CONTOSO.COM",
// or "" before the context is established.
func (a *Acceptor) Client() string {
	if !a.done {
		return ""
	}
	return a.client.WithRealm(a.realm)
}

// ClientName returns the authenticated client's name and realm.
func (a *Acceptor) ClientName() (msg.PrincipalName, string) { return a.client, a.realm }

// Service returns the principal the ticket was issued for.
func (a *Acceptor) Service() string {
	if !a.done {
		return ""
	}
	return a.sname.WithRealm(a.srealm)
}

// AuthorizationData returns the ticket's authorization data (nil before
// establishment or when absent).
func (a *Acceptor) AuthorizationData() msg.AuthorizationData {
	if !a.done {
		return nil
	}
	return a.ticket.AuthorizationData
}

// PAC returns the ticket's PAC bytes ([MS-PAC]) for internal/krb5/msg/pac,
// or nil when there is none. The PAC's signatures are not checked here.
func (a *Acceptor) PAC() ([]byte, error) {
	return a.AuthorizationData().PAC()
}

// Step verifies the initiator's InitialContextToken. On success done is
// true and output is the AP-REP token when mutual authentication was
// requested, nil otherwise.
func (a *Acceptor) Step(input []byte) (output []byte, done bool, err error) {
	if a.done || a.failed {
		return nil, false, errorf("accept", ErrState, "Step called after the context was established or failed")
	}
	output, done, err = a.step(input)
	a.failed = err != nil
	return output, done, err
}

func (a *Acceptor) step(input []byte) (output []byte, done bool, err error) {
	const op = "accept"
	req, err := ParseAPReqToken(input)
	if err != nil {
		return nil, false, err
	}
	now := a.cfg.Now()
	skew := a.cfg.MaxSkew

	// The ticket must be for us: a ticket for another service of the
	// same realm is valid Kerberos but must not log in here.
	tkt := &req.Ticket
	sname := tkt.SName.String()
	if a.cfg.Service != "" {
		want, _ := keytab.ParsePrincipal(a.cfg.Service)
		have, _ := keytab.ParsePrincipal(sname)
		have.NameType = want.NameType
		if want.Realm != "" {
			have.Realm = tkt.Realm
		}
		if !have.Equal(want) {
			return nil, false, errorf(op, ErrWrongService, "ticket is for %s, want %s", tkt.SName.WithRealm(tkt.Realm), a.cfg.Service)
		}
	}
	var kvno uint32
	if tkt.EncPart.KVNO != nil {
		kvno = *tkt.EncPart.KVNO
	}
	ent, err := a.cfg.Keytab.Find(sname, tkt.Realm, kvno, tkt.EncPart.EType)
	if err != nil {
		return nil, false, wrapErr(op, ErrWrongService, "no key for "+tkt.SName.WithRealm(tkt.Realm), err)
	}
	enc, err := tkt.Decrypt(ent.Key)
	if err != nil {
		return nil, false, wrapErr(op, ErrBadMIC, "opening the ticket", err)
	}
	if enc.Flags&msg.TicketFlagInvalid != 0 {
		return nil, false, errorf(op, ErrSkew, "ticket is marked invalid (postdated, not yet validated)")
	}
	start := enc.StartTime
	if start.IsZero() {
		start = enc.AuthTime
	}
	if now.Add(skew).Before(start) {
		return nil, false, errorf(op, ErrSkew, "ticket starts at %s, now is %s", start.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.Add(-skew).After(enc.EndTime) {
		return nil, false, errorf(op, ErrSkew, "ticket expired at %s, now is %s", enc.EndTime.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	sessionKey, err := enc.Key.Key()
	if err != nil {
		return nil, false, wrapErr(op, ErrMalformed, "ticket session key", err)
	}
	if err := checkKeyType(op, "ticket session key", sessionKey); err != nil {
		return nil, false, err
	}
	auth, err := req.DecryptAuthenticator(sessionKey, crypto.KeyUsageAPReqAuthenticator)
	if err != nil {
		return nil, false, wrapErr(op, ErrBadMIC, "opening the authenticator", err)
	}
	if !auth.CName.EqualFold(enc.CName) || !equalFold(auth.CRealm, enc.CRealm) {
		return nil, false, errorf(op, ErrBadMIC, "authenticator names %s, ticket %s", auth.CName.WithRealm(auth.CRealm), enc.CName.WithRealm(enc.CRealm))
	}
	ctime := auth.CTime.Add(time.Duration(auth.CUSec) * time.Microsecond)
	if d := now.Sub(ctime); d > skew || d < -skew {
		return nil, false, errorf(op, ErrSkew, "authenticator time %s is %s off the acceptor's clock (limit %s)", ctime.UTC().Format(time.RFC3339), d.Round(time.Second), skew)
	}
	if auth.Cksum == nil || auth.Cksum.Type != ChecksumTypeGSS {
		return nil, false, errorf(op, ErrMalformed, "authenticator has no 0x8003 GSS checksum")
	}
	ck, err := parseAuthChecksum(auth.Cksum.Value)
	if err != nil {
		return nil, false, err
	}
	if err := a.checkBindings(ck.Bnd); err != nil {
		return nil, false, err
	}
	key := ReplayKey{Client: enc.CName.WithRealm(enc.CRealm), Service: tkt.SName.WithRealm(tkt.Realm), CTime: auth.CTime, CUSec: auth.CUSec}
	if a.cfg.ReplayCache.Seen(key, ctime.Add(skew), now) {
		return nil, false, errorf(op, ErrReplay, "authenticator from %s at %s seen before", key.Client, ctime.UTC().Format(time.RFC3339Nano))
	}

	flags := ck.Flags & supportedFlags
	if req.APOptions&msg.APOptionMutualRequired != 0 {
		flags |= FlagMutual
	}
	// Per-message protection is always available (RFC 4121 §4.1.1.1: the
	// acceptor reports what it provides).
	flags |= FlagConf | FlagInteg
	a.flags = flags

	key0 := sessionKey
	if auth.Subkey != nil {
		k, err := auth.Subkey.Key()
		if err != nil {
			return nil, false, wrapErr(op, ErrMalformed, "authenticator subkey", err)
		}
		if err := checkKeyType(op, "authenticator subkey", k); err != nil {
			return nil, false, err
		}
		key0 = k
	}
	var recvSeq uint64
	if auth.SeqNumber != nil {
		recvSeq = uint64(*auth.SeqNumber)
	}
	a.client, a.realm, a.ticket, a.sname, a.srealm = enc.CName, enc.CRealm, enc, tkt.SName, tkt.Realm

	if flags&FlagMutual == 0 {
		a.mu.Lock()
		a.establish(key0, false, recvSeq, recvSeq)
		a.mu.Unlock()
		a.done = true
		return nil, true, nil
	}
	// Mutual: answer with our own subkey (of the initiator's subkey type,
	// as MIT does) and sequence number.
	subkey, err := crypto.GenerateKey(key0.Type, a.cfg.Rand)
	if err != nil {
		return nil, false, &Error{Op: op, Reason: "generating the acceptor subkey", Err: err}
	}
	var sb [4]byte
	if _, err := io.ReadFull(a.cfg.Rand, sb[:]); err != nil {
		return nil, false, &Error{Op: op, Reason: "reading a sequence number", Err: err}
	}
	seq := binary.BigEndian.Uint32(sb[:]) & 0x3fffffff
	ek := msg.NewEncryptionKey(subkey)
	part := msg.EncAPRepPart{CTime: auth.CTime, CUSec: auth.CUSec, Subkey: &ek, SeqNumber: &seq}
	pb, err := part.Marshal()
	if err != nil {
		return nil, false, &Error{Op: op, Reason: "encoding the EncAPRepPart", Err: err}
	}
	sealed, err := msg.Seal(sessionKey, crypto.KeyUsageAPRepEncPart, pb, a.cfg.Rand)
	if err != nil {
		return nil, false, &Error{Op: op, Reason: "sealing the AP-REP", Err: err}
	}
	rep := msg.APRep{EncPart: sealed}
	rb, err := rep.Marshal()
	if err != nil {
		return nil, false, &Error{Op: op, Reason: "encoding the AP-REP", Err: err}
	}
	a.mu.Lock()
	a.establish(subkey, true, uint64(seq), recvSeq)
	a.mu.Unlock()
	a.done = true
	return FrameToken(TokIDAPRep, rb), true, nil
}

// checkBindings compares the initiator's Bnd with the expected bindings
// (RFC 4121 §4.1.1.2). A zero Bnd means the initiator sent none.
func (a *Acceptor) checkBindings(bnd [16]byte) error {
	const op = "accept"
	if a.cfg.ChannelBindings == nil {
		return nil
	}
	if bnd == ([16]byte{}) {
		return errorf(op, ErrChannelBinding, "the acceptor requires channel bindings and the initiator sent none")
	}
	want := bindingsHash(a.cfg.ChannelBindings)
	if !bytes.Equal(bnd[:], want[:]) {
		return errorf(op, ErrChannelBinding, "the initiator's channel bindings differ from this channel's (a TLS man in the middle, or a proxy terminating TLS)")
	}
	return nil
}

// ParseAPReqToken decodes an InitialContextToken holding an AP-REQ
// (TOK_ID 01 00).
func ParseAPReqToken(tok []byte) (*msg.APReq, error) {
	const op = "decode token"
	id, m, err := ParseFrame(tok)
	if err != nil {
		return nil, err
	}
	if id != TokIDAPReq {
		return nil, errorf(op, ErrMalformed, "TOK_ID %04x, want 0100 (AP-REQ)", id)
	}
	req, err := msg.ParseAPReq(m)
	if err != nil {
		return nil, wrapErr(op, ErrMalformed, "AP-REQ", err)
	}
	return req, nil
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }
