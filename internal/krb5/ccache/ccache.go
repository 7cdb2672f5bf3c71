package ccache

import (
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// Principal is a Kerberos principal name. It is the keytab package's type,
// so that a name read from a keytab and one read from a cache compare and
// print the same way (case-insensitive [keytab.Principal.Equal], MIT
// escaping in String, [keytab.ParsePrincipal]).
type Principal = keytab.Principal

// ParsePrincipal reads "name/instance@REALM" as MIT does; it is
// [keytab.ParsePrincipal], and its errors are [*keytab.Error].
func ParsePrincipal(s string) (Principal, error) { return keytab.ParsePrincipal(s) }

// Cache is the content of a credential cache file.
type Cache struct {
	// Version is the file format version Parse read (1 to 4). Marshal
	// always writes version 4.
	Version int
	// DefaultPrincipal is the client the cache belongs to; klist shows it
	// as "Default principal".
	DefaultPrincipal Principal
	// KDCOffset is the version 4 header's KDC time offset: the KDC's clock
	// minus the client's, measured at the initial authentication. MIT adds
	// it to the local time when it builds requests from this cache. Nil
	// means the header has no offset; Marshal writes one only when it is
	// set, to the microsecond.
	KDCOffset *time.Duration
	// Credentials are the tickets and configuration entries, in file order.
	Credentials []Credential
}

// Credential is one ticket with its session key (MIT krb5_creds), or a
// configuration entry (see [Credential.IsConfig]).
type Credential struct {
	Client Principal
	Server Principal
	// Key is the session key. For a configuration entry it is the zero
	// Key. A key of an encryption type that crypto does not implement has
	// its type and no bytes, and Marshal writes the original bytes back.
	Key crypto.Key
	// The ticket's times in whole seconds; the zero Time stands for 0 in
	// the file (a StartTime of 0 means AuthTime, and a configuration entry
	// has all four at 0).
	AuthTime  time.Time
	StartTime time.Time
	EndTime   time.Time
	RenewTill time.Time
	// IsSKey is set for a ticket encrypted in another ticket's session key
	// (user-to-user, RFC 4120 §2.9.2).
	IsSKey       bool
	Flags        TicketFlags
	Addresses    []Address
	AuthData     []AuthData
	Ticket       []byte // the DER Ticket (RFC 4120 §5.3), or a configuration entry's value
	SecondTicket []byte // the DER additional ticket of a user-to-user request, usually empty

	// opaque holds the session key bytes of an encryption type crypto does
	// not implement; a func so that fmt never prints them.
	opaque func() []byte
}

// Address is a HostAddress (RFC 4120 §5.2.5); the file holds its type in
// 16 bits, unsigned.
type Address struct {
	Type int32 // 2 IPv4, 24 IPv6, …
	Data []byte
}

// AuthData is one AuthorizationData element (RFC 4120 §5.2.6); the file
// holds its type in 16 bits, signed.
type AuthData struct {
	Type int32
	Data []byte
}

// Configuration entries (MIT's krb5_cc_set_config).
const (
	ConfigRealm     = "X-CACHECONF:"          // the server realm that marks a configuration entry
	ConfigComponent = "krb5_ccache_conf_data" // its server's first component
)

// IsConfig reports whether c is a configuration entry: a server principal
// krb5_ccache_conf_data/KEY[/PRINCIPAL]@X-CACHECONF:.
func (c *Credential) IsConfig() bool {
	s := c.Server
	return s.Realm == ConfigRealm && (len(s.Components) == 2 || len(s.Components) == 3) && s.Components[0] == ConfigComponent
}

// ConfigKey returns a configuration entry's key ("pa_type") and the
// principal it is associated with ("krbtgt/CONTOSO.COM@CONTOSO.COM", or ""
// when none); ok is false when c is not a configuration entry.
func (c *Credential) ConfigKey() (key, principal string, ok bool) {
	if !c.IsConfig() {
		return "", "", false
	}
	if len(c.Server.Components) == 3 {
		principal = c.Server.Components[2]
	}
	return c.Server.Components[1], principal, true
}

// NewConfig makes a configuration entry as MIT's krb5_cc_set_config does:
// client is the cache's default principal, principal (may be empty) the
// principal the key is about, in [Principal.String] form, and value is
// stored in the ticket field. Every other field is zero.
func NewConfig(client Principal, key, principal string, value []byte) Credential {
	comps := []string{ConfigComponent, key}
	if principal != "" {
		comps = append(comps, principal)
	}
	return Credential{
		Client: client,
		Server: Principal{NameType: keytab.NameTypePrincipal, Components: comps, Realm: ConfigRealm},
		Ticket: append([]byte(nil), value...),
	}
}

// Config returns the value of the first configuration entry with the key,
// whatever principal it is associated with, or nil. kinit writes "pa_type"
// (the pre-authentication type, "2" for encrypted timestamp) and
// "fast_avail" ("yes" when the KDC offered FAST).
func (c *Cache) Config(key string) []byte {
	for i := range c.Credentials {
		if k, _, ok := c.Credentials[i].ConfigKey(); ok && k == key {
			return append([]byte{}, c.Credentials[i].Ticket...)
		}
	}
	return nil
}

// TGT returns the ticket-granting ticket krbtgt/REALM@REALM for realm, or
// for the default principal's realm when realm is empty; realms compare
// case-insensitively. When the cache holds several, the one that expires
// last wins. Whether it is still valid is for the caller to judge with its
// own clock. The error is an [*Error] wrapping [ErrNotFound].
func (c *Cache) TGT(realm string) (Credential, error) {
	if realm == "" {
		realm = c.DefaultPrincipal.Realm
	}
	best := -1
	for i := range c.Credentials {
		s := c.Credentials[i].Server
		if len(s.Components) != 2 || s.Components[0] != "krbtgt" ||
			!strings.EqualFold(s.Components[1], realm) || !strings.EqualFold(s.Realm, realm) {
			continue
		}
		if best < 0 || c.Credentials[i].EndTime.After(c.Credentials[best].EndTime) {
			best = i
		}
	}
	if best < 0 {
		return Credential{}, &Error{Op: "tgt", Offset: -1, Reason: "no krbtgt/" + realm + "@" + realm + " in the cache", Err: ErrNotFound}
	}
	return c.Credentials[best], nil
}

// keyBytes returns the session key bytes Marshal writes: Key's, or those
// Parse kept for an encryption type crypto does not implement, or none.
func (c *Credential) keyBytes() []byte {
	if b := c.Key.Bytes(); b != nil {
		return b
	}
	if c.opaque != nil {
		return c.opaque()
	}
	return nil
}
