package msg

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// KRBCred is a KRB_CRED, RFC 4120 §5.8: tickets and, sealed, their session
// keys; how credentials are forwarded (GSS-API delegation, kinit's
// "-F"-less forwarding, Windows' unconstrained delegation).
type KRBCred struct {
	Tickets []Ticket
	EncPart EncryptedData
}

// ParseKRBCred decodes a DER KRB-CRED ([APPLICATION 22]).
func ParseKRBCred(b []byte) (*KRBCred, error) { return parseAll(b, "KRB-CRED", readKRBCred, lenient) }

// Marshal encodes c as DER.
func (c *KRBCred) Marshal() ([]byte, error) { return marshal(c.marshal) }

// Decrypt opens the enc-part with k (key usage 14) and decodes it. An
// enc-part of encryption type 0 is the "null" encryption MIT and Windows
// use inside an already-sealed GSS-API token: its cipher is the plaintext,
// and k is not used.
func (c *KRBCred) Decrypt(k crypto.Key) (*EncKrbCredPart, error) {
	if c.EncPart.EType == 0 {
		return ParseEncKrbCredPart(c.EncPart.Cipher)
	}
	pt, err := c.EncPart.Open(k, crypto.KeyUsageKRBCredEncPart)
	if err != nil {
		return nil, err
	}
	return ParseEncKrbCredPart(pt)
}

// KRB-CRED ::= [APPLICATION 22] SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (22),
// tickets [2] SEQUENCE OF Ticket, enc-part [3] EncryptedData }
func readKRBCred(s *cryptobyte.String, o opts) (KRBCred, error) {
	p, _, err := openApp(s, "KRB-CRED", o, MsgTypeCred)
	if err != nil {
		return KRBCred{}, err
	}
	var c KRBCred
	p.pvno(0, "pvno")
	p.msgType(1, MsgTypeCred)
	c.Tickets = req(p, 2, "tickets", readTickets)
	c.EncPart = req(p, 3, "enc-part", readEncryptedData)
	return c, p.finish()
}

func (c *KRBCred) marshal(b *cryptobyte.Builder) {
	addApp(b, MsgTypeCred, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addInt(b, 1, int64(MsgTypeCred))
		addTickets(b, 2, c.Tickets)
		addExplicit(b, 3, c.EncPart.marshal)
	})
}

// EncKrbCredPart is the sealed part of a KRB-CRED, RFC 4120 §5.8.1: one
// KrbCredInfo per ticket, in the same order.
type EncKrbCredPart struct {
	TicketInfo []KrbCredInfo
	Nonce      *uint32      // OPTIONAL; written signed, as KDCReqBody.Nonce
	Timestamp  time.Time    // OPTIONAL
	USec       *int32       // OPTIONAL: microseconds, 0..999999
	SAddress   *HostAddress // OPTIONAL
	RAddress   *HostAddress // OPTIONAL
}

// ParseEncKrbCredPart decodes a DER EncKrbCredPart ([APPLICATION 29]).
func ParseEncKrbCredPart(b []byte) (*EncKrbCredPart, error) {
	return parseAll(b, "EncKrbCredPart", readEncKrbCredPart, lenient)
}

// Marshal encodes e as DER.
func (e *EncKrbCredPart) Marshal() ([]byte, error) { return marshal(e.marshal) }

// EncKrbCredPart ::= [APPLICATION 29] SEQUENCE { ticket-info [0] SEQUENCE OF KrbCredInfo,
// nonce [1] UInt32 OPTIONAL, timestamp [2] KerberosTime OPTIONAL, usec [3] Microseconds OPTIONAL,
// s-address [4] HostAddress OPTIONAL, r-address [5] HostAddress OPTIONAL }
func readEncKrbCredPart(s *cryptobyte.String, o opts) (EncKrbCredPart, error) {
	p, _, err := openApp(s, "EncKrbCredPart", o, MsgTypeEncKrbCredPart)
	if err != nil {
		return EncKrbCredPart{}, err
	}
	var e EncKrbCredPart
	e.TicketInfo = req(p, 0, "ticket-info", seqOf(readKrbCredInfo))
	e.Nonce = optPtr(p, 1, "nonce", readSignedUint32)
	e.Timestamp = opt(p, 2, "timestamp", readTime)
	e.USec = optPtr(p, 3, "usec", readMicroseconds)
	e.SAddress = optPtr(p, 4, "s-address", readHostAddress)
	e.RAddress = optPtr(p, 5, "r-address", readHostAddress)
	return e, p.finish()
}

func (e *EncKrbCredPart) marshal(b *cryptobyte.Builder) {
	const st = "EncKrbCredPart"
	addApp(b, MsgTypeEncKrbCredPart, func(b *cryptobyte.Builder) {
		addExplicit(b, 0, func(b *cryptobyte.Builder) { addSeqOf(b, e.TicketInfo, (*KrbCredInfo).marshal) })
		if e.Nonce != nil {
			addSignedUint32(b, 1, *e.Nonce)
		}
		addOptTime(b, st, 2, "timestamp", e.Timestamp)
		if e.USec != nil {
			addMicroseconds(b, st, 3, "usec", *e.USec)
		}
		if e.SAddress != nil {
			addExplicit(b, 4, e.SAddress.marshal)
		}
		if e.RAddress != nil {
			addExplicit(b, 5, e.RAddress.marshal)
		}
	})
}

// KrbCredInfo describes one forwarded ticket, RFC 4120 §5.8.1: its session
// key and, optionally, what the ticket says. Every field but Key is
// OPTIONAL: "" strings, nil pointers and slices and zero times are absent.
type KrbCredInfo struct {
	Key       EncryptionKey
	PRealm    string
	PName     *PrincipalName
	Flags     *TicketFlags
	AuthTime  time.Time
	StartTime time.Time
	EndTime   time.Time
	RenewTill time.Time
	SRealm    string
	SName     *PrincipalName
	CAddr     HostAddresses
}

// KrbCredInfo ::= SEQUENCE { key [0] EncryptionKey, prealm [1] Realm OPTIONAL,
// pname [2] PrincipalName OPTIONAL, flags [3] TicketFlags OPTIONAL,
// authtime [4] KerberosTime OPTIONAL, starttime [5] KerberosTime OPTIONAL,
// endtime [6] KerberosTime OPTIONAL, renew-till [7] KerberosTime OPTIONAL,
// srealm [8] Realm OPTIONAL, sname [9] PrincipalName OPTIONAL, caddr [10] HostAddresses OPTIONAL }
func readKrbCredInfo(s *cryptobyte.String, o opts) (KrbCredInfo, error) {
	p, err := openSeq(s, "KrbCredInfo", o)
	if err != nil {
		return KrbCredInfo{}, err
	}
	var c KrbCredInfo
	c.Key = req(p, 0, "key", readEncryptionKey)
	c.PRealm = p.optString(1, "prealm")
	c.PName = optPtr(p, 2, "pname", readPrincipalName)
	if f, ok := field(p, 3, "flags", false, readFlags); ok {
		c.Flags = new(TicketFlags(f))
	}
	c.AuthTime = opt(p, 4, "authtime", readTime)
	c.StartTime = opt(p, 5, "starttime", readTime)
	c.EndTime = opt(p, 6, "endtime", readTime)
	c.RenewTill = opt(p, 7, "renew-till", readTime)
	c.SRealm = p.optString(8, "srealm")
	c.SName = optPtr(p, 9, "sname", readPrincipalName)
	c.CAddr = opt(p, 10, "caddr", readHostAddresses)
	return c, p.finish()
}

func (c *KrbCredInfo) marshal(b *cryptobyte.Builder) {
	const st = "KrbCredInfo"
	addSeq(b, func(b *cryptobyte.Builder) {
		addExplicit(b, 0, c.Key.marshal)
		addOptString(b, 1, c.PRealm)
		addOptPrincipal(b, 2, c.PName)
		if c.Flags != nil {
			addFlags(b, 3, uint32(*c.Flags))
		}
		addOptTime(b, st, 4, "authtime", c.AuthTime)
		addOptTime(b, st, 5, "starttime", c.StartTime)
		addOptTime(b, st, 6, "endtime", c.EndTime)
		addOptTime(b, st, 7, "renew-till", c.RenewTill)
		addOptString(b, 8, c.SRealm)
		addOptPrincipal(b, 9, c.SName)
		addOptHostAddresses(b, 10, c.CAddr)
	})
}
