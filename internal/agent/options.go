package agent

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Options configure an Agent. internal/config builds them from gmsad's
// configuration file and flags.
type Options struct {
	// Domain is the DNS domain (contoso.com); Realm the Kerberos realm
	// (default: Domain in upper case).
	Domain string
	Realm  string
	// DCs are the domain controllers, tried in order. Empty means DNS SRV
	// discovery (_ldap._tcp.dc._msdcs.<domain> for LDAP, the realm's
	// _kerberos SRV records for the KDC).
	DCs []DC
	// DNSServer ("host:port") answers discovery instead of the system's
	// resolver.
	DNSServer string
	// CAFile is a PEM file of CAs trusted for the DCs' LDAPS certificates.
	CAFile string
	// Host is how the agent authenticates as the host to read gMSA
	// passwords.
	Host HostCredentials
	// StateDir holds the lease database (state.db).
	StateDir string
	// LeaseRoot holds one directory per lease.
	LeaseRoot string
	// CreateGroup is the gid whose members may create leases besides root;
	// -1 for none.
	CreateGroup int
	// Policy is the renewal policy.
	Policy Policy
	// TicketLifetime and RenewLifetime are asked for in each AS exchange
	// (default 10 h and 7 days); the KDC caps them.
	TicketLifetime, RenewLifetime time.Duration
	// OrphanTTL: a lease tied to its creating process (TieToCaller) is
	// deleted this long after that process was first seen gone (default
	// 5 minutes).
	OrphanTTL time.Duration
	// Now, Rand and Logger default to time.Now, crypto/rand and a discarding
	// logger.
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// DC is one domain controller: its LDAP endpoint (ldap://host[:port] or
// ldaps://host[:port]) and its KDC (host[:port], default port 88).
type DC struct {
	LDAP string
	KDC  string
}

// HostCredentials say how the host proves who it is to a DC. Exactly one of
// Keytab and User is set.
type HostCredentials struct {
	// Keytab is a machine keytab (domain-joined host); Principal picks its
	// entry (default: its first NAME$ entry). The agent binds with SASL
	// GSSAPI, sealed on ldap://, with channel bindings on ldaps://.
	Keytab    string
	Principal string
	// User and Password are an account allowed to read the gMSAs'
	// passwords, bound with a simple bind over TLS (ldaps:// only): the
	// portable identity of a host not joined to the domain, or a
	// computer account's name and password.
	User     string
	Password string
}

// validate checks what New needs; messages name the field and the value.
func (o *Options) validate() error {
	if o.Domain == "" {
		return fmt.Errorf("agent: Domain is empty")
	}
	if o.StateDir == "" {
		return fmt.Errorf("agent: StateDir is empty")
	}
	if o.LeaseRoot == "" {
		return fmt.Errorf("agent: LeaseRoot is empty")
	}
	if (o.Host.Keytab == "") == (o.Host.User == "") {
		return fmt.Errorf("agent: Host: give exactly one of Keytab and User")
	}
	for i, dc := range o.DCs {
		l := strings.ToLower(dc.LDAP)
		if !strings.HasPrefix(l, "ldap://") && !strings.HasPrefix(l, "ldaps://") {
			return fmt.Errorf("agent: DCs[%d].LDAP %q: not ldap://HOST[:PORT] or ldaps://HOST[:PORT]", i, dc.LDAP)
		}
		if o.Host.User != "" && !strings.HasPrefix(l, "ldaps://") {
			return fmt.Errorf("agent: DCs[%d].LDAP %q: a simple bind (Host.User) needs ldaps://", i, dc.LDAP)
		}
		if dc.KDC == "" {
			return fmt.Errorf("agent: DCs[%d].KDC is empty", i)
		}
	}
	return nil
}
