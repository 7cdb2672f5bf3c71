package client

import (
	"fmt"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// Credentials are a ticket and what the KDC told the client about it: the
// result of Login, ServiceTicket and Renew. Names are as the KDC echoed them
// (Active Directory returns the case it stores).
type Credentials struct {
	Client      msg.PrincipalName
	ClientRealm string
	Server      msg.PrincipalName
	ServerRealm string
	// Ticket is the DER Ticket (RFC 4120 §5.3), opaque to the client.
	Ticket []byte
	// SessionKey never prints (see crypto.Key).
	SessionKey crypto.Key
	AuthTime   time.Time
	StartTime  time.Time // zero when absent (then AuthTime)
	EndTime    time.Time
	RenewTill  time.Time // zero unless renewable
	Flags      msg.TicketFlags
	// KDCOffset is the KDC's clock minus the host's, as measured during
	// the exchange that made the TGT; ServiceTicket and Renew carry it on.
	KDCOffset time.Duration
}

// ClientName returns "name@REALM".
func (c *Credentials) ClientName() string { return c.Client.WithRealm(c.ClientRealm) }

// ServerName returns "service/host@REALM".
func (c *Credentials) ServerName() string { return c.Server.WithRealm(c.ServerRealm) }

// Renewable reports whether the ticket may be renewed at now (the host's
// clock, shifted by KDCOffset).
func (c *Credentials) Renewable(now time.Time) bool {
	return c.Flags&msg.TicketFlagRenewable != 0 && now.Add(c.KDCOffset).Before(c.RenewTill)
}

// CCache returns the credential as a ccache entry.
func (c *Credentials) CCache() ccache.Credential {
	return ccache.Credential{
		Client:    principal(c.Client, c.ClientRealm),
		Server:    principal(c.Server, c.ServerRealm),
		Key:       c.SessionKey,
		AuthTime:  c.AuthTime,
		StartTime: c.StartTime,
		EndTime:   c.EndTime,
		RenewTill: c.RenewTill,
		// Both are RFC 4120 bit strings with bit 0 as the top bit.
		Flags:  ccache.TicketFlags(c.Flags),
		Ticket: append([]byte(nil), c.Ticket...),
	}
}

// NewCache builds a credential cache whose default principal and KDC time
// offset are those of the first credentials (normally the TGT), holding all
// of them in order. Marshal it into the FILE: ccache that MIT tools read.
func NewCache(creds ...*Credentials) *ccache.Cache {
	c := &ccache.Cache{Version: 4}
	if len(creds) == 0 {
		return c
	}
	c.DefaultPrincipal = principal(creds[0].Client, creds[0].ClientRealm)
	off := creds[0].KDCOffset
	c.KDCOffset = &off
	for _, cr := range creds {
		c.Credentials = append(c.Credentials, cr.CCache())
	}
	return c
}

func principal(n msg.PrincipalName, realm string) ccache.Principal {
	return keytab.Principal{
		NameType:   int32(n.NameType),
		Components: append([]string(nil), n.NameString...),
		Realm:      realm,
	}
}

// FromCCache turns a ccache entry back into Credentials, for renewing a TGT
// or asking for service tickets with one that kinit (ours or MIT's) stored.
// kdcOffset is the cache header's KDC time offset (zero when absent).
func FromCCache(c ccache.Credential, kdcOffset time.Duration) (*Credentials, error) {
	if c.IsConfig() {
		return nil, fmt.Errorf("client: ccache entry %s is a configuration entry, not a ticket: %w", c.Server, ErrNotATicket)
	}
	if len(c.Ticket) == 0 || c.Key.Bytes() == nil {
		return nil, fmt.Errorf("client: ccache entry for %s has no ticket or session key: %w", c.Server, ErrNotATicket)
	}
	return &Credentials{
		Client:      msg.PrincipalName{NameType: msg.NameType(c.Client.NameType), NameString: append([]string(nil), c.Client.Components...)},
		ClientRealm: c.Client.Realm,
		Server:      msg.PrincipalName{NameType: msg.NameType(c.Server.NameType), NameString: append([]string(nil), c.Server.Components...)},
		ServerRealm: c.Server.Realm,
		Ticket:      append([]byte(nil), c.Ticket...),
		SessionKey:  c.Key,
		AuthTime:    c.AuthTime,
		StartTime:   c.StartTime,
		EndTime:     c.EndTime,
		RenewTill:   c.RenewTill,
		Flags:       msg.TicketFlags(c.Flags),
		KDCOffset:   kdcOffset,
	}, nil
}
