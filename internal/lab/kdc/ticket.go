package kdc

import (
	"fmt"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
)

// ticketSpec is what a new ticket says, before it is sealed.
type ticketSpec struct {
	cname     msg.PrincipalName
	sname     msg.PrincipalName
	service   *Principal
	authtime  time.Time
	start     time.Time
	end       time.Time
	renewTill time.Time
	flags     msg.TicketFlags
	caddr     msg.HostAddresses
}

// infinite reports whether a requested time means "as long as allowed": absent,
// or MIT's and Windows' 19700101000000Z.
func infinite(t time.Time) bool { return t.IsZero() || t.Unix() <= 0 }

// setTimes fills the start, end and renew-till of t from the request (RFC
// 4120 §3.1.3): the end is the earliest of till, now + MaxTicketLife and
// maxEnd (when not zero); a renewable ticket (asked with RENEWABLE, or with
// RENEWABLE-OK when till is beyond the end) lasts until the earliest of
// rtime, now + MaxRenewLife and maxRenew (when not zero). mayRenew says the
// ticket may be renewable at all.
func (k *KDC) setTimes(t *ticketSpec, body *msg.KDCReqBody, now, maxEnd, maxRenew time.Time, mayRenew bool) error {
	t.start = now
	end := now.Add(orDefault(k.MaxTicketLife, DefaultMaxTicketLife))
	if !infinite(body.Till) && body.Till.Before(end) {
		end = body.Till
	}
	if !maxEnd.IsZero() && maxEnd.Before(end) {
		end = maxEnd
	}
	if !end.After(now) {
		return refuse(msg.KDCErrNeverValid, "the ticket would end at %v, not after now (%v)", end, now)
	}
	t.end = end

	opts := body.KDCOptions
	rtime := body.RTime
	wantRenew := opts&msg.KDCOptionRenewable != 0
	if !wantRenew && opts&msg.KDCOptionRenewableOK != 0 && (infinite(body.Till) || body.Till.After(end)) {
		wantRenew, rtime = true, body.Till
	}
	if !wantRenew || !mayRenew {
		return nil
	}
	till := now.Add(orDefault(k.MaxRenewLife, DefaultMaxRenewLife))
	if !infinite(rtime) && rtime.Before(till) {
		till = rtime
	}
	if !maxRenew.IsZero() && maxRenew.Before(till) {
		till = maxRenew
	}
	if till.Before(end) {
		till = end
	}
	t.renewTill = till
	t.flags |= msg.TicketFlagRenewable
	return nil
}

// issue seals a ticket for t.service carrying the PAC p (unsigned; it is
// signed here with the ticket's key and the krbtgt key), with a new session
// key, and returns it with the EncKDCRepPart (MsgType left to the caller).
func (k *KDC) issue(t *ticketSpec, body *msg.KDCReqBody, p *pac.PAC, krbtgt *Principal, now time.Time) (msg.Ticket, *msg.EncKDCRepPart, error) {
	tkey, ok := t.service.ticketKey()
	if !ok {
		return msg.Ticket{}, nil, refuse(msg.KDCErrETypeNoSupp, "service %q has no usable key", t.service.SAMAccountName)
	}
	tgtKey, ok := krbtgt.ticketKey()
	if !ok {
		return msg.Ticket{}, nil, fmt.Errorf("krbtgt has no usable key")
	}
	se, ok := sessionEncType(body.EType, t.service)
	if !ok {
		return msg.Ticket{}, nil, refuse(msg.KDCErrETypeNoSupp, "service %q supports none of the offered types %v", t.service.SAMAccountName, body.EType)
	}
	session, err := crypto.GenerateKey(se, k.rand())
	if err != nil {
		return msg.Ticket{}, nil, err
	}
	session = crypto.AllowRC4(session)
	ad, err := signPAC(p, tkey.Key, tgtKey.Key)
	if err != nil {
		return msg.Ticket{}, nil, err
	}
	etp := &msg.EncTicketPart{
		Flags:             t.flags,
		Key:               msg.NewEncryptionKey(session),
		CRealm:            k.Realm,
		CName:             t.cname,
		Transited:         msg.TransitedEncoding{Type: 1, Contents: []byte{}},
		AuthTime:          t.authtime,
		StartTime:         t.start,
		EndTime:           t.end,
		RenewTill:         t.renewTill,
		CAddr:             t.caddr,
		AuthorizationData: ad,
	}
	plain, err := etp.Marshal()
	if err != nil {
		return msg.Ticket{}, nil, err
	}
	sealed, err := msg.Seal(tkey.Key, crypto.KeyUsageKDCRepTicket, plain, k.rand())
	if err != nil {
		return msg.Ticket{}, nil, err
	}
	kvno := tkey.Kvno
	sealed.KVNO = &kvno
	ticket := msg.Ticket{Realm: k.Realm, SName: t.sname, EncPart: sealed}
	enc := &msg.EncKDCRepPart{
		Key:       msg.NewEncryptionKey(session),
		LastReq:   []msg.LastReqEntry{{Type: 0, Value: now}},
		Nonce:     body.Nonce,
		Flags:     t.flags,
		AuthTime:  t.authtime,
		StartTime: t.start,
		EndTime:   t.end,
		RenewTill: t.renewTill,
		SRealm:    k.Realm,
		SName:     t.sname,
		CAddr:     t.caddr,
	}
	return ticket, enc, nil
}
