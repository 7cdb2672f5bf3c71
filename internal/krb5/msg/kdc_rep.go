package msg

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// KDCRep is an AS-REP or a TGS-REP, RFC 4120 §5.4.2: the ticket, and the
// [EncKDCRepPart] sealed for the client.
type KDCRep struct {
	MsgType MsgType    // MsgTypeASRep or MsgTypeTGSRep
	PAData  MethodData // OPTIONAL; PA-ETYPE-INFO2 in an AS-REP
	CRealm  string
	CName   PrincipalName
	Ticket  Ticket
	EncPart EncryptedData
}

// ParseKDCRep decodes a DER AS-REP ([APPLICATION 11]) or TGS-REP
// ([APPLICATION 13]); MsgType tells which.
func ParseKDCRep(b []byte) (*KDCRep, error) {
	return parseAll(b, "KDC-REP", readKDCRep, lenient)
}

// Marshal encodes r as DER with the tag of r.MsgType.
func (r *KDCRep) Marshal() ([]byte, error) { return marshal(r.marshal) }

// Decrypt opens the enc-part with k and decodes it: for an AS-REP the
// client's long-term key and key usage 3 (crypto.KeyUsageASRepEncPart),
// for a TGS-REP the TGS session key and usage 8 or the authenticator
// subkey and usage 9 (RFC 4120 §7.5.1). Either APPLICATION tag is
// accepted; the result's MsgType tells which was sent.
func (r *KDCRep) Decrypt(k crypto.Key, usage uint32) (*EncKDCRepPart, error) {
	pt, err := r.EncPart.Open(k, usage)
	if err != nil {
		return nil, err
	}
	return ParseEncKDCRepPart(pt)
}

// KDC-REP ::= SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (11 | 13),
// padata [2] SEQUENCE OF PA-DATA OPTIONAL, crealm [3] Realm, cname [4] PrincipalName,
// ticket [5] Ticket, enc-part [6] EncryptedData }
// AS-REP ::= [APPLICATION 11] KDC-REP; TGS-REP ::= [APPLICATION 13] KDC-REP
func readKDCRep(s *cryptobyte.String, o opts) (KDCRep, error) {
	p, t, err := openApp(s, "KDC-REP", o, MsgTypeASRep, MsgTypeTGSRep)
	if err != nil {
		return KDCRep{}, err
	}
	r := KDCRep{MsgType: t}
	p.st = t.String()
	p.pvno(0, "pvno")
	p.msgType(1, t)
	r.PAData = opt(p, 2, "padata", readMethodData)
	r.CRealm = req(p, 3, "crealm", readString)
	r.CName = req(p, 4, "cname", readPrincipalName)
	r.Ticket = req(p, 5, "ticket", readTicket)
	r.EncPart = req(p, 6, "enc-part", readEncryptedData)
	return r, p.finish()
}

func (r *KDCRep) marshal(b *cryptobyte.Builder) {
	if r.MsgType != MsgTypeASRep && r.MsgType != MsgTypeTGSRep {
		builderFail(b, "KDC-REP", "msg-type", ErrBadValue, "%v, want AS-REP (11) or TGS-REP (13)", r.MsgType)
		return
	}
	addApp(b, r.MsgType, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addInt(b, 1, int64(r.MsgType))
		addOptMethodData(b, 2, r.PAData)
		addString(b, 3, r.CRealm)
		addPrincipal(b, 4, &r.CName)
		addExplicit(b, 5, r.Ticket.marshal)
		addExplicit(b, 6, r.EncPart.marshal)
	})
}

// EncKDCRepPart is the part of a KDC reply sealed for the client, RFC 4120
// §5.4.2: the session key and what the ticket says. It is EncASRepPart
// ([APPLICATION 25]) in an AS-REP and EncTGSRepPart ([APPLICATION 26]) in a
// TGS-REP, but MIT and Windows accept either in either, and some KDCs (and
// gokrb5) send 25 in a TGS-REP, so ParseEncKDCRepPart accepts both and sets
// MsgType to the one it saw. Marshal writes the tag MsgType names.
type EncKDCRepPart struct {
	MsgType       MsgType // MsgTypeEncASRepPart or MsgTypeEncTGSRepPart
	Key           EncryptionKey
	LastReq       []LastReqEntry
	Nonce         uint32    // the request's nonce, written as KDCReqBody.Nonce is
	KeyExpiration time.Time // OPTIONAL
	Flags         TicketFlags
	AuthTime      time.Time
	StartTime     time.Time // OPTIONAL
	EndTime       time.Time
	RenewTill     time.Time // OPTIONAL
	SRealm        string
	SName         PrincipalName
	CAddr         HostAddresses // OPTIONAL
	// EncryptedPAData is RFC 6806's encrypted-pa-data [12] (OPTIONAL):
	// Windows puts PA-SUPPORTED-ENCTYPES here.
	EncryptedPAData MethodData
}

// ParseEncKDCRepPart decodes a DER EncASRepPart or EncTGSRepPart.
func ParseEncKDCRepPart(b []byte) (*EncKDCRepPart, error) {
	return parseAll(b, "EncKDCRepPart", readEncKDCRepPart, lenient)
}

// Marshal encodes e as DER with the tag of e.MsgType.
func (e *EncKDCRepPart) Marshal() ([]byte, error) { return marshal(e.marshal) }

// EncKDCRepPart ::= SEQUENCE { key [0] EncryptionKey, last-req [1] LastReq, nonce [2] UInt32,
// key-expiration [3] KerberosTime OPTIONAL, flags [4] TicketFlags, authtime [5] KerberosTime,
// starttime [6] KerberosTime OPTIONAL, endtime [7] KerberosTime, renew-till [8] KerberosTime OPTIONAL,
// srealm [9] Realm, sname [10] PrincipalName, caddr [11] HostAddresses OPTIONAL,
// encrypted-pa-data [12] SEQUENCE OF PA-DATA OPTIONAL -- RFC 6806 }
// EncASRepPart ::= [APPLICATION 25] EncKDCRepPart; EncTGSRepPart ::= [APPLICATION 26] EncKDCRepPart
func readEncKDCRepPart(s *cryptobyte.String, o opts) (EncKDCRepPart, error) {
	p, t, err := openApp(s, "EncKDCRepPart", o, MsgTypeEncASRepPart, MsgTypeEncTGSRepPart)
	if err != nil {
		return EncKDCRepPart{}, err
	}
	e := EncKDCRepPart{MsgType: t}
	p.st = t.String()
	e.Key = req(p, 0, "key", readEncryptionKey)
	e.LastReq = req(p, 1, "last-req", seqOf(readLastReqEntry))
	e.Nonce = req(p, 2, "nonce", readSignedUint32)
	e.KeyExpiration = opt(p, 3, "key-expiration", readTime)
	e.Flags = TicketFlags(req(p, 4, "flags", readFlags))
	e.AuthTime = req(p, 5, "authtime", readTime)
	e.StartTime = opt(p, 6, "starttime", readTime)
	e.EndTime = req(p, 7, "endtime", readTime)
	e.RenewTill = opt(p, 8, "renew-till", readTime)
	e.SRealm = req(p, 9, "srealm", readString)
	e.SName = req(p, 10, "sname", readPrincipalName)
	e.CAddr = opt(p, 11, "caddr", readHostAddresses)
	e.EncryptedPAData = opt(p, 12, "encrypted-pa-data", readMethodData)
	return e, p.finish()
}

func (e *EncKDCRepPart) marshal(b *cryptobyte.Builder) {
	if e.MsgType != MsgTypeEncASRepPart && e.MsgType != MsgTypeEncTGSRepPart {
		builderFail(b, "EncKDCRepPart", "", ErrBadValue, "MsgType %v, want EncASRepPart (25) or EncTGSRepPart (26)", e.MsgType)
		return
	}
	st := e.MsgType.String()
	addApp(b, e.MsgType, func(b *cryptobyte.Builder) {
		addExplicit(b, 0, e.Key.marshal)
		addExplicit(b, 1, func(b *cryptobyte.Builder) { addSeqOf(b, e.LastReq, (*LastReqEntry).marshal) })
		addSignedUint32(b, 2, e.Nonce)
		addOptTime(b, st, 3, "key-expiration", e.KeyExpiration)
		addFlags(b, 4, uint32(e.Flags))
		addTime(b, st, 5, "authtime", e.AuthTime)
		addOptTime(b, st, 6, "starttime", e.StartTime)
		addTime(b, st, 7, "endtime", e.EndTime)
		addOptTime(b, st, 8, "renew-till", e.RenewTill)
		addString(b, 9, e.SRealm)
		addPrincipal(b, 10, &e.SName)
		addOptHostAddresses(b, 11, e.CAddr)
		addOptMethodData(b, 12, e.EncryptedPAData)
	})
}
