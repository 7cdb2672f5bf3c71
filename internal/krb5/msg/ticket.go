package msg

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Ticket is a Kerberos ticket, RFC 4120 §5.3: the service's name and realm
// in the clear, and an [EncTicketPart] sealed under the service's key
// (tkt-vno, always 5, is implied).
type Ticket struct {
	Realm   string
	SName   PrincipalName
	EncPart EncryptedData
}

// ParseTicket decodes a DER Ticket ([APPLICATION 1]).
func ParseTicket(b []byte) (*Ticket, error) { return parseAll(b, "Ticket", readTicket, lenient) }

// Marshal encodes t as DER.
func (t *Ticket) Marshal() ([]byte, error) { return marshal(t.marshal) }

// Decrypt opens the ticket's enc-part with the service key k (key usage 2,
// RFC 4120 §7.5.1) and decodes the EncTicketPart.
func (t *Ticket) Decrypt(k crypto.Key) (*EncTicketPart, error) {
	pt, err := t.EncPart.Open(k, crypto.KeyUsageKDCRepTicket)
	if err != nil {
		return nil, err
	}
	return ParseEncTicketPart(pt)
}

// Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] INTEGER (5), realm [1] Realm,
// sname [2] PrincipalName, enc-part [3] EncryptedData }
func readTicket(s *cryptobyte.String, o opts) (Ticket, error) {
	p, _, err := openApp(s, "Ticket", o, MsgTypeTicket)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	p.pvno(0, "tkt-vno")
	t.Realm = req(p, 1, "realm", readString)
	t.SName = req(p, 2, "sname", readPrincipalName)
	t.EncPart = req(p, 3, "enc-part", readEncryptedData)
	return t, p.finish()
}

func (t *Ticket) marshal(b *cryptobyte.Builder) {
	addApp(b, MsgTypeTicket, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addString(b, 1, t.Realm)
		addPrincipal(b, 2, &t.SName)
		addExplicit(b, 3, t.EncPart.marshal)
	})
}

var readTickets = seqOf(readTicket)

func addTickets(b *cryptobyte.Builder, n int, ts []Ticket) {
	addExplicit(b, n, func(b *cryptobyte.Builder) { addSeqOf(b, ts, (*Ticket).marshal) })
}

// EncTicketPart is the encrypted part of a ticket, RFC 4120 §5.3: who the
// client is, the session key, the flags and the times. Zero times and nil
// slices are absent OPTIONAL fields.
type EncTicketPart struct {
	Flags             TicketFlags
	Key               EncryptionKey
	CRealm            string
	CName             PrincipalName
	Transited         TransitedEncoding
	AuthTime          time.Time
	StartTime         time.Time // OPTIONAL
	EndTime           time.Time
	RenewTill         time.Time         // OPTIONAL
	CAddr             HostAddresses     // OPTIONAL
	AuthorizationData AuthorizationData // OPTIONAL; holds the PAC (see AuthorizationData.PAC)
}

// ParseEncTicketPart decodes a DER EncTicketPart ([APPLICATION 3]).
func ParseEncTicketPart(b []byte) (*EncTicketPart, error) {
	return parseAll(b, "EncTicketPart", readEncTicketPart, lenient)
}

// Marshal encodes e as DER.
func (e *EncTicketPart) Marshal() ([]byte, error) { return marshal(e.marshal) }

// EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0] TicketFlags, key [1] EncryptionKey,
// crealm [2] Realm, cname [3] PrincipalName, transited [4] TransitedEncoding,
// authtime [5] KerberosTime, starttime [6] KerberosTime OPTIONAL, endtime [7] KerberosTime,
// renew-till [8] KerberosTime OPTIONAL, caddr [9] HostAddresses OPTIONAL,
// authorization-data [10] AuthorizationData OPTIONAL }
func readEncTicketPart(s *cryptobyte.String, o opts) (EncTicketPart, error) {
	p, _, err := openApp(s, "EncTicketPart", o, MsgTypeEncTicketPart)
	if err != nil {
		return EncTicketPart{}, err
	}
	var e EncTicketPart
	e.Flags = TicketFlags(req(p, 0, "flags", readFlags))
	e.Key = req(p, 1, "key", readEncryptionKey)
	e.CRealm = req(p, 2, "crealm", readString)
	e.CName = req(p, 3, "cname", readPrincipalName)
	e.Transited = req(p, 4, "transited", readTransitedEncoding)
	e.AuthTime = req(p, 5, "authtime", readTime)
	e.StartTime = opt(p, 6, "starttime", readTime)
	e.EndTime = req(p, 7, "endtime", readTime)
	e.RenewTill = opt(p, 8, "renew-till", readTime)
	e.CAddr = opt(p, 9, "caddr", readHostAddresses)
	e.AuthorizationData = opt(p, 10, "authorization-data", readAuthorizationData)
	return e, p.finish()
}

func (e *EncTicketPart) marshal(b *cryptobyte.Builder) {
	const st = "EncTicketPart"
	addApp(b, MsgTypeEncTicketPart, func(b *cryptobyte.Builder) {
		addFlags(b, 0, uint32(e.Flags))
		addExplicit(b, 1, e.Key.marshal)
		addString(b, 2, e.CRealm)
		addPrincipal(b, 3, &e.CName)
		addExplicit(b, 4, e.Transited.marshal)
		addTime(b, st, 5, "authtime", e.AuthTime)
		addOptTime(b, st, 6, "starttime", e.StartTime)
		addTime(b, st, 7, "endtime", e.EndTime)
		addOptTime(b, st, 8, "renew-till", e.RenewTill)
		addOptHostAddresses(b, 9, e.CAddr)
		addOptAuthorizationData(b, 10, e.AuthorizationData)
	})
}
