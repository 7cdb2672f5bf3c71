package spnego

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
)

// Errors of the negotiation, for errors.Is.
var (
	// ErrNoCommonMech means the initiator offered no Kerberos mechanism,
	// or the acceptor chose another.
	ErrNoCommonMech = errors.New("spnego: no common mechanism (Kerberos not offered)")
	// ErrRejected means the peer answered negState reject.
	ErrRejected = errors.New("spnego: peer rejected the negotiation")
	// ErrState means Step was called after the negotiation ended, or a
	// token arrived that the state does not allow.
	ErrState = errors.New("spnego: unexpected token for the negotiation state")
	// ErrMechListMIC means the mechListMIC that protects the mechanism
	// list from a downgrade is missing or wrong.
	ErrMechListMIC = errors.New("spnego: mechListMIC missing or invalid")
)

// offered is the mechanism list this package's initiator sends: Kerberos
// V5 with the standard OID first, then Microsoft's.
var offered = []asn1.ObjectIdentifier{OIDKerberos, OIDMSKerberos}

// Initiator negotiates Kerberos V5 inside SPNEGO over a
// [gssapi.Initiator]. Step returns the tokens to send; once done, use
// [Initiator.Kerberos] for per-message tokens.
type Initiator struct {
	krb       *gssapi.Initiator
	state     int // 0 start, 1 sent NegTokenInit, 2 done
	mechTypes []byte
	krbDone   bool
}

// NewInitiator wraps a fresh Kerberos initiator.
func NewInitiator(krb *gssapi.Initiator) *Initiator { return &Initiator{krb: krb} }

// Kerberos returns the underlying context.
func (i *Initiator) Kerberos() *gssapi.Initiator { return i.krb }

// Step advances the negotiation: nil first, giving the NegTokenInit with
// the optimistic Kerberos AP-REQ; then each NegTokenResp the acceptor
// sends. done is true once the acceptor has said accept-completed and the
// Kerberos context is established; output, if not nil, must still be sent.
func (i *Initiator) Step(input []byte) (output []byte, done bool, err error) {
	switch i.state {
	case 0:
		tok, kdone, err := i.krb.Step(nil)
		if err != nil {
			return nil, false, err
		}
		i.krbDone = kdone
		init := NegTokenInit{MechTypes: offered, MechToken: tok}
		i.mechTypes = init.MechTypesDER()
		out, err := init.Marshal()
		if err != nil {
			return nil, false, err
		}
		i.state = 1
		return out, false, nil
	case 1:
		resp, err := ParseNegTokenResp(input)
		if err != nil {
			return nil, false, err
		}
		switch {
		case resp.NegState == NegStateReject:
			return nil, false, ErrRejected
		case resp.SupportedMech != nil && !isKerberos(resp.SupportedMech):
			return nil, false, fmt.Errorf("%w: acceptor chose %v", ErrNoCommonMech, resp.SupportedMech)
		}
		if resp.ResponseToken != nil {
			if i.krbDone {
				return nil, false, fmt.Errorf("%w: mechanism token after the Kerberos context completed", ErrState)
			}
			if _, i.krbDone, err = i.krb.Step(resp.ResponseToken); err != nil {
				return nil, false, err
			}
		}
		if !i.krbDone {
			return nil, false, fmt.Errorf("%w: %v without the AP-REP that mutual authentication needs", ErrState, resp.NegState)
		}
		if resp.MechListMIC != nil {
			if err := i.krb.VerifyMIC(i.mechTypes, resp.MechListMIC); err != nil {
				return nil, false, fmt.Errorf("%w: %w", ErrMechListMIC, err)
			}
		}
		switch resp.NegState {
		case NegStateAcceptCompleted, NegStateAbsent:
			i.state = 2
			return nil, true, nil
		case NegStateRequestMIC, NegStateAcceptIncomplete:
			// The acceptor wants our MIC over the mechanism list.
			mic, err := i.krb.MIC(i.mechTypes)
			if err != nil {
				return nil, false, err
			}
			out, err := (&NegTokenResp{NegState: NegStateAbsent, MechListMIC: mic}).Marshal()
			if err != nil {
				return nil, false, err
			}
			i.state = 2
			return out, true, nil
		}
	}
	return nil, false, ErrState
}

// Acceptor answers SPNEGO over a [gssapi.Acceptor]. It selects Kerberos
// when the initiator offers it (either OID); the optimistic token is used
// when Kerberos is the initiator's first choice, and otherwise the
// initiator is asked for a Kerberos token and, since its first choice was
// not taken, both sides must exchange mechListMICs (RFC 4178 §5).
type Acceptor struct {
	krb       *gssapi.Acceptor
	state     int // 0 start, 1 waiting for the Kerberos token, 2 waiting for the MIC, 3 done
	mech      asn1.ObjectIdentifier
	mechTypes []byte
	micReqd   bool
}

// NewAcceptor wraps a fresh Kerberos acceptor.
func NewAcceptor(krb *gssapi.Acceptor) *Acceptor { return &Acceptor{krb: krb} }

// Kerberos returns the underlying context: Client, PAC, Wrap, Unwrap.
func (a *Acceptor) Kerberos() *gssapi.Acceptor { return a.krb }

// Step takes the initiator's token. A raw Kerberos InitialContextToken
// (some clients send it without SPNEGO) is accepted too, and answered in
// kind. On error, output may hold a NegTokenResp reject to send back.
func (a *Acceptor) Step(input []byte) (output []byte, done bool, err error) {
	switch a.state {
	case 0:
		if id, _, err := gssapi.ParseFrame(input); err == nil && id == gssapi.TokIDAPReq {
			out, done, err := a.krb.Step(input)
			if err == nil {
				a.state = 3
			}
			return out, done, err
		}
		init, err := ParseNegTokenInit(input)
		if err != nil {
			return nil, false, err
		}
		a.mechTypes = init.MechTypesDER()
		idx := -1
		for n, m := range init.MechTypes {
			if isKerberos(m) {
				idx = n
				break
			}
		}
		if idx < 0 {
			return reject(), false, ErrNoCommonMech
		}
		a.mech = init.MechTypes[idx]
		a.micReqd = idx != 0 || init.MechListMIC != nil
		if idx != 0 || init.MechToken == nil {
			a.state = 1
			out, err := (&NegTokenResp{NegState: NegStateAcceptIncomplete, SupportedMech: a.mech}).Marshal()
			return out, false, err
		}
		return a.mechStep(init.MechToken, init.MechListMIC, a.mech)
	case 1:
		resp, err := ParseNegTokenResp(input)
		if err != nil {
			return nil, false, err
		}
		if resp.ResponseToken == nil {
			return reject(), false, fmt.Errorf("%w: no Kerberos token", ErrState)
		}
		return a.mechStep(resp.ResponseToken, resp.MechListMIC, nil)
	case 2:
		resp, err := ParseNegTokenResp(input)
		if err != nil {
			return nil, false, err
		}
		if resp.MechListMIC == nil {
			return reject(), false, ErrMechListMIC
		}
		if err := a.krb.VerifyMIC(a.mechTypes, resp.MechListMIC); err != nil {
			return reject(), false, fmt.Errorf("%w: %w", ErrMechListMIC, err)
		}
		a.state = 3
		out, err := (&NegTokenResp{NegState: NegStateAcceptCompleted}).Marshal()
		return out, true, err
	}
	return nil, false, ErrState
}

// mechStep runs the Kerberos acceptor on tok and builds the answer.
func (a *Acceptor) mechStep(tok, peerMIC []byte, supported asn1.ObjectIdentifier) ([]byte, bool, error) {
	rep, _, err := a.krb.Step(tok)
	if err != nil {
		return reject(), false, err
	}
	resp := NegTokenResp{NegState: NegStateAcceptCompleted, SupportedMech: supported, ResponseToken: rep}
	if a.micReqd {
		if peerMIC != nil {
			if err := a.krb.VerifyMIC(a.mechTypes, peerMIC); err != nil {
				return reject(), false, fmt.Errorf("%w: %w", ErrMechListMIC, err)
			}
		}
		mic, err := a.krb.MIC(a.mechTypes)
		if err != nil {
			return reject(), false, err
		}
		resp.MechListMIC = mic
		if peerMIC == nil {
			resp.NegState = NegStateAcceptIncomplete
			a.state = 2
			out, err := resp.Marshal()
			return out, false, err
		}
	}
	a.state = 3
	out, err := resp.Marshal()
	return out, true, err
}

func reject() []byte {
	out, _ := (&NegTokenResp{NegState: NegStateReject}).Marshal()
	return out
}
