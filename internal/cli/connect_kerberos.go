package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

// kerberosTGT gets a TGT in the credentials order of architecture.md: an
// explicit --keytab or --ccache; else the ccache KRB5CCNAME names; else
// /etc/krb5.keytab. It returns the TGT and the client to use for the
// LDAP service ticket.
func (f *connectFlags) kerberosTGT(ctx context.Context, domain string) (*client.Client, *client.Credentials, error) {
	cfg, err := transport.LoadDefault()
	if err != nil {
		return nil, nil, usageError("fix the file KRB5_CONFIG names (or /etc/krb5.conf)", "%v", err)
	}
	// KDCs not in krb5.conf are found by SRV through --dns-server too.
	kc := &client.Client{Transport: transport.New(cfg, transport.Options{DNSServer: orEnv(f.dnsServer, "GMSA_DNS_SERVER")}), Now: time.Now, Rand: rand.Reader}
	keytabPath := orEnv(f.keytab, "GMSA_KEYTAB")
	ccacheName := f.ccache
	switch {
	case keytabPath != "" && ccacheName != "":
		return nil, nil, usageError("", "give --keytab or --ccache, not both")
	case keytabPath == "" && ccacheName == "":
		if os.Getenv("KRB5CCNAME") != "" {
			ccacheName = os.Getenv("KRB5CCNAME")
		} else {
			keytabPath = "/etc/krb5.keytab"
		}
	}
	if ccacheName != "" {
		path, err := ccachePath(ccacheName)
		if err != nil {
			return nil, nil, err
		}
		c, err := loadCache(path)
		if err != nil {
			return nil, nil, err
		}
		tgt, err := cachedTGT(c, path)
		return kc, tgt, err
	}
	explicit := f.keytab != "" || os.Getenv("GMSA_KEYTAB") != ""
	b, err := os.ReadFile(keytabPath)
	if errors.Is(err, fs.ErrNotExist) && explicit {
		return nil, nil, usageError("", "--keytab %s: no such file", keytabPath)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usageError("bind with --user NAME --password-file FILE over ldaps://, or --keytab, or --ccache",
			"no credentials: no --user, --keytab or --ccache, KRB5CCNAME is not set and %s does not exist", keytabPath)
	}
	if err != nil {
		return nil, nil, dataError(err, "")
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		return nil, nil, dataError(fmt.Errorf("%s: %w", keytabPath, err), "")
	}
	principal := f.principal
	if principal == "" {
		for _, e := range kt.Entries {
			if len(e.Principal.Components) == 1 && strings.HasSuffix(e.Principal.Components[0], "$") {
				principal = e.Principal.String()
				break
			}
		}
		if principal == "" && len(kt.Entries) > 0 {
			principal = kt.Entries[0].Principal.String()
		}
	}
	if principal == "" {
		return nil, nil, dataError(fmt.Errorf("%s holds no keys", keytabPath), "")
	}
	realm := cfg.LibDefaults.DefaultRealm
	if realm == "" {
		realm = strings.ToUpper(domain)
	}
	tgt, err := kc.Login(ctx, client.LoginRequest{Principal: principal, Realm: realm, Keys: client.Keytab{Keytab: kt, Principal: principal}})
	if err != nil {
		return nil, nil, kerberosError(err)
	}
	return kc, tgt, nil
}

// dialKerberos connects and binds with SASL GSSAPI: sign and seal on
// ldap://, channel bindings on ldaps:// and StartTLS. The DC's service
// principal is ldap/<its dnsHostName>, read from the rootDSE, so that
// --server may name the DC by address.
func (f *connectFlags) dialKerberos(ctx context.Context, r resolved) (*directory.Conn, error) {
	kc, tgt, err := f.kerberosTGT(ctx, r.domain)
	if err != nil {
		return nil, err
	}
	c, err := directory.Dial(ctx, directory.Options{Server: r.server, StartTLS: r.startTLS, CAFile: r.caFile})
	if err != nil {
		return nil, directoryError(err)
	}
	return f.bindKerberos(ctx, c, kc, tgt)
}

// bindKerberos binds c with SASL GSSAPI as tgt's client, closing c on
// failure. The service principal is ldap/<the DC's dnsHostName> from its
// rootDSE, so that the DC may have been dialled by address.
func (f *connectFlags) bindKerberos(ctx context.Context, c *directory.Conn, kc *client.Client, tgt *client.Credentials) (*directory.Conn, error) {
	dse, err := c.RootDSE(ctx)
	if err != nil {
		c.Close()
		return nil, directoryError(err)
	}
	opts := directory.GSSAPIOptions{Client: kc, TGT: tgt}
	if dse.DNSHostName != "" {
		opts.SPN = "ldap/" + strings.ToLower(dse.DNSHostName)
	}
	if err := c.BindGSSAPI(ctx, opts); err != nil {
		c.Close()
		return nil, directoryError(err)
	}
	f.boundAs = tgt.ClientName()
	return c, nil
}
