package config

import (
	"strings"
	"testing"
	"time"
)

const validYAML = `
domain: contoso.com
dcs:
  - ldap: ldaps://dc1.contoso.com
    kdc: dc1.contoso.com:88
caFile: /etc/gmsa/ca.pem
host:
  credentialsFile: /etc/gmsa/host.json
socketGroup: gmsa
ticketLifetime: 8h
renewal:
  jitter: 0.2
  minBackoff: 2s
`

func TestParseAgent(t *testing.T) {
	t.Parallel()
	c, err := ParseAgent([]byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "contoso.com" || len(c.DCs) != 1 || c.Host.CredentialsFile != "/etc/gmsa/host.json" || c.Host.Keytab != "" ||
		time.Duration(c.TicketLifetime) != 8*time.Hour || time.Duration(c.RenewLifetime) != 7*24*time.Hour ||
		c.Renewal.Jitter != 0.2 || time.Duration(c.Renewal.MinBackoff) != 2*time.Second ||
		c.StateDir != "/var/lib/gmsad" || c.Socket != "/run/gmsad/gmsad.sock" || c.LeaseRoot != "/run/gmsad/leases" {
		t.Errorf("parsed: %+v", c)
	}
	c, err = ParseAgent([]byte("domain: contoso.com\n"))
	if err != nil || c.Host.Keytab != "/etc/krb5.keytab" {
		t.Errorf("the default host identity is /etc/krb5.keytab: %+v, %v", c, err)
	}
}

func TestParseAgentRejects(t *testing.T) {
	t.Parallel()
	// Each case changes one line of the valid file.
	tests := []struct {
		name, old, new, want string
	}{
		{"a typo in a field name is an error", "host:", "hots:", "field hots not found"},
		{"a duration must parse", "ticketLifetime: 8h", "ticketLifetime: 10 hours", `"10 hours": not a duration`},
		{"a password bind needs ldaps", "ldaps://dc1.contoso.com", "ldap://dc1.contoso.com", `dcs[0].ldap "ldap://dc1.contoso.com"`},
		{"a DC needs its KDC", "kdc: dc1.contoso.com:88", "kdc: ''", "dcs[0].kdc is empty"},
		{"two host identities are refused", "  credentialsFile: /etc/gmsa/host.json", "  credentialsFile: /c\n  keytab: /k", "not both"},
		{"paths are absolute", "caFile: /etc/gmsa/ca.pem", "stateDir: state", `stateDir "state"`},
		{"jitter is a small fraction", "jitter: 0.2", "jitter: 0.7", "renewal.jitter 0.7"},
		{"the log level is known", "socketGroup: gmsa", "logLevel: loud", `logLevel "loud"`},
		{"the domain is required", "domain: contoso.com", "domain: ''", `domain ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := strings.Replace(validYAML, tc.old, strings.ReplaceAll(tc.new, `\n`, "\n"), 1)
			if in == validYAML {
				t.Fatalf("%q is not in the valid file", tc.old)
			}
			_, err := ParseAgent([]byte(in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
