package msg

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// KDCReq is an AS-REQ or a TGS-REQ, RFC 4120 §5.4.1; the two differ only in
// their tag and in the padata a TGS-REQ carries (PA-TGS-REQ).
type KDCReq struct {
	MsgType MsgType    // MsgTypeASReq or MsgTypeTGSReq
	PAData  MethodData // OPTIONAL
	ReqBody KDCReqBody
	// RawReqBody is the req-body exactly as decoded, set by ParseKDCReq:
	// the PA-TGS-REQ authenticator's checksum (and FAST's) covers these
	// bytes, which a KDC must check as received. Marshal ignores it.
	RawReqBody []byte
}

// ParseKDCReq decodes a DER AS-REQ ([APPLICATION 10]) or TGS-REQ
// ([APPLICATION 12]); MsgType tells which.
func ParseKDCReq(b []byte) (*KDCReq, error) {
	return parseAll(b, "KDC-REQ", readKDCReq, lenient)
}

// Marshal encodes r as DER with the tag of r.MsgType.
func (r *KDCReq) Marshal() ([]byte, error) { return marshal(r.marshal) }

// KDC-REQ ::= SEQUENCE { pvno [1] INTEGER (5), msg-type [2] INTEGER (10 | 12),
// padata [3] SEQUENCE OF PA-DATA OPTIONAL, req-body [4] KDC-REQ-BODY }
// AS-REQ ::= [APPLICATION 10] KDC-REQ; TGS-REQ ::= [APPLICATION 12] KDC-REQ
func readKDCReq(s *cryptobyte.String, o opts) (KDCReq, error) {
	p, t, err := openApp(s, "KDC-REQ", o, MsgTypeASReq, MsgTypeTGSReq)
	if err != nil {
		return KDCReq{}, err
	}
	r := KDCReq{MsgType: t}
	p.st = t.String()
	p.pvno(1, "pvno")
	p.msgType(2, t)
	r.PAData = opt(p, 3, "padata", readMethodData)
	if inner, ok := p.next(4, "req-body", true); ok {
		before := inner
		body, err := readKDCReqBody(&inner, o)
		if err == nil && !inner.Empty() {
			err = errf(ErrMalformed, "%d bytes after the value inside [4]", len(inner))
		}
		if err != nil {
			p.setErr(err, "req-body")
		} else {
			r.ReqBody = body
			r.RawReqBody = append([]byte(nil), before[:len(before)-len(inner)]...)
		}
	}
	return r, p.finish()
}

func (r *KDCReq) marshal(b *cryptobyte.Builder) {
	if r.MsgType != MsgTypeASReq && r.MsgType != MsgTypeTGSReq {
		builderFail(b, "KDC-REQ", "msg-type", ErrBadValue, "%v, want AS-REQ (10) or TGS-REQ (12)", r.MsgType)
		return
	}
	addApp(b, r.MsgType, func(b *cryptobyte.Builder) {
		addInt(b, 1, 5)
		addInt(b, 2, int64(r.MsgType))
		addOptMethodData(b, 3, r.PAData)
		addExplicit(b, 4, r.ReqBody.marshal)
	})
}

// KDCReqBody is the body of a KDC request, RFC 4120 §5.4.1: what the client
// asks for. Nil pointers and slices and zero times are absent OPTIONAL
// fields.
type KDCReqBody struct {
	KDCOptions KDCOptions
	CName      *PrincipalName // OPTIONAL; AS-REQ only
	Realm      string         // the server's realm (and the client's, in an AS-REQ)
	SName      *PrincipalName // OPTIONAL; absent only with enc-tkt-in-skey
	From       time.Time      // OPTIONAL
	Till       time.Time
	RTime      time.Time // OPTIONAL
	// Nonce is written as the signed 32-bit INTEGER with the same bits, as
	// MIT and Windows write it (MIT refuses a nonce above 2^31-1 written
	// unsigned); clients normally pick one below 2^31.
	Nonce                uint32
	EType                []crypto.EncType // in the client's order of preference
	Addresses            HostAddresses    // OPTIONAL
	EncAuthorizationData *EncryptedData   // OPTIONAL
	AdditionalTickets    []Ticket         // OPTIONAL
}

// ParseKDCReqBody decodes a DER KDC-REQ-BODY.
func ParseKDCReqBody(b []byte) (*KDCReqBody, error) {
	return parseAll(b, "KDC-REQ-BODY", readKDCReqBody, lenient)
}

// Marshal encodes body as DER: the bytes a TGS-REQ authenticator's checksum
// covers.
func (body *KDCReqBody) Marshal() ([]byte, error) { return marshal(body.marshal) }

var readETypes = seqOf(func(s *cryptobyte.String, o opts) (crypto.EncType, error) {
	v, err := readInt32(s, o)
	return crypto.EncType(v), err
})

// KDC-REQ-BODY ::= SEQUENCE { kdc-options [0] KDCOptions, cname [1] PrincipalName OPTIONAL,
// realm [2] Realm, sname [3] PrincipalName OPTIONAL, from [4] KerberosTime OPTIONAL,
// till [5] KerberosTime, rtime [6] KerberosTime OPTIONAL, nonce [7] UInt32,
// etype [8] SEQUENCE OF Int32, addresses [9] HostAddresses OPTIONAL,
// enc-authorization-data [10] EncryptedData OPTIONAL, additional-tickets [11] SEQUENCE OF Ticket OPTIONAL }
func readKDCReqBody(s *cryptobyte.String, o opts) (KDCReqBody, error) {
	p, err := openSeq(s, "KDC-REQ-BODY", o)
	if err != nil {
		return KDCReqBody{}, err
	}
	var body KDCReqBody
	body.KDCOptions = KDCOptions(req(p, 0, "kdc-options", readFlags))
	body.CName = optPtr(p, 1, "cname", readPrincipalName)
	body.Realm = req(p, 2, "realm", readString)
	body.SName = optPtr(p, 3, "sname", readPrincipalName)
	body.From = opt(p, 4, "from", readTime)
	body.Till = req(p, 5, "till", readTime)
	body.RTime = opt(p, 6, "rtime", readTime)
	body.Nonce = req(p, 7, "nonce", readSignedUint32)
	body.EType = req(p, 8, "etype", readETypes)
	body.Addresses = opt(p, 9, "addresses", readHostAddresses)
	body.EncAuthorizationData = optPtr(p, 10, "enc-authorization-data", readEncryptedData)
	body.AdditionalTickets = opt(p, 11, "additional-tickets", readTickets)
	return body, p.finish()
}

func (body *KDCReqBody) marshal(b *cryptobyte.Builder) {
	const st = "KDC-REQ-BODY"
	addSeq(b, func(b *cryptobyte.Builder) {
		addFlags(b, 0, uint32(body.KDCOptions))
		addOptPrincipal(b, 1, body.CName)
		addString(b, 2, body.Realm)
		addOptPrincipal(b, 3, body.SName)
		addOptTime(b, st, 4, "from", body.From)
		addTime(b, st, 5, "till", body.Till)
		addOptTime(b, st, 6, "rtime", body.RTime)
		addSignedUint32(b, 7, body.Nonce)
		addExplicit(b, 8, func(b *cryptobyte.Builder) {
			addSeqOf(b, body.EType, func(e *crypto.EncType, b *cryptobyte.Builder) { b.AddASN1Int64(int64(*e)) })
		})
		addOptHostAddresses(b, 9, body.Addresses)
		if body.EncAuthorizationData != nil {
			addExplicit(b, 10, body.EncAuthorizationData.marshal)
		}
		if body.AdditionalTickets != nil {
			addTickets(b, 11, body.AdditionalTickets)
		}
	})
}
