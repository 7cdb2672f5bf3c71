package gssapi

import (
	"encoding/binary"
	"io"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// InitiatorConfig is what an initiator needs: a service ticket and its
// session key (from internal/krb5/client or a credential cache), who the
// client is, the flags to request, and the clock and randomness.
type InitiatorConfig struct {
	// Ticket is the DER service ticket (RFC 4120 §5.3); required.
	Ticket []byte
	// SessionKey is the ticket's session key; required.
	SessionKey crypto.Key
	// Client and ClientRealm name the ticket's client; required.
	Client      msg.PrincipalName
	ClientRealm string
	// Flags are the services requested: FlagMutual, FlagReplay,
	// FlagSequence, FlagConf, FlagInteg. FlagDeleg is not supported and
	// is dropped.
	Flags Flags
	// ChannelBindings is the application data of the channel bindings,
	// such as [ChannelBindingsTLSServerEndPoint]; nil sends none (Bnd all
	// zero).
	ChannelBindings []byte
	// Now is the clock (time.Now in production); required.
	Now func() time.Time
	// Rand supplies the subkey, the sequence number and confounders
	// (crypto/rand.Reader in production); required.
	Rand io.Reader
}

// Initiator is the client side of a Kerberos V5 GSS-API context. Call
// [Initiator.Step] with nil, send the token; if it is not done, pass the
// peer's answer to Step again. Once done, the embedded [Context] wraps and
// unwraps messages.
type Initiator struct {
	Context
	cfg    InitiatorConfig
	state  int // 0 initial, 1 waiting for AP-REP, 2 done, 3 failed
	ctime  time.Time
	cusec  int32
	subkey crypto.Key
	seq    uint32
}

// NewInitiator checks cfg and returns an initiator ready for its first
// Step.
func NewInitiator(cfg InitiatorConfig) (*Initiator, error) {
	const op = "initiate"
	switch {
	case len(cfg.Ticket) == 0:
		return nil, errorf(op, ErrConfig, "InitiatorConfig.Ticket is required")
	case cfg.SessionKey.Bytes() == nil:
		return nil, errorf(op, ErrConfig, "InitiatorConfig.SessionKey is required")
	case len(cfg.Client.NameString) == 0 || cfg.ClientRealm == "":
		return nil, errorf(op, ErrConfig, "InitiatorConfig.Client and ClientRealm are required")
	case cfg.Now == nil || cfg.Rand == nil:
		return nil, errorf(op, ErrConfig, "InitiatorConfig.Now and Rand are required")
	}
	if err := checkKeyType(op, "session key", cfg.SessionKey); err != nil {
		return nil, err
	}
	cfg.Flags &= supportedFlags
	i := &Initiator{cfg: cfg}
	i.rand = cfg.Rand
	i.flags = cfg.Flags
	return i, nil
}

// Step advances the context. The first call (input nil) returns the
// InitialContextToken holding the AP-REQ; done is true then unless
// FlagMutual was requested, in which case the next call takes the
// acceptor's AP-REP token, verifies it and returns done with no output.
func (i *Initiator) Step(input []byte) (output []byte, done bool, err error) {
	output, done, err = i.step(input)
	if err != nil {
		i.state = 3 // failed: a context that saw an error is not resumed
	}
	return output, done, err
}

func (i *Initiator) step(input []byte) (output []byte, done bool, err error) {
	switch i.state {
	case 0:
		out, err := i.apReq()
		if err != nil {
			return nil, false, err
		}
		if i.cfg.Flags&FlagMutual == 0 {
			i.mu.Lock()
			// Without an AP-REP both sides start from the initiator's
			// number and key (RFC 4121 §4.1, RFC 1964 §1.2.1.2).
			i.establish(i.subkey, false, uint64(i.seq), uint64(i.seq))
			i.mu.Unlock()
			i.state = 2
			return out, true, nil
		}
		i.state = 1
		return out, false, nil
	case 1:
		if err := i.apRep(input); err != nil {
			return nil, false, err
		}
		i.state = 2
		return nil, true, nil
	}
	return nil, false, errorf("initiate", ErrState, "Step called after the context was established or failed")
}

func (i *Initiator) apReq() ([]byte, error) {
	const op = "initiate"
	tkt, err := msg.ParseTicket(i.cfg.Ticket)
	if err != nil {
		return nil, wrapErr(op, ErrMalformed, "decoding the ticket", err)
	}
	subkey, err := crypto.GenerateKey(i.cfg.SessionKey.Type, i.cfg.Rand)
	if err != nil {
		return nil, &Error{Op: op, Reason: "generating the subkey", Err: err}
	}
	var sb [4]byte
	if _, err := io.ReadFull(i.cfg.Rand, sb[:]); err != nil {
		return nil, &Error{Op: op, Reason: "reading a sequence number", Err: err}
	}
	// Below 2^30, as MIT does, so that no peer trips on a sign bit.
	i.seq = binary.BigEndian.Uint32(sb[:]) & 0x3fffffff
	now := i.cfg.Now()
	i.ctime = now.UTC().Truncate(time.Second)
	i.cusec = int32(now.Sub(i.ctime) / time.Microsecond)
	i.subkey = subkey
	ek := msg.NewEncryptionKey(subkey)
	seq := i.seq
	auth := msg.Authenticator{
		CRealm:    i.cfg.ClientRealm,
		CName:     i.cfg.Client,
		Cksum:     &msg.Checksum{Type: ChecksumTypeGSS, Value: authChecksum{Bnd: bindingsHash(i.cfg.ChannelBindings), Flags: i.cfg.Flags}.marshal()},
		CUSec:     i.cusec,
		CTime:     i.ctime,
		Subkey:    &ek,
		SeqNumber: &seq,
	}
	ab, err := auth.Marshal()
	if err != nil {
		return nil, &Error{Op: op, Reason: "encoding the authenticator", Err: err}
	}
	sealed, err := msg.Seal(i.cfg.SessionKey, crypto.KeyUsageAPReqAuthenticator, ab, i.cfg.Rand)
	if err != nil {
		return nil, &Error{Op: op, Reason: "sealing the authenticator", Err: err}
	}
	req := msg.APReq{Ticket: *tkt, Authenticator: sealed}
	if i.cfg.Flags&FlagMutual != 0 {
		req.APOptions |= msg.APOptionMutualRequired
	}
	rb, err := req.Marshal()
	if err != nil {
		return nil, &Error{Op: op, Reason: "encoding the AP-REQ", Err: err}
	}
	return FrameToken(TokIDAPReq, rb), nil
}

func (i *Initiator) apRep(input []byte) error {
	const op = "initiate"
	rep, err := ParseAPRepToken(input)
	if err != nil {
		return err
	}
	enc, err := rep.Decrypt(i.cfg.SessionKey)
	if err != nil {
		return wrapErr(op, ErrMutualFailed, "opening the AP-REP", err)
	}
	if !enc.CTime.Equal(i.ctime) || enc.CUSec != i.cusec {
		return errorf(op, ErrMutualFailed, "AP-REP does not echo the authenticator's ctime and cusec")
	}
	key, acceptorSubkey := i.subkey, false
	if enc.Subkey != nil {
		k, err := enc.Subkey.Key()
		if err != nil {
			return wrapErr(op, ErrMalformed, "acceptor subkey", err)
		}
		if err := checkKeyType(op, "acceptor subkey", k); err != nil {
			return err
		}
		key, acceptorSubkey = k, true
	}
	recv := uint64(i.seq)
	if enc.SeqNumber != nil {
		recv = uint64(*enc.SeqNumber)
	}
	i.mu.Lock()
	i.establish(key, acceptorSubkey, uint64(i.seq), recv)
	i.mu.Unlock()
	return nil
}

// ParseAPRepToken decodes the acceptor's answer: a framed AP-REP (TOK_ID
// 02 00). A framed KRB-ERROR (03 00) gives an error wrapping
// [ErrKRBError] and the error code.
func ParseAPRepToken(tok []byte) (*msg.APRep, error) {
	const op = "decode token"
	id, m, err := ParseFrame(tok)
	if err != nil {
		return nil, err
	}
	switch id {
	case TokIDAPRep:
	case TokIDKRBError:
		if e, err := msg.ParseKRBError(m); err == nil {
			return nil, errorf(op, ErrKRBError, "%v", e.ErrorCode)
		}
		return nil, errorf(op, ErrKRBError, "undecodable KRB-ERROR")
	default:
		return nil, errorf(op, ErrMalformed, "TOK_ID %04x, want 0200 (AP-REP)", id)
	}
	rep, err := msg.ParseAPRep(m)
	if err != nil {
		return nil, wrapErr(op, ErrMalformed, "AP-REP", err)
	}
	return rep, nil
}
