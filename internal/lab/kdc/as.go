package kdc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// as runs the AS exchange, RFC 4120 §3.1.2: pre-authentication by
// encrypted timestamp, then a ticket for the requested server (normally
// krbtgt/REALM) sealed in the key that opened the timestamp.
func (k *KDC) as(ctx context.Context, r *msg.KDCReq, now time.Time) ([]byte, logInfo, error) {
	body := &r.ReqBody
	info := logInfo{op: "AS"}
	if body.CName == nil || len(body.CName.NameString) == 0 {
		return nil, info, refuse(msg.KDCErrCPrincipalUnknown, "AS-REQ without cname")
	}
	if body.SName == nil || len(body.SName.NameString) == 0 {
		return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "AS-REQ without sname")
	}
	info.client = body.CName.WithRealm(body.Realm)
	info.server = body.SName.WithRealm(body.Realm)
	if !strings.EqualFold(body.Realm, k.Realm) {
		// No referrals: a realm this KDC does not serve has no such client.
		return nil, info, refuse(msg.KDCErrCPrincipalUnknown, "realm %q is not %q", body.Realm, k.Realm)
	}

	client, err := k.Backend.Client(ctx, *body.CName, k.Realm)
	if errors.Is(err, ErrUnknown) {
		return nil, info, refuse(msg.KDCErrCPrincipalUnknown, "no account is named %q", body.CName)
	} else if err != nil {
		return nil, info, err
	}
	switch {
	case client.Disabled:
		return nil, info, revoked(statusAccountDisabled, "account %q is disabled", client.SAMAccountName)
	case client.LockedOut:
		return nil, info, revoked(statusAccountLockedOut, "account %q is locked out", client.SAMAccountName)
	case client.Expired || !client.AccountExpires.IsZero() && !now.Before(client.AccountExpires):
		return nil, info, revoked(statusAccountExpired, "account %q has expired", client.SAMAccountName)
	}

	// The encryption types both sides have, in the client's order.
	var common []crypto.EncType
	for _, e := range body.EType {
		if client.allowed(e) && len(client.keysOf(e)) > 0 && !slices.Contains(common, e) {
			common = append(common, e)
		}
	}
	if len(common) == 0 {
		return nil, info, refuse(msg.KDCErrETypeNoSupp, "account %q has no key of the offered types %v", client.SAMAccountName, body.EType)
	}

	replyKey, err := k.preauth(r, client, common, now)
	if err != nil {
		return nil, info, err
	}

	service, err := k.Backend.Service(ctx, *body.SName, k.Realm)
	if errors.Is(err, ErrUnknown) {
		return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "no account has the name %q", body.SName)
	} else if err != nil {
		return nil, info, err
	}
	if !service.IsService {
		return nil, info, refuse(msg.KDCErrSPrincipalUnknown, "account %q is not a service", service.SAMAccountName)
	}
	tgt, err := k.krbtgt(ctx)
	if err != nil {
		return nil, info, err
	}

	cname := *body.CName
	if body.KDCOptions&msg.KDCOptionCanonicalize != 0 {
		cname = msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{client.SAMAccountName}}
	}
	info.client = cname.WithRealm(k.Realm)
	var pacRequest *bool
	if pd, ok := r.PAData.Find(msg.PATypePACRequest); ok {
		if pr, err := msg.ParsePAPACRequest(pd.Value); err == nil {
			pacRequest = &pr.IncludePAC
		}
	}
	p, err := k.buildPAC(client, cname, now, pacRequest)
	if err != nil {
		return nil, info, err
	}

	maxEnd := client.AccountExpires
	t := ticketSpec{
		cname:    cname,
		sname:    *body.SName,
		service:  service,
		authtime: now,
		flags:    msg.TicketFlagInitial | msg.TicketFlagPreAuthent,
	}
	if body.KDCOptions&msg.KDCOptionForwardable != 0 {
		t.flags |= msg.TicketFlagForwardable
	}
	if body.KDCOptions&msg.KDCOptionProxiable != 0 {
		t.flags |= msg.TicketFlagProxiable
	}
	if err := k.setTimes(&t, body, now, maxEnd, time.Time{}, true); err != nil {
		return nil, info, err
	}
	ticket, enc, err := k.issue(&t, body, p, tgt, now)
	if err != nil {
		return nil, info, err
	}
	info.etype = enc.Key.Type
	enc.MsgType = msg.MsgTypeEncASRepPart
	plain, err := enc.Marshal()
	if err != nil {
		return nil, info, err
	}
	sealed, err := msg.Seal(replyKey.Key, crypto.KeyUsageASRepEncPart, plain, k.rand())
	if err != nil {
		return nil, info, err
	}
	kvno := replyKey.Kvno
	sealed.KVNO = &kvno
	salt := client.Salt
	info2, err := msg.ETypeInfo2{{EType: replyKey.Key.Type, Salt: &salt}}.Marshal()
	if err != nil {
		return nil, info, err
	}
	rep := &msg.KDCRep{
		MsgType: msg.MsgTypeASRep,
		PAData:  msg.MethodData{{Type: msg.PATypeETypeInfo2, Value: info2}},
		CRealm:  k.Realm,
		CName:   cname,
		Ticket:  ticket,
		EncPart: sealed,
	}
	out, err := rep.Marshal()
	return out, info, err
}

// preauth checks the PA-ENC-TIMESTAMP of r (RFC 4120 §5.2.7.2) and returns
// the key that opened it: any of the client's keys of that type, so that
// the previous password's keys still work after a gMSA's rollover. Without
// one it asks for it, with PA-ETYPE-INFO2 for each common type.
func (k *KDC) preauth(r *msg.KDCReq, client *Principal, common []crypto.EncType, now time.Time) (Key, error) {
	pd, ok := r.PAData.Find(msg.PATypeEncTimestamp)
	if !ok {
		var info msg.ETypeInfo2
		for _, e := range common {
			salt := client.Salt
			info = append(info, msg.ETypeInfo2Entry{EType: e, Salt: &salt})
		}
		v, err := info.Marshal()
		if err != nil {
			return Key{}, err
		}
		e := refuse(msg.KDCErrPreauthRequired, "account %q: pre-authentication required", client.SAMAccountName)
		e.md = msg.MethodData{{Type: msg.PATypeETypeInfo2, Value: v}, {Type: msg.PATypeEncTimestamp, Value: []byte{}}}
		return Key{}, e
	}
	ed, err := msg.ParseEncryptedData(pd.Value)
	if err != nil {
		return Key{}, refuse(msg.KDCErrPreauthFailed, "account %q: malformed PA-ENC-TIMESTAMP: %v", client.SAMAccountName, err)
	}
	if !slices.Contains(common, ed.EType) {
		return Key{}, refuse(msg.KDCErrETypeNoSupp, "account %q: PA-ENC-TIMESTAMP in %v, not an offered type it has", client.SAMAccountName, ed.EType)
	}
	for _, key := range client.keysOf(ed.EType) {
		ts, err := msg.OpenPAEncTimestamp(pd.Value, key.Key)
		if err != nil {
			continue
		}
		if d := ts.PATimestamp.Sub(now); d > k.maxSkew() || d < -k.maxSkew() {
			return Key{}, refuse(msg.APErrSkew, "account %q: timestamp %v is %v from the KDC's clock", client.SAMAccountName, ts.PATimestamp, d.Round(time.Second))
		}
		return key, nil
	}
	return Key{}, refuse(msg.KDCErrPreauthFailed, "account %q: no %v key opens the timestamp", client.SAMAccountName, ed.EType)
}
