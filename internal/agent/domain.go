package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// krb5Conf is the krb5.conf the agent uses itself and writes into every
// lease: the realm, its KDCs (or DNS discovery when none are configured)
// and the domain's mapping. It names no file path, so that it reads the
// same inside a container.
func krb5Conf(realm, domain string, dcs []DC) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_kdc = %t\n\tdns_lookup_realm = false\n", realm, len(dcs) == 0)
	b.WriteString("\trdns = false\n\tdns_canonicalize_hostname = false\n\tudp_preference_limit = 1\n")
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", realm)
	for _, dc := range dcs {
		fmt.Fprintf(&b, "\t\tkdc = %s\n", dc.KDC)
	}
	fmt.Fprintf(&b, "\t}\n\n[domain_realm]\n\t.%s = %s\n\t%s = %s\n", domain, realm, domain, realm)
	return []byte(b.String())
}

// newKerberos makes the Kerberos client the agent uses for its gMSAs and
// for the host itself, over the KDCs of krb5.conf.
func newKerberos(o *Options, conf []byte) (*client.Client, error) {
	cfg, err := transport.ParseConfig(conf)
	if err != nil {
		return nil, fmt.Errorf("agent: the generated krb5.conf: %w", err)
	}
	return &client.Client{
		Transport: transport.New(cfg, transport.Options{DNSServer: o.DNSServer}),
		Now:       o.Now,
		Rand:      o.Rand,
	}, nil
}

// dial connects to a DC and binds as the host: the configured DCs in order,
// else those DNS names. The caller closes the connection.
func (a *Agent) dial(ctx context.Context) (*directory.Conn, error) {
	if len(a.opt.DCs) == 0 {
		var resolver *net.Resolver
		if a.opt.DNSServer != "" {
			resolver = transport.ResolverFor(a.opt.DNSServer)
		}
		dcs, err := directory.DiscoverDCs(ctx, a.opt.Domain, resolver)
		if err != nil {
			return nil, err
		}
		scheme := "ldap"
		if a.opt.Host.User != "" {
			scheme = "ldaps" // a simple bind only over TLS
		}
		c, err := directory.DialAny(ctx, dcs, scheme, resolver, directory.Options{CAFile: a.opt.CAFile})
		if err != nil {
			return nil, err
		}
		if err := a.bind(ctx, c); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	var errs []error
	for _, dc := range a.opt.DCs {
		c, err := directory.Dial(ctx, directory.Options{Server: dc.LDAP, CAFile: a.opt.CAFile})
		if err == nil {
			if err = a.bind(ctx, c); err == nil {
				return c, nil
			}
			c.Close()
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no domain controller answered: %w", errors.Join(errs...))
}

// bind authenticates c as the host: a simple bind over TLS with the
// configured account, or SASL GSSAPI with a TGT from the machine keytab.
func (a *Agent) bind(ctx context.Context, c *directory.Conn) error {
	if a.opt.Host.User != "" {
		return c.BindSimple(ctx, a.opt.Host.User, a.opt.Host.Password)
	}
	tgt, err := a.hostTGT(ctx)
	if err != nil {
		return err
	}
	dse, err := c.RootDSE(ctx)
	if err != nil {
		return err
	}
	opts := directory.GSSAPIOptions{Client: a.kc, TGT: tgt, Now: a.opt.Now, Rand: a.opt.Rand}
	if dse.DNSHostName != "" {
		opts.SPN = "ldap/" + strings.ToLower(dse.DNSHostName)
	}
	return c.BindGSSAPI(ctx, opts)
}

// hostTGT logs the host in with its machine keytab, reusing the TGT until
// it nears its end.
func (a *Agent) hostTGT(ctx context.Context) (*client.Credentials, error) {
	a.hostMu.Lock()
	defer a.hostMu.Unlock()
	now := a.opt.Now()
	if a.hostCred != nil && now.Add(a.policy.Margin).Before(a.hostCred.EndTime) {
		return a.hostCred, nil
	}
	b, err := os.ReadFile(a.opt.Host.Keytab)
	if err != nil {
		return nil, fmt.Errorf("host keytab: %w", err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("host keytab %s: %w", a.opt.Host.Keytab, err)
	}
	principal := a.opt.Host.Principal
	if principal == "" {
		for _, e := range kt.Entries {
			if len(e.Principal.Components) == 1 && strings.HasSuffix(e.Principal.Components[0], "$") {
				principal = e.Principal.Components[0]
				break
			}
		}
	}
	if principal == "" {
		return nil, fmt.Errorf("host keytab %s: no NAME$ entry; set the host principal", a.opt.Host.Keytab)
	}
	tgt, err := a.kc.Login(ctx, client.LoginRequest{Principal: principal, Realm: a.realm,
		Keys: client.Keytab{Keytab: kt, Principal: principal}})
	if err != nil {
		return nil, err
	}
	a.hostCred = tgt
	return tgt, nil
}

// readPassword reads a gMSA's msDS-ManagedPassword from the first DC that
// answers, with the account's key version number (msDS-KeyVersionNumber,
// read after the password since a DC may bump it on that read).
func (a *Agent) readPassword(ctx context.Context, account string) (*directory.ManagedPasswordResult, uint32, error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	r, err := c.ManagedPassword(ctx, account)
	if err != nil {
		return nil, 0, err
	}
	a.metrics.passwordReads.Add(1)
	acct, err := c.FindAccount(ctx, r.SAMAccountName)
	if err != nil {
		return nil, 0, err
	}
	return r, acct.KeyVersionNumber, nil
}

// deriveKeys derives the AES keys of a gMSA password.
func (a *Agent) deriveKeys(p *managedpassword.Password, account string) (client.Keys, error) {
	k, err := managedpassword.KeysFor(p, a.realm, account, a.opt.Domain)
	if err != nil {
		return nil, err
	}
	a.metrics.keyDerivations.Add(1)
	return client.Keys{k.AES256, k.AES128}, nil
}
