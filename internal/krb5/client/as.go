package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// DefaultLifetime is the ticket lifetime asked for when LoginRequest and
// TGSOptions leave it zero; the KDC caps it (MIT's and AD's default 10 h).
const DefaultLifetime = 10 * time.Hour

// LoginRequest says who logs in, with which keys, for which ticket.
type LoginRequest struct {
	// Principal is the client, "name@REALM" ("webapp01$@CONTOSO.COM"), or
	// "name" with Realm set. Ignored when Name is set.
	Principal string
	// Name and Realm are the client already parsed; Realm also supplies
	// the realm of a Principal that has none.
	Name  msg.PrincipalName
	Realm string
	// Keys gives the client's long-term keys; required.
	Keys KeySource
	// Service is the server asked for, "krbtgt/REALM" by default.
	Service string
	// Lifetime asked for (DefaultLifetime when zero); the KDC may cap it.
	Lifetime time.Duration
	// RenewLifetime, if not zero, asks for a renewable ticket renewable
	// until now + RenewLifetime (kinit -r).
	RenewLifetime time.Duration
	Forwardable   bool
	// NoPAC sends PA-PAC-REQUEST include-pac false; by default the client
	// asks for a PAC.
	NoPAC bool
}

// Login runs the AS exchange, RFC 4120 §3.1: a request without
// pre-authentication, then — on KDC_ERR_PREAUTH_REQUIRED — one with
// PA-ENC-TIMESTAMP in the key the KDC's PA-ETYPE-INFO2 calls for (retried
// once with the KDC's clock on KRB_AP_ERR_SKEW). It verifies the reply's
// nonce and names and returns the ticket (a TGT by default).
func (c *Client) Login(ctx context.Context, req LoginRequest) (*Credentials, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if req.Keys == nil {
		return nil, errors.New("krb5 client: LoginRequest.Keys is required")
	}
	cname, realm, err := req.client()
	if err != nil {
		return nil, err
	}
	sname := msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", realm}}
	if req.Service != "" {
		var srealm string
		if sname, srealm, err = ParseServiceName(req.Service); err != nil {
			return nil, err
		}
		if srealm != "" && !strings.EqualFold(srealm, realm) {
			return nil, fmt.Errorf("krb5 client: service %q is not in the client's realm %s (cross-realm is not supported)", req.Service, realm)
		}
	}
	clientName := cname.WithRealm(realm)
	offered := c.encTypes()

	nonce, err := c.nonce()
	if err != nil {
		return nil, err
	}
	now := c.Now()
	lifetime := req.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	body := msg.KDCReqBody{
		CName: &cname,
		Realm: realm,
		SName: &sname,
		Till:  now.Add(lifetime).UTC().Truncate(time.Second),
		Nonce: nonce,
		EType: offered,
	}
	if req.Forwardable {
		body.KDCOptions |= msg.KDCOptionForwardable
	}
	if req.RenewLifetime > 0 {
		body.KDCOptions |= msg.KDCOptionRenewable
		body.RTime = now.Add(req.RenewLifetime).UTC().Truncate(time.Second)
	}
	pacReq := msg.NewPAPACRequest(!req.NoPAC)

	var (
		offset     time.Duration // KDC clock minus ours
		haveOffset bool
		info       msg.ETypeInfo2 // from PREAUTH_REQUIRED
		key        crypto.Key     // the key pre-authentication used
		sentTS     bool
		skewRetry  bool
		padata     = msg.MethodData{pacReq}
	)
	for round := 0; ; round++ {
		if round > 3 {
			return nil, fmt.Errorf("krb5 client: AS exchange for %s: the KDC keeps asking for pre-authentication: %w", clientName, ErrBadReply)
		}
		asReq := msg.KDCReq{MsgType: msg.MsgTypeASReq, PAData: padata, ReqBody: body}
		b, err := asReq.Marshal()
		if err != nil {
			return nil, fmt.Errorf("krb5 client: encoding AS-REQ for %s: %w", clientName, err)
		}
		rep, kerr, err := c.roundTrip(ctx, realm, b, "AS-REQ")
		if err != nil {
			return nil, err
		}
		if kerr != nil {
			if !kerr.STime.IsZero() {
				offset, haveOffset = kdcTime(kerr).Sub(c.Now()), true
			}
			switch {
			case kerr.ErrorCode == msg.KDCErrPreauthRequired && !sentTS:
				if pa, ok := kerr.MethodData.Find(msg.PATypeETypeInfo2); ok {
					if info, err = msg.ParseETypeInfo2(pa.Value); err != nil {
						return nil, fmt.Errorf("krb5 client: AS exchange for %s: PA-ETYPE-INFO2: %w", clientName, err)
					}
				}
				if key, err = chooseKey(req.Keys, cname, realm, offered, info); err != nil {
					if nc, ok := err.(*NoCommonEncTypeError); ok {
						nc.Client = clientName
					}
					return nil, err
				}
			case kerr.ErrorCode == msg.APErrSkew && sentTS && !skewRetry && haveOffset:
				skewRetry = true
			default:
				return nil, newKDCError(opAS, clientName, kerr, offset, offered)
			}
			ts := c.Now()
			if skewRetry {
				ts = ts.Add(offset)
			}
			ts = ts.UTC()
			usec := int32(ts.Nanosecond() / 1000)
			pa, err := msg.NewPAEncTimestamp(key, msg.PAEncTSEnc{PATimestamp: ts.Truncate(time.Second), PAUSec: &usec}, c.Rand)
			if err != nil {
				return nil, fmt.Errorf("krb5 client: AS exchange for %s: making PA-ENC-TIMESTAMP: %w", clientName, err)
			}
			padata, sentTS = msg.MethodData{pa, pacReq}, true
			continue
		}

		// An AS-REP. Without pre-authentication the key is still to be
		// chosen, by the enc-part's type and the reply's ETYPE-INFO2.
		if rep.MsgType != msg.MsgTypeASRep {
			return nil, fmt.Errorf("krb5 client: AS exchange for %s: the reply is a %s: %w", clientName, rep.MsgType, ErrBadReply)
		}
		if !sentTS || key.Type != rep.EncPart.EType {
			if pa, ok := rep.PAData.Find(msg.PATypeETypeInfo2); ok {
				if ri, err := msg.ParseETypeInfo2(pa.Value); err == nil {
					info = ri
				}
			}
			if key, err = chooseKey(req.Keys, cname, realm, []crypto.EncType{rep.EncPart.EType}, infoFor(info, rep.EncPart.EType)); err != nil {
				if nc, ok := err.(*NoCommonEncTypeError); ok {
					nc.Client = clientName
				}
				return nil, err
			}
		}
		enc, err := rep.Decrypt(key, crypto.KeyUsageASRepEncPart)
		if err != nil {
			if errors.Is(err, crypto.ErrIntegrity) {
				return nil, fmt.Errorf("krb5 client: AS exchange for %s: cannot decrypt the AS-REP (wrong key or salt): %w", clientName, ErrPreauthFailed)
			}
			return nil, fmt.Errorf("krb5 client: AS exchange for %s: AS-REP enc-part: %w", clientName, err)
		}
		if err := verifyRep(rep, enc, nonce, cname, realm, sname, realm); err != nil {
			return nil, fmt.Errorf("krb5 client: AS exchange for %s: %w", clientName, err)
		}
		if !haveOffset {
			// Only the authtime, to the second: ignore a difference that
			// the truncation alone explains.
			if d := enc.AuthTime.Sub(c.Now()); d > time.Second || d < -time.Second {
				offset = d
			}
		}
		return newCredentials(rep, enc, offset)
	}
}

func (req *LoginRequest) client() (msg.PrincipalName, string, error) {
	if len(req.Name.NameString) > 0 {
		if req.Realm == "" {
			return msg.PrincipalName{}, "", errors.New("krb5 client: LoginRequest.Realm is required with Name")
		}
		return req.Name, req.Realm, nil
	}
	name, realm, err := msg.ParsePrincipal(req.Principal)
	if err != nil {
		return msg.PrincipalName{}, "", fmt.Errorf("krb5 client: principal %q: %w", req.Principal, err)
	}
	if realm == "" {
		realm = req.Realm
	}
	if realm == "" {
		return msg.PrincipalName{}, "", fmt.Errorf("krb5 client: principal %q has no realm and LoginRequest.Realm is empty", req.Principal)
	}
	return name, realm, nil
}

// chooseKey picks the client's key: the first encryption type of the KDC's
// ETYPE-INFO2 (its order of preference) that the client offers and the
// KeySource holds, or — when the KDC sent no ETYPE-INFO2 — the first offered
// type the KeySource holds, with the default salt.
func chooseKey(src KeySource, cname msg.PrincipalName, realm string, offered []crypto.EncType, info msg.ETypeInfo2) (crypto.Key, error) {
	req := KeyRequest{Client: cname, Realm: realm}
	try := func(e crypto.EncType, salt *string, params []byte) (crypto.Key, bool, error) {
		req.EncType, req.Salt, req.S2KParams = e, salt, params
		k, err := src.Key(req)
		if errors.Is(err, ErrNoKey) {
			return crypto.Key{}, false, nil
		}
		if err != nil {
			return crypto.Key{}, false, fmt.Errorf("krb5 client: %s key for %s: %w", e, cname.WithRealm(realm), err)
		}
		return k, true, nil
	}
	if len(info) == 0 {
		for _, e := range offered {
			if k, ok, err := try(e, nil, nil); err != nil || ok {
				return k, err
			}
		}
		return crypto.Key{}, &NoCommonEncTypeError{Offered: offered, KDC: offered}
	}
	var kdc []crypto.EncType
	for _, ent := range info {
		kdc = append(kdc, ent.EType)
		if !containsEncType(offered, ent.EType) {
			continue
		}
		if k, ok, err := try(ent.EType, ent.Salt, ent.S2KParams); err != nil || ok {
			return k, err
		}
	}
	return crypto.Key{}, &NoCommonEncTypeError{Offered: offered, KDC: kdc}
}

// infoFor returns the ETYPE-INFO2 entries for e alone.
func infoFor(info msg.ETypeInfo2, e crypto.EncType) msg.ETypeInfo2 {
	var out msg.ETypeInfo2
	for _, ent := range info {
		if ent.EType == e {
			out = append(out, ent)
		}
	}
	return out
}

func containsEncType(list []crypto.EncType, e crypto.EncType) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

// verifyRep checks a KDC reply against its request, RFC 4120 §3.1.5: the
// nonce, the client name and realm, and the server name and realm in the
// enc-part and the ticket. Names compare case-insensitively: Active
// Directory echoes them as it stores them.
func verifyRep(rep *msg.KDCRep, enc *msg.EncKDCRepPart, nonce uint32, cname msg.PrincipalName, crealm string, sname msg.PrincipalName, srealm string) error {
	switch {
	case enc.Nonce != nonce:
		return fmt.Errorf("the reply's nonce differs from the request's: %w", ErrBadReply)
	case !rep.CName.EqualFold(cname) || !strings.EqualFold(rep.CRealm, crealm):
		return fmt.Errorf("the reply is for client %s, not %s: %w", rep.CName.WithRealm(rep.CRealm), cname.WithRealm(crealm), ErrBadReply)
	case !enc.SName.EqualFold(sname) || !strings.EqualFold(enc.SRealm, srealm):
		return fmt.Errorf("the reply is for server %s, not %s: %w", enc.SName.WithRealm(enc.SRealm), sname.WithRealm(srealm), ErrBadReply)
	case !rep.Ticket.SName.EqualFold(sname) || !strings.EqualFold(rep.Ticket.Realm, srealm):
		return fmt.Errorf("the ticket is for server %s, not %s: %w", rep.Ticket.SName.WithRealm(rep.Ticket.Realm), sname.WithRealm(srealm), ErrBadReply)
	}
	return nil
}

func newCredentials(rep *msg.KDCRep, enc *msg.EncKDCRepPart, offset time.Duration) (*Credentials, error) {
	tkt, err := rep.Ticket.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krb5 client: re-encoding the ticket: %w", err)
	}
	key, err := enc.Key.Key()
	if err != nil {
		return nil, fmt.Errorf("krb5 client: the reply's session key: %w", err)
	}
	if key.Type == crypto.RC4HMAC {
		// The KDC chose rc4-hmac among the types the caller offered.
		key = crypto.AllowRC4(key)
	}
	return &Credentials{
		Client:      rep.CName,
		ClientRealm: rep.CRealm,
		Server:      enc.SName,
		ServerRealm: enc.SRealm,
		Ticket:      tkt,
		SessionKey:  key,
		AuthTime:    enc.AuthTime,
		StartTime:   enc.StartTime,
		EndTime:     enc.EndTime,
		RenewTill:   enc.RenewTill,
		Flags:       enc.Flags,
		KDCOffset:   offset,
	}, nil
}

// ParseServiceName reads a service principal: "HTTP/web.contoso.com" (name
// type NT-SRV-INST), "krbtgt/REALM", or a one-component name such as
// "node1$" (NT-PRINCIPAL), optionally followed by "@REALM", which is
// returned ("" when absent).
func ParseServiceName(spn string) (msg.PrincipalName, string, error) {
	name, realm, err := msg.ParsePrincipal(spn)
	if err != nil {
		return msg.PrincipalName{}, "", fmt.Errorf("krb5 client: service principal %q: %w", spn, err)
	}
	if len(name.NameString) > 1 {
		name.NameType = msg.NameTypeSrvInst
	} else {
		name.NameType = msg.NameTypePrincipal
	}
	return name, realm, nil
}
