package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultAgentFile is where gmsad reads its configuration unless told.
const DefaultAgentFile = "/etc/gmsa/gmsad.yaml"

// Agent is gmsad's configuration file.
type Agent struct {
	// Domain is the DNS domain (contoso.com); required.
	Domain string `yaml:"domain"`
	// Realm defaults to Domain in upper case.
	Realm string `yaml:"realm,omitempty"`
	// DCs are tried in order; empty means DNS SRV discovery.
	DCs []DC `yaml:"dcs,omitempty"`
	// DNSServer (host:port) answers discovery instead of the system.
	DNSServer string `yaml:"dnsServer,omitempty"`
	// CAFile is a PEM file of CAs for the DCs' LDAPS certificates.
	CAFile string `yaml:"caFile,omitempty"`
	// Host is how the agent proves the host's identity.
	Host Host `yaml:"host"`
	// StateDir holds state.db (default /var/lib/gmsad).
	StateDir string `yaml:"stateDir,omitempty"`
	// Socket is the API's Unix socket (default /run/gmsad/gmsad.sock).
	Socket string `yaml:"socket,omitempty"`
	// SocketGroup (a name or a gid) owns the socket; its members may
	// create leases. Empty: root only.
	SocketGroup string `yaml:"socketGroup,omitempty"`
	// LeaseRoot holds the lease directories (default /run/gmsad/leases).
	LeaseRoot string `yaml:"leaseRoot,omitempty"`
	// TicketLifetime and RenewLifetime are asked for in each AS exchange.
	TicketLifetime Duration `yaml:"ticketLifetime,omitempty"`
	RenewLifetime  Duration `yaml:"renewLifetime,omitempty"`
	// OrphanTTL: a lease tied to its creating process (gmsa run) is
	// deleted this long after the process is gone (default 5m).
	OrphanTTL Duration `yaml:"orphanTTL,omitempty"`
	// Renewal is the renewal policy.
	Renewal Renewal `yaml:"renewal,omitempty"`
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string `yaml:"logLevel,omitempty"`
}

// DC is one domain controller.
type DC struct {
	// LDAP is ldap://host[:port] (Kerberos bind, sealed) or
	// ldaps://host[:port].
	LDAP string `yaml:"ldap"`
	// KDC is host[:port] (port 88 by default).
	KDC string `yaml:"kdc"`
}

// Host is the host's identity: a machine keytab (domain-joined host) or a
// portable identity's credentials file (non-domain-joined host).
type Host struct {
	Keytab    string `yaml:"keytab,omitempty"`
	Principal string `yaml:"principal,omitempty"`
	// CredentialsFile is the portable identity: a JSON object with
	// "domain", "username" and "password" (docs/credspec.md), readable by
	// root only. The agent binds with it over LDAPS.
	CredentialsFile string `yaml:"credentialsFile,omitempty"`
}

// Renewal is the renewal policy; zero fields take the agent's defaults.
type Renewal struct {
	RenewAt    float64  `yaml:"renewAt,omitempty"`
	Jitter     float64  `yaml:"jitter,omitempty"`
	Margin     Duration `yaml:"margin,omitempty"`
	MinBackoff Duration `yaml:"minBackoff,omitempty"`
	MaxBackoff Duration `yaml:"maxBackoff,omitempty"`
}

// Duration is a time.Duration written as Go writes it ("10h", "90s").
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q: not a duration such as 10h or 90s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// DefaultAgent returns the defaults of every optional field.
func DefaultAgent() Agent {
	return Agent{
		StateDir:       "/var/lib/gmsad",
		Socket:         "/run/gmsad/gmsad.sock",
		LeaseRoot:      "/run/gmsad/leases",
		TicketLifetime: Duration(10 * time.Hour),
		RenewLifetime:  Duration(7 * 24 * time.Hour),
		OrphanTTL:      Duration(5 * time.Minute),
		LogLevel:       "info",
	}
}

// ParseAgent reads a configuration file's content over the defaults and
// validates it. Unknown fields are errors, so that a typo is not ignored.
func ParseAgent(b []byte) (*Agent, error) {
	c := DefaultAgent()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file: the defaults
		return nil, fmt.Errorf("gmsad config: %w", err)
	}
	if c.Host.Keytab == "" && c.Host.CredentialsFile == "" {
		c.Host.Keytab = "/etc/krb5.keytab"
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadAgent reads and validates the configuration file at path.
func LoadAgent(path string) (*Agent, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gmsad config: %w", err)
	}
	c, err := ParseAgent(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate checks the configuration; errors name the field and its value.
func (c *Agent) Validate() error {
	if c.Domain == "" || strings.ContainsAny(c.Domain, " /:") {
		return fmt.Errorf("gmsad config: domain %q: want a DNS domain such as contoso.com", c.Domain)
	}
	if (c.Host.Keytab == "") == (c.Host.CredentialsFile == "") {
		return fmt.Errorf("gmsad config: host: give keytab or credentialsFile, not both")
	}
	for i, dc := range c.DCs {
		l := strings.ToLower(dc.LDAP)
		if !strings.HasPrefix(l, "ldap://") && !strings.HasPrefix(l, "ldaps://") {
			return fmt.Errorf("gmsad config: dcs[%d].ldap %q: want ldap://HOST[:PORT] or ldaps://HOST[:PORT]", i, dc.LDAP)
		}
		if c.Host.CredentialsFile != "" && !strings.HasPrefix(l, "ldaps://") {
			return fmt.Errorf("gmsad config: dcs[%d].ldap %q: host.credentialsFile binds with a password, which needs ldaps://", i, dc.LDAP)
		}
		if dc.KDC == "" {
			return fmt.Errorf("gmsad config: dcs[%d].kdc is empty", i)
		}
	}
	for name, p := range map[string]string{"stateDir": c.StateDir, "socket": c.Socket, "leaseRoot": c.LeaseRoot} {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("gmsad config: %s %q: want an absolute path", name, p)
		}
	}
	if c.TicketLifetime < Duration(time.Minute) {
		return fmt.Errorf("gmsad config: ticketLifetime %v: want at least 1m", time.Duration(c.TicketLifetime))
	}
	if c.OrphanTTL < 0 {
		return fmt.Errorf("gmsad config: orphanTTL %v: negative", time.Duration(c.OrphanTTL))
	}
	if c.RenewLifetime < 0 {
		return fmt.Errorf("gmsad config: renewLifetime %v: negative", time.Duration(c.RenewLifetime))
	}
	if r := c.Renewal.RenewAt; r < 0 || r >= 1 {
		return fmt.Errorf("gmsad config: renewal.renewAt %v: want a fraction between 0 and 1", r)
	}
	if j := c.Renewal.Jitter; j < 0 || j >= 0.5 {
		return fmt.Errorf("gmsad config: renewal.jitter %v: want a fraction between 0 and 0.5", j)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("gmsad config: logLevel %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}
