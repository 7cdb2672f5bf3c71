package msg

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// APReq is a KRB_AP_REQ, RFC 4120 §5.5.1: a ticket and an [Authenticator]
// sealed under the ticket's session key. In a TGS-REQ it is the value of
// the PA-TGS-REQ padata; in GSS-API it is the initial context token.
type APReq struct {
	APOptions     APOptions
	Ticket        Ticket
	Authenticator EncryptedData
}

// ParseAPReq decodes a DER AP-REQ ([APPLICATION 14]).
func ParseAPReq(b []byte) (*APReq, error) { return parseAll(b, "AP-REQ", readAPReq, lenient) }

// Marshal encodes r as DER.
func (r *APReq) Marshal() ([]byte, error) { return marshal(r.marshal) }

// DecryptAuthenticator opens the authenticator with the ticket's session
// key k, for key usage 7 in a PA-TGS-REQ or 11 in an application AP-REQ
// (RFC 4120 §7.5.1), and decodes it.
func (r *APReq) DecryptAuthenticator(k crypto.Key, usage uint32) (*Authenticator, error) {
	pt, err := r.Authenticator.Open(k, usage)
	if err != nil {
		return nil, err
	}
	return ParseAuthenticator(pt)
}

// AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (14),
// ap-options [2] APOptions, ticket [3] Ticket, authenticator [4] EncryptedData }
func readAPReq(s *cryptobyte.String, o opts) (APReq, error) {
	p, _, err := openApp(s, "AP-REQ", o, MsgTypeAPReq)
	if err != nil {
		return APReq{}, err
	}
	var r APReq
	p.pvno(0, "pvno")
	p.msgType(1, MsgTypeAPReq)
	r.APOptions = APOptions(req(p, 2, "ap-options", readFlags))
	r.Ticket = req(p, 3, "ticket", readTicket)
	r.Authenticator = req(p, 4, "authenticator", readEncryptedData)
	return r, p.finish()
}

func (r *APReq) marshal(b *cryptobyte.Builder) {
	addApp(b, MsgTypeAPReq, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addInt(b, 1, int64(MsgTypeAPReq))
		addFlags(b, 2, uint32(r.APOptions))
		addExplicit(b, 3, r.Ticket.marshal)
		addExplicit(b, 4, r.Authenticator.marshal)
	})
}

// Authenticator proves the client holds the session key now, RFC 4120
// §5.5.1 (authenticator-vno, always 5, is implied).
type Authenticator struct {
	CRealm string
	CName  PrincipalName
	// Cksum is OPTIONAL: in a TGS-REQ the checksum of the req-body, in
	// GSS-API the 0x8003 checksum of RFC 4121 §4.1.1.
	Cksum             *Checksum
	CUSec             int32 // microseconds, 0..999999
	CTime             time.Time
	Subkey            *EncryptionKey    // OPTIONAL
	SeqNumber         *uint32           // OPTIONAL; written unsigned
	AuthorizationData AuthorizationData // OPTIONAL
}

// ParseAuthenticator decodes a DER Authenticator ([APPLICATION 2]).
func ParseAuthenticator(b []byte) (*Authenticator, error) {
	return parseAll(b, "Authenticator", readAuthenticator, lenient)
}

// Marshal encodes a as DER.
func (a *Authenticator) Marshal() ([]byte, error) { return marshal(a.marshal) }

// Authenticator ::= [APPLICATION 2] SEQUENCE { authenticator-vno [0] INTEGER (5), crealm [1] Realm,
// cname [2] PrincipalName, cksum [3] Checksum OPTIONAL, cusec [4] Microseconds,
// ctime [5] KerberosTime, subkey [6] EncryptionKey OPTIONAL, seq-number [7] UInt32 OPTIONAL,
// authorization-data [8] AuthorizationData OPTIONAL }
func readAuthenticator(s *cryptobyte.String, o opts) (Authenticator, error) {
	p, _, err := openApp(s, "Authenticator", o, MsgTypeAuthenticator)
	if err != nil {
		return Authenticator{}, err
	}
	var a Authenticator
	p.pvno(0, "authenticator-vno")
	a.CRealm = req(p, 1, "crealm", readString)
	a.CName = req(p, 2, "cname", readPrincipalName)
	a.Cksum = optPtr(p, 3, "cksum", readChecksum)
	a.CUSec = req(p, 4, "cusec", readMicroseconds)
	a.CTime = req(p, 5, "ctime", readTime)
	a.Subkey = optPtr(p, 6, "subkey", readEncryptionKey)
	a.SeqNumber = optPtr(p, 7, "seq-number", readUnsignedUint32)
	a.AuthorizationData = opt(p, 8, "authorization-data", readAuthorizationData)
	return a, p.finish()
}

func (a *Authenticator) marshal(b *cryptobyte.Builder) {
	const st = "Authenticator"
	addApp(b, MsgTypeAuthenticator, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addString(b, 1, a.CRealm)
		addPrincipal(b, 2, &a.CName)
		if a.Cksum != nil {
			addExplicit(b, 3, a.Cksum.marshal)
		}
		addMicroseconds(b, st, 4, "cusec", a.CUSec)
		addTime(b, st, 5, "ctime", a.CTime)
		if a.Subkey != nil {
			addExplicit(b, 6, a.Subkey.marshal)
		}
		if a.SeqNumber != nil {
			addUnsignedUint32(b, 7, *a.SeqNumber)
		}
		addOptAuthorizationData(b, 8, a.AuthorizationData)
	})
}

// APRep is a KRB_AP_REP, RFC 4120 §5.5.2: the server's answer to mutual
// authentication, an [EncAPRepPart] sealed under the session key.
type APRep struct {
	EncPart EncryptedData
}

// ParseAPRep decodes a DER AP-REP ([APPLICATION 15]).
func ParseAPRep(b []byte) (*APRep, error) { return parseAll(b, "AP-REP", readAPRep, lenient) }

// Marshal encodes r as DER.
func (r *APRep) Marshal() ([]byte, error) { return marshal(r.marshal) }

// Decrypt opens the enc-part with the session key k (key usage 12) and
// decodes it.
func (r *APRep) Decrypt(k crypto.Key) (*EncAPRepPart, error) {
	pt, err := r.EncPart.Open(k, crypto.KeyUsageAPRepEncPart)
	if err != nil {
		return nil, err
	}
	return ParseEncAPRepPart(pt)
}

// AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (15),
// enc-part [2] EncryptedData }
func readAPRep(s *cryptobyte.String, o opts) (APRep, error) {
	p, _, err := openApp(s, "AP-REP", o, MsgTypeAPRep)
	if err != nil {
		return APRep{}, err
	}
	var r APRep
	p.pvno(0, "pvno")
	p.msgType(1, MsgTypeAPRep)
	r.EncPart = req(p, 2, "enc-part", readEncryptedData)
	return r, p.finish()
}

func (r *APRep) marshal(b *cryptobyte.Builder) {
	addApp(b, MsgTypeAPRep, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addInt(b, 1, int64(MsgTypeAPRep))
		addExplicit(b, 2, r.EncPart.marshal)
	})
}

// EncAPRepPart is the sealed part of an AP-REP, RFC 4120 §5.5.2: the
// client's ctime and cusec echoed back, and the server's subkey and
// sequence number.
type EncAPRepPart struct {
	CTime     time.Time
	CUSec     int32          // microseconds, 0..999999
	Subkey    *EncryptionKey // OPTIONAL
	SeqNumber *uint32        // OPTIONAL; written unsigned
}

// ParseEncAPRepPart decodes a DER EncAPRepPart ([APPLICATION 27]).
func ParseEncAPRepPart(b []byte) (*EncAPRepPart, error) {
	return parseAll(b, "EncAPRepPart", readEncAPRepPart, lenient)
}

// Marshal encodes e as DER.
func (e *EncAPRepPart) Marshal() ([]byte, error) { return marshal(e.marshal) }

// EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0] KerberosTime, cusec [1] Microseconds,
// subkey [2] EncryptionKey OPTIONAL, seq-number [3] UInt32 OPTIONAL }
func readEncAPRepPart(s *cryptobyte.String, o opts) (EncAPRepPart, error) {
	p, _, err := openApp(s, "EncAPRepPart", o, MsgTypeEncAPRepPart)
	if err != nil {
		return EncAPRepPart{}, err
	}
	var e EncAPRepPart
	e.CTime = req(p, 0, "ctime", readTime)
	e.CUSec = req(p, 1, "cusec", readMicroseconds)
	e.Subkey = optPtr(p, 2, "subkey", readEncryptionKey)
	e.SeqNumber = optPtr(p, 3, "seq-number", readUnsignedUint32)
	return e, p.finish()
}

func (e *EncAPRepPart) marshal(b *cryptobyte.Builder) {
	const st = "EncAPRepPart"
	addApp(b, MsgTypeEncAPRepPart, func(b *cryptobyte.Builder) {
		addTime(b, st, 0, "ctime", e.CTime)
		addMicroseconds(b, st, 1, "cusec", e.CUSec)
		if e.Subkey != nil {
			addExplicit(b, 2, e.Subkey.marshal)
		}
		if e.SeqNumber != nil {
			addUnsignedUint32(b, 3, *e.SeqNumber)
		}
	})
}
