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

// TGSOptions are the options of a service ticket request.
type TGSOptions struct {
	// Lifetime asked for; when zero, the TGT's end time. The KDC caps it
	// at the TGT's end time anyway.
	Lifetime    time.Duration
	Forwardable bool
}

// ServiceTicket runs the TGS exchange, RFC 4120 §3.3: it presents tgt in a
// PA-TGS-REQ whose authenticator carries the keyed checksum (key usage 6)
// of the KDC-REQ-BODY as sent, and returns the ticket for spn
// ("HTTP/web.contoso.com", or an account name such as "node1$" for a
// user-to-user style service). spn must be in the TGT's realm: cross-realm
// referrals are not followed.
func (c *Client) ServiceTicket(ctx context.Context, tgt *Credentials, spn string, opts TGSOptions) (*Credentials, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	sname, srealm, err := ParseServiceName(spn)
	if err != nil {
		return nil, err
	}
	realm := tgt.ClientRealm
	if srealm != "" && !strings.EqualFold(srealm, realm) {
		return nil, fmt.Errorf("krb5 client: service %q is not in realm %s (cross-realm referrals are not supported)", spn, realm)
	}
	now := c.Now().Add(tgt.KDCOffset)
	till := tgt.EndTime
	if opts.Lifetime > 0 {
		till = now.Add(opts.Lifetime)
	}
	var kopts msg.KDCOptions
	if opts.Forwardable {
		kopts |= msg.KDCOptionForwardable
	}
	return c.tgs(ctx, opTGS, tgt, msg.KDCReqBody{
		KDCOptions: kopts,
		Realm:      realm,
		SName:      &sname,
		Till:       till.UTC().Truncate(time.Second),
		EType:      c.encTypes(),
	})
}

// Renew renews a renewable ticket (normally a TGT), RFC 4120 §3.3.1: a
// TGS-REQ with the RENEW option for the ticket's own server, presenting the
// ticket itself in the PA-TGS-REQ, as MIT's kinit -R does. The result has a
// new end time (at most RenewTill) and the same renew-till.
func (c *Client) Renew(ctx context.Context, tgt *Credentials) (*Credentials, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if tgt.Flags&msg.TicketFlagRenewable == 0 {
		return nil, fmt.Errorf("krb5 client: renewing %s: the ticket is not renewable: %w", tgt.ServerName(), ErrCannotRenew)
	}
	if !c.Now().Add(tgt.KDCOffset).Before(tgt.RenewTill) {
		return nil, fmt.Errorf("krb5 client: renewing %s: its renew-till has passed: %w", tgt.ServerName(), ErrCannotRenew)
	}
	sname := tgt.Server
	return c.tgs(ctx, opRenew, tgt, msg.KDCReqBody{
		KDCOptions: msg.KDCOptionRenew | msg.KDCOptionRenewable,
		Realm:      tgt.ServerRealm,
		SName:      &sname,
		Till:       tgt.RenewTill.UTC().Truncate(time.Second),
		RTime:      tgt.RenewTill.UTC().Truncate(time.Second),
		EType:      c.encTypes(),
	})
}

// tgs sends a TGS-REQ with body (nonce added) presenting tgt, and verifies
// and decrypts the reply (key usage 8: no subkey is sent).
func (c *Client) tgs(ctx context.Context, op string, tgt *Credentials, body msg.KDCReqBody) (*Credentials, error) {
	clientName := tgt.ClientName()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("krb5 client: %s for %s: "+format, append([]any{op, clientName}, args...)...)
	}
	ticket, err := msg.ParseTicket(tgt.Ticket)
	if err != nil {
		return nil, fail("the TGT: %w", err)
	}
	if body.Nonce, err = c.nonce(); err != nil {
		return nil, err
	}
	reqBody, err := body.Marshal()
	if err != nil {
		return nil, fail("encoding KDC-REQ-BODY: %w", err)
	}
	sum, err := crypto.Checksum(tgt.SessionKey, crypto.KeyUsageTGSReqAuthenticatorChecksum, reqBody)
	if err != nil {
		return nil, fail("checksum of KDC-REQ-BODY: %w", err)
	}
	now := c.Now().Add(tgt.KDCOffset).UTC()
	auth := msg.Authenticator{
		CRealm: tgt.ClientRealm,
		CName:  tgt.Client,
		Cksum:  &msg.Checksum{Type: tgt.SessionKey.Type.ChecksumType(), Value: sum},
		CUSec:  int32(now.Nanosecond() / 1000),
		CTime:  now.Truncate(time.Second),
	}
	authBytes, err := auth.Marshal()
	if err != nil {
		return nil, fail("encoding the authenticator: %w", err)
	}
	sealed, err := msg.Seal(tgt.SessionKey, crypto.KeyUsageTGSReqAuthenticator, authBytes, c.Rand)
	if err != nil {
		return nil, fail("sealing the authenticator: %w", err)
	}
	pa, err := msg.NewPATGSReq(&msg.APReq{Ticket: *ticket, Authenticator: sealed})
	if err != nil {
		return nil, fail("PA-TGS-REQ: %w", err)
	}
	req := msg.KDCReq{MsgType: msg.MsgTypeTGSReq, PAData: msg.MethodData{pa}, ReqBody: body}
	b, err := req.Marshal()
	if err != nil {
		return nil, fail("encoding TGS-REQ: %w", err)
	}
	rep, kerr, err := c.roundTrip(ctx, tgt.ClientRealm, b, "TGS-REQ")
	if err != nil {
		return nil, err
	}
	if kerr != nil {
		offset := tgt.KDCOffset
		if !kerr.STime.IsZero() {
			offset = kdcTime(kerr).Sub(c.Now())
		}
		return nil, newKDCError(op, clientName, kerr, offset, body.EType)
	}
	if rep.MsgType != msg.MsgTypeTGSRep {
		return nil, fail("the reply is a %s: %w", rep.MsgType, ErrBadReply)
	}
	enc, err := rep.Decrypt(tgt.SessionKey, crypto.KeyUsageTGSRepEncPartSessionKey)
	if err != nil {
		if errors.Is(err, crypto.ErrIntegrity) {
			return nil, fail("cannot decrypt the TGS-REP: %w", ErrBadReply)
		}
		return nil, fail("TGS-REP enc-part: %w", err)
	}
	if err := verifyRep(rep, enc, body.Nonce, tgt.Client, tgt.ClientRealm, *body.SName, body.Realm); err != nil {
		return nil, fail("%w", err)
	}
	return newCredentials(rep, enc, tgt.KDCOffset)
}
