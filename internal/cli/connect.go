package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

// connectFlags are the flags every verb that talks to a domain controller
// takes (architecture.md, "Connecting to a domain"). Flags win over the
// environment (GMSA_SERVER, GMSA_DOMAIN, GMSA_CA_FILE, GMSA_USER,
// GMSA_PASSWORD_FILE).
//
// Credentials, in the architecture's order when several are possible: an
// explicit flag (--user, --keytab or --ccache), then the ccache KRB5CCNAME
// names, then /etc/krb5.keytab. Kerberos binds use SASL GSSAPI: with
// sign+seal on ldap://, with channel bindings on ldaps:// or StartTLS.
type connectFlags struct {
	server       string
	domain       string
	caFile       string
	startTLS     bool
	user         string
	passwordFile string
	keytab       string
	principal    string
	ccache       string
	dnsServer    string

	boundAs string // set by dial: the identity bound as
}

// register adds the connection flags to cmd.
func (f *connectFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "domain controller: host, host:port, ldap://host[:port] or ldaps://host[:port] (default GMSA_SERVER, else the DCs DNS SRV _ldap._tcp.dc._msdcs.<domain> names)")
	fl.StringVar(&f.domain, "domain", "", "the DNS domain (default GMSA_DOMAIN); checked against the domain the DC serves")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of the CA to trust for TLS (default GMSA_CA_FILE, else the system's)")
	fl.BoolVar(&f.startTLS, "start-tls", false, "upgrade an ldap:// connection with StartTLS")
	fl.StringVar(&f.user, "user", "", "bind as NAME (NAME@domain, DOMAIN\\NAME or a DN) with a simple bind over TLS (default GMSA_USER)")
	fl.StringVar(&f.passwordFile, "password-file", "", "file whose first line is the --user's password (default GMSA_PASSWORD_FILE)")
	fl.StringVar(&f.keytab, "keytab", "", "bind with Kerberos as a machine account from this keytab (default GMSA_KEYTAB; /etc/krb5.keytab when no other credentials)")
	fl.StringVar(&f.principal, "principal", "", "the keytab's principal to use (default: its first NAME$ entry)")
	fl.StringVar(&f.ccache, "ccache", "", "bind with Kerberos using the TGT in this credential cache (default KRB5CCNAME)")
	fl.StringVar(&f.dnsServer, "dns-server", "", "the DNS server (host:port) for discovery: the domain's DCs without --server, and KDCs not in krb5.conf (default GMSA_DNS_SERVER, else the system's)")
}

// orEnv returns the flag value, else the environment variable.
func orEnv(flag, name string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(name)
}

// resolved are the connection settings after flags and environment.
type resolved struct {
	server, domain, caFile, user, passwordFile string
	startTLS                                   bool
	// discover: no --server, so the DCs come from DNS SRV records, asked
	// of dnsServer (host:port) when set.
	discover  bool
	dnsServer string
}

func (f *connectFlags) resolve() (resolved, error) {
	r := resolved{
		server:       orEnv(f.server, "GMSA_SERVER"),
		domain:       strings.TrimSuffix(strings.ToLower(orEnv(f.domain, "GMSA_DOMAIN")), "."),
		caFile:       orEnv(f.caFile, "GMSA_CA_FILE"),
		user:         orEnv(f.user, "GMSA_USER"),
		passwordFile: orEnv(f.passwordFile, "GMSA_PASSWORD_FILE"),
		startTLS:     f.startTLS,
	}
	// Flags beat the environment: an explicit Kerberos credential on the
	// command line is not overridden by GMSA_USER/GMSA_PASSWORD_FILE (as
	// exported by `gmsa lab env`).
	if f.user == "" && (f.keytab != "" || f.ccache != "") {
		r.user, r.passwordFile = "", ""
	}
	if r.server == "" {
		if r.domain == "" {
			return r, usageError("give --server ldaps://dc1.contoso.com (or GMSA_SERVER), or --domain (or GMSA_DOMAIN)",
				"no domain controller: neither --server nor --domain is set")
		}
		// The DCs come from DNS: see dialDiscovered. A simple bind there
		// always goes over TLS (ldaps://, or StartTLS with --start-tls).
		r.discover = true
		r.dnsServer = orEnv(f.dnsServer, "GMSA_DNS_SERVER")
		if r.dnsServer != "" {
			if host, port, err := net.SplitHostPort(r.dnsServer); err != nil || host == "" || port == "" {
				return r, usageError("give it as host:port, e.g. --dns-server 10.0.0.10:53", "--dns-server %q: not host:port", r.dnsServer)
			}
		}
		if r.user != "" && r.passwordFile == "" {
			return r, usageError("put the password on the first line of a file readable only by you", "--user %s needs --password-file (or GMSA_PASSWORD_FILE)", r.user)
		}
		return r, nil
	}
	if r.user == "" {
		return r, nil // a Kerberos bind: see kerberosCreds
	}
	if r.passwordFile == "" {
		return r, usageError("put the password on the first line of a file readable only by you", "--user %s needs --password-file (or GMSA_PASSWORD_FILE)", r.user)
	}
	lower := strings.ToLower(r.server)
	tls := strings.HasPrefix(lower, "ldaps://") || r.startTLS
	if !tls {
		// Refused before any connection is made: nothing is sent.
		return r, usageError("connect with ldaps://HOST or add --start-tls",
			"%s: %w", r.server, directory.ErrInsecureBind)
	}
	return r, nil
}

// readPasswordFile returns the first line of the file, without its line end.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageError("", "--password-file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", usageError("put the password on the first line", "--password-file %s: the first line is empty", path)
	}
	return line, nil
}

// dial connects to the domain controller and binds: simply over TLS with
// --user, otherwise with Kerberos. The caller closes the connection;
// f.boundAs names the identity bound as.
func (f *connectFlags) dial(ctx context.Context) (*directory.Conn, error) {
	r, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if r.discover {
		return f.dialDiscovered(ctx, r)
	}
	if r.user == "" {
		return f.dialKerberos(ctx, r)
	}
	password, err := readPasswordFile(r.passwordFile)
	if err != nil {
		return nil, err
	}
	c, err := directory.Dial(ctx, directory.Options{Server: r.server, StartTLS: r.startTLS, CAFile: r.caFile})
	if err != nil {
		return nil, directoryError(err)
	}
	if err := c.BindSimple(ctx, r.user, password); err != nil {
		c.Close()
		if errors.Is(err, directory.ErrInsecureBind) {
			return nil, usageError("connect with ldaps://HOST or add --start-tls", "%w", err)
		}
		return nil, directoryError(err)
	}
	f.boundAs = r.user
	return c, nil
}

// dialDiscovered connects without --server: the DCs DNS SRV
// _ldap._tcp.dc._msdcs.<domain> names (asked of --dns-server when set),
// in priority order, each tried until one connects. A simple bind goes
// over ldaps:// (or ldap:// with --start-tls); a Kerberos bind over
// ldap://, signed and sealed (or with --start-tls, over TLS with channel
// bindings), as with --server.
func (f *connectFlags) dialDiscovered(ctx context.Context, r resolved) (*directory.Conn, error) {
	var resolver *net.Resolver
	if r.dnsServer != "" {
		resolver = transport.ResolverFor(r.dnsServer)
	}
	// Local mistakes in the credentials are reported before DNS is asked.
	var (
		password string
		kc       *client.Client
		tgt      *client.Credentials
		err      error
	)
	if r.user != "" {
		password, err = readPasswordFile(r.passwordFile)
	} else {
		kc, tgt, err = f.kerberosTGT(ctx, r.domain)
	}
	if err != nil {
		return nil, err
	}
	dcs, err := directory.DiscoverDCs(ctx, r.domain, resolver)
	if err != nil {
		return nil, directoryError(err)
	}
	scheme := "ldap"
	if r.user != "" && !r.startTLS {
		scheme = "ldaps"
	}
	c, err := directory.DialAny(ctx, dcs, scheme, resolver, directory.Options{StartTLS: r.startTLS, CAFile: r.caFile})
	if err != nil {
		return nil, directoryError(err)
	}
	if r.user != "" {
		if err := c.BindSimple(ctx, r.user, password); err != nil {
			c.Close()
			return nil, directoryError(err)
		}
		f.boundAs = r.user
		return c, nil
	}
	return f.bindKerberos(ctx, c, kc, tgt)
}

// dialDomain is dial, then the domain the DC serves, checked against
// --domain (GMSA_DOMAIN): the opening of every AD verb. The caller closes
// the connection.
func (f *connectFlags) dialDomain(ctx context.Context) (*directory.Conn, *directory.DomainInfo, error) {
	c, err := f.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	info, err := c.DomainInfo(ctx)
	if err != nil {
		c.Close()
		return nil, nil, directoryError(err)
	}
	if err := f.checkDomain(info.DNSName); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, info, nil
}

// checkDomain compares --domain (or GMSA_DOMAIN), when set, with the DNS
// name of the domain the DC serves.
func (f *connectFlags) checkDomain(dnsName string) error {
	want := strings.TrimSuffix(strings.ToLower(orEnv(f.domain, "GMSA_DOMAIN")), ".")
	if want != "" && !strings.EqualFold(want, dnsName) {
		return dataError(fmt.Errorf("the domain controller serves %s, not %s (--domain)", dnsName, want),
			"point --server at a DC of "+want+", or drop --domain")
	}
	return nil
}

// directoryError turns an error of package directory into a data error
// carrying its hint.
func directoryError(err error) error {
	var de *directory.Error
	hint := ""
	if errors.As(err, &de) {
		hint = de.Hint
	}
	return dataError(err, hint)
}
