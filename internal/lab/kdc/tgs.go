package kdc

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
)

// tgs runs the TGS exchange, RFC 4120 §3.3: it checks the TGT and the
// authenticator of the PA-TGS-REQ, then issues a ticket for the requested
// service (or, with RENEW, a fresh copy of the TGT) carrying the TGT's PAC,
// re-signed.
func (k *KDC) tgs(ctx context.Context, r *msg.KDCReq, now time.Time) ([]byte, logInfo, error) {
	body := &r.ReqBody
	info := logInfo{op: "TGS"}
	if body.KDCOptions&msg.KDCOptionRenew != 0 {
		info.op = "renewal"
	}
	if body.SName != nil {
		info.server = body.SName.WithRealm(body.Realm)
	}
	krbtgt, err := k.krbtgt(ctx)
	if err != nil {
		return nil, info, err
	}
	tgt, tgtKey, auth, err := k.checkTGT(r, krbtgt, now)
	if err != nil {
		return nil, info, err
	}
	info.client = tgt.CName.WithRealm(tgt.CRealm)

	if body.KDCOptions&(msg.KDCOptionEncTktInSkey|msg.KDCOptionValidate|msg.KDCOptionPostdated|msg.KDCOptionForwarded|msg.KDCOptionProxy|msg.KDCOptionCNameInAddlTkt) != 0 {
		return nil, info, refuse(msg.KDCErrBadOption, "KDC options %v are not supported", body.KDCOptions)
	}
	if body.SName == nil || len(body.SName.NameString) == 0 {
		return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "TGS-REQ without sname")
	}
	if !strings.EqualFold(body.Realm, k.Realm) {
		// No cross-realm referrals.
		return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "realm %q is not %q", body.Realm, k.Realm)
	}

	// The PAC comes from the TGT and is re-signed for the new ticket. In a
	// TGT both signatures are made with the krbtgt key: the server
	// signature covers the PAC's content, the KDC signature only the
	// server signature, so both are checked.
	raw, err := tgt.AuthorizationData.PAC()
	if err != nil || raw == nil {
		return nil, info, refuse(msg.KDCErrBadOption, "the TGT of %s carries no PAC", info.client)
	}
	if err := pac.Verify(raw, tgtKey.Key); err != nil {
		return nil, info, refuse(msg.APErrModified, "the PAC of %s's TGT does not verify: %v", info.client, err)
	}
	if err := pac.VerifyKDC(raw, tgtKey.Key); err != nil {
		return nil, info, refuse(msg.APErrModified, "the PAC of %s's TGT does not verify: %v", info.client, err)
	}
	p, err := pac.Parse(raw)
	if err != nil {
		return nil, info, refuse(msg.APErrModified, "the PAC of %s's TGT does not parse: %v", info.client, err)
	}

	t := ticketSpec{cname: tgt.CName, authtime: tgt.AuthTime, caddr: tgt.CAddr}
	if body.KDCOptions&msg.KDCOptionRenew != 0 {
		// RFC 4120 §3.3.3.1: the same ticket with new times, for the
		// server it names.
		if tgt.Flags&msg.TicketFlagRenewable == 0 {
			return nil, info, refuse(msg.KDCErrBadOption, "the ticket of %s is not renewable", info.client)
		}
		if !now.Before(tgt.RenewTill) {
			return nil, info, refuse(msg.KDCErrBadOption, "the ticket of %s was renewable until %v", info.client, tgt.RenewTill)
		}
		if !isTGS(*body.SName, k.Realm) {
			return nil, info, refuse(msg.KDCErrBadOption, "renewal of a ticket for %v, only TGTs are presented here", body.SName)
		}
		start := tgt.StartTime
		if start.IsZero() {
			start = tgt.AuthTime
		}
		t.sname = *body.SName
		t.service = krbtgt
		t.flags = tgt.Flags &^ msg.TicketFlagInitial
		t.start = now
		t.end = now.Add(tgt.EndTime.Sub(start))
		if t.end.After(tgt.RenewTill) {
			t.end = tgt.RenewTill
		}
		t.renewTill = tgt.RenewTill
	} else {
		service, err := k.Backend.Service(ctx, *body.SName, k.Realm)
		if errors.Is(err, ErrUnknown) {
			return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "no account has the name %q", body.SName)
		} else if err != nil {
			return nil, info, err
		}
		if !service.IsService {
			return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "account %q is not a service", service.SAMAccountName)
		}
		t.sname = *body.SName
		t.service = service
		t.flags = tgt.Flags & msg.TicketFlagPreAuthent
		if body.KDCOptions&msg.KDCOptionForwardable != 0 && tgt.Flags&msg.TicketFlagForwardable != 0 {
			t.flags |= msg.TicketFlagForwardable
		}
		mayRenew := tgt.Flags&msg.TicketFlagRenewable != 0
		if err := k.setTimes(&t, body, now, tgt.EndTime, tgt.RenewTill, mayRenew); err != nil {
			return nil, info, err
		}
	}

	ticket, enc, err := k.issue(&t, body, p, krbtgt, now)
	if err != nil {
		return nil, info, err
	}
	info.etype = enc.Key.Type
	enc.MsgType = msg.MsgTypeEncTGSRepPart
	plain, err := enc.Marshal()
	if err != nil {
		return nil, info, err
	}
	// RFC 4120 §5.4.2: sealed in the authenticator's subkey when there
	// is one (usage 9), else in the TGT's session key (usage 8).
	replyKey, usage := tgt.Key, uint32(crypto.KeyUsageTGSRepEncPartSessionKey)
	if auth.Subkey != nil {
		replyKey, usage = *auth.Subkey, crypto.KeyUsageTGSRepEncPartSubkey
	}
	rk, err := replyKey.Key()
	if err != nil {
		return nil, info, refuse(msg.KDCErrETypeNoSupp, "reply key: %v", err)
	}
	sealed, err := msg.Seal(crypto.AllowRC4(rk), usage, plain, k.rand())
	if err != nil {
		return nil, info, err
	}
	rep := &msg.KDCRep{
		MsgType: msg.MsgTypeTGSRep,
		CRealm:  tgt.CRealm,
		CName:   tgt.CName,
		Ticket:  ticket,
		EncPart: sealed,
	}
	out, err := rep.Marshal()
	return out, info, err
}

// checkTGT verifies the PA-TGS-REQ of r (RFC 4120 §3.3.2, §3.2.3): a TGT of
// this realm sealed in a krbtgt key, an authenticator sealed in its session
// key (usage 7) by the ticket's client within the skew, and the
// authenticator's checksum over the req-body as received (usage 6). It
// returns the ticket's content, the krbtgt key that opened it and the
// authenticator.
func (k *KDC) checkTGT(r *msg.KDCReq, krbtgt *Principal, now time.Time) (*msg.EncTicketPart, Key, *msg.Authenticator, error) {
	pd, ok := r.PAData.Find(msg.PATypeTGSReq)
	if !ok {
		return nil, Key{}, nil, refuse(msg.KDCErrPADataTypeNoSupp, "TGS-REQ without PA-TGS-REQ")
	}
	ap, err := msg.ParseAPReq(pd.Value)
	if err != nil {
		return nil, Key{}, nil, refuse(msg.KRBErrGeneric, "malformed PA-TGS-REQ: %v", err)
	}
	if !isTGS(ap.Ticket.SName, k.Realm) {
		return nil, Key{}, nil, refuse(msg.APErrNotUs, "the PA-TGS-REQ ticket is for %v, not krbtgt/%s", ap.Ticket.SName, k.Realm)
	}
	var (
		tgt    *msg.EncTicketPart
		tgtKey Key
	)
	for _, key := range krbtgt.keysOf(ap.Ticket.EncPart.EType) {
		if kv := ap.Ticket.EncPart.KVNO; kv != nil && *kv != key.Kvno {
			continue
		}
		if tgt, err = ap.Ticket.Decrypt(key.Key); err == nil {
			tgtKey = key
			break
		}
	}
	if tgt == nil {
		return nil, Key{}, nil, refuse(msg.APErrBadIntegrity, "no krbtgt key opens the TGT (%v)", ap.Ticket.EncPart.EType)
	}
	session, err := tgt.Key.Key()
	if err != nil {
		return nil, Key{}, nil, refuse(msg.KDCErrETypeNoSupp, "TGT session key: %v", err)
	}
	session = crypto.AllowRC4(session)
	auth, err := ap.DecryptAuthenticator(session, crypto.KeyUsageTGSReqAuthenticator)
	if err != nil {
		return nil, Key{}, nil, refuse(msg.APErrBadIntegrity, "authenticator: %v", err)
	}
	if !auth.CName.EqualFold(tgt.CName) || auth.CRealm != tgt.CRealm {
		return nil, Key{}, nil, refuse(msg.APErrBadMatch, "authenticator names %v, the TGT %v", auth.CName.WithRealm(auth.CRealm), tgt.CName.WithRealm(tgt.CRealm))
	}
	if d := auth.CTime.Sub(now); d > k.maxSkew() || d < -k.maxSkew() {
		return nil, Key{}, nil, refuse(msg.APErrSkew, "authenticator time %v is %v from the KDC's clock", auth.CTime, d.Round(time.Second))
	}
	if auth.Cksum == nil {
		return nil, Key{}, nil, refuse(msg.APErrInappCksum, "authenticator without a checksum of the req-body")
	}
	if auth.Cksum.Type != session.Type.ChecksumType() {
		return nil, Key{}, nil, refuse(msg.APErrInappCksum, "req-body checksum type %v, want %v", auth.Cksum.Type, session.Type.ChecksumType())
	}
	if err := crypto.VerifyChecksum(session, crypto.KeyUsageTGSReqAuthenticatorChecksum, r.RawReqBody, auth.Cksum.Value); err != nil {
		return nil, Key{}, nil, refuse(msg.APErrModified, "req-body checksum: %v", err)
	}
	start := tgt.StartTime
	if start.IsZero() {
		start = tgt.AuthTime
	}
	if start.Sub(now) > k.maxSkew() {
		return nil, Key{}, nil, refuse(msg.APErrTktNYV, "the TGT starts at %v", start)
	}
	if !now.Before(tgt.EndTime) {
		return nil, Key{}, nil, refuse(msg.APErrTktExpired, "the TGT of %v expired at %v", tgt.CName.WithRealm(tgt.CRealm), tgt.EndTime)
	}
	return tgt, tgtKey, auth, nil
}
