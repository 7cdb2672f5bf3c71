package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

// kerberos builds a Kerberos client from the MIT environment: KRB5_CONFIG
// (else /etc/krb5.conf) for the realm's KDCs and default realm.
func kerberos(e *env) (*client.Client, *transport.Config, error) {
	cfg, err := transport.LoadDefault()
	if err != nil {
		return nil, nil, usageError("fix the file KRB5_CONFIG names (or /etc/krb5.conf)", "%v", err)
	}
	return &client.Client{Transport: transport.New(cfg, transport.Options{}), Now: e.now, Rand: rand.Reader}, cfg, nil
}

// kerberosError turns a KDC or transport failure into a data error whose
// hint says what to do.
func kerberosError(err error) error {
	hint := ""
	var kdcErr *client.KDCError
	var nce *client.NoCommonEncTypeError
	switch {
	case errors.As(err, &kdcErr):
		hint = kdcErr.Hint()
	case errors.As(err, &nce):
		hint = nce.Hint()
	case errors.Is(err, transport.ErrNoKDC):
		hint = "check the realm's kdc entries in KRB5_CONFIG (or DNS SRV _kerberos._tcp.REALM) and that the KDC is reachable"
	}
	return dataError(err, hint)
}

type kinitResult struct {
	Client    string `json:"client"`
	Cache     string `json:"cache"`
	Start     string `json:"start"`
	End       string `json:"end"`
	RenewTill string `json:"renew_till,omitempty"`
	Flags     string `json:"flags"`
	EncType   string `json:"enctype"`
	KDCOffset string `json:"kdc_offset,omitempty"`
}

func (r kinitResult) table(w io.Writer) {
	rows(w, "Client", r.Client, "Cache", "FILE:"+r.Cache, "Valid", r.Start+" – "+r.End, "Renew until", r.RenewTill,
		"Flags", r.Flags, "Session key", r.EncType, "KDC clock offset", r.KDCOffset)
}

func describeTGT(cr *client.Credentials, path string) kinitResult {
	start := cr.StartTime
	if start.IsZero() {
		start = cr.AuthTime
	}
	r := kinitResult{Client: cr.ClientName(), Cache: path, Start: rfc3339(start), End: rfc3339(cr.EndTime),
		Flags: ccache.TicketFlags(cr.Flags).String(), EncType: cr.SessionKey.Type.String()}
	if !cr.RenewTill.IsZero() {
		r.RenewTill = rfc3339(cr.RenewTill)
	}
	if cr.KDCOffset.Abs() >= time.Second {
		r.KDCOffset = cr.KDCOffset.Round(time.Second).String()
	}
	return r
}

const kinitExample = `  # A password on standard input (the first line):
  printf '%s\n' "$PW" | gmsa kinit alice@CONTOSO.COM

  # A host's machine account from its keytab, renewable for a week, into a given cache:
  gmsa kinit -k -t /etc/krb5.keytab -r 7d 'NODE1$@CONTOSO.COM' -c /tmp/host.cc

  # Renew the TGT in the default cache:
  gmsa kinit -R`

func newKinitCommand(e *env) *cobra.Command {
	var (
		useKeytab, renew, forwardable bool
		keytabName, passwordFile      string
		cache, lifetime, renewable    string
		salt                          string
	)
	cmd := &cobra.Command{
		Use:   "kinit [-k [-t KEYTAB] | --password-file F] [-l LIFE] [-r RENEW] [-f] [-c CACHE] PRINCIPAL | kinit -R [-c CACHE]",
		Short: "Get a Kerberos TGT into a credential cache, like MIT kinit",
		Long: `Get a ticket-granting ticket for PRINCIPAL and store it in a credential cache,
as MIT kinit does — for containers that have no MIT tools.

Keys come from a keytab (-k; the keytab is -t, else KRB5_KTNAME, else
/etc/krb5.keytab), or from a password: --password-file (its first line) or
the first line of standard input. The salt is the one the KDC announces
(PA-ETYPE-INFO2) unless --salt is given. -R renews the TGT already in the
cache instead.

The KDCs are found from KRB5_CONFIG (else /etc/krb5.conf): the realm's kdc
entries, else DNS SRV records. The cache is -c, else KRB5CCNAME, else
FILE:/tmp/krb5cc_<uid>; it is replaced atomically with mode 0600, and
records the KDC's clock offset when the host's clock is off.`,
		Example: kinitExample,
		Args:    maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := ccachePath(cache)
			if err != nil {
				return err
			}
			kc, cfg, err := kerberos(e)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			var creds *client.Credentials
			if renew {
				if len(args) != 0 || useKeytab || passwordFile != "" {
					return usageError("", "-R renews the cached TGT: it takes no principal or keys")
				}
				creds, err = renewTGT(ctx, kc, path)
				if err != nil {
					return err
				}
			} else {
				if len(args) != 1 {
					return usageError("e.g. gmsa kinit alice@CONTOSO.COM", "kinit needs a principal")
				}
				req := client.LoginRequest{Principal: args[0], Realm: cfg.LibDefaults.DefaultRealm, Forwardable: forwardable}
				if req.Lifetime, err = optionalDuration("lifetime", lifetime); err != nil {
					return err
				}
				if req.RenewLifetime, err = optionalDuration("renewable", renewable); err != nil {
					return err
				}
				if req.Keys, err = kinitKeys(e, args[0], useKeytab, keytabName, passwordFile, salt); err != nil {
					return err
				}
				if creds, err = kc.Login(ctx, req); err != nil {
					return kerberosError(err)
				}
			}
			out, err := client.NewCache(creds).Marshal()
			if err != nil {
				return dataError(err, "")
			}
			if err := writeFileAtomic(path, out, 0o600); err != nil {
				return dataError(fmt.Errorf("writing the credential cache: %w", err), "")
			}
			return render(e, describeTGT(creds, path))
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&useKeytab, "use-keytab", "k", false, "take the keys from a keytab")
	fl.StringVarP(&keytabName, "keytab", "t", "", "keytab for -k (default KRB5_KTNAME, else /etc/krb5.keytab)")
	fl.StringVar(&passwordFile, "password-file", "", "read the password from the first line of this file")
	fl.StringVar(&salt, "salt", "", "salt for the password (default: what the KDC announces)")
	fl.StringVarP(&cache, "cache", "c", "", "credential cache (FILE:path or path)")
	fl.StringVarP(&lifetime, "lifetime", "l", "", "requested lifetime, e.g. 10h")
	fl.StringVarP(&renewable, "renewable", "r", "", "request a renewable ticket for this long, e.g. 7d")
	fl.BoolVarP(&forwardable, "forwardable", "f", false, "request a forwardable ticket")
	fl.BoolVarP(&renew, "renew", "R", false, "renew the TGT in the cache")
	return cmd
}

func optionalDuration(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageError("a duration such as 10h or 7d", "--%s %q: not a positive duration", flag, s)
	}
	return d, nil
}

func kinitKeys(e *env, principal string, useKeytab bool, keytabName, passwordFile, salt string) (client.KeySource, error) {
	if useKeytab {
		if passwordFile != "" || salt != "" {
			return nil, usageError("", "-k takes keys from the keytab: --password-file and --salt do not apply")
		}
		path, err := keytabPath(keytabName)
		if err != nil {
			return nil, err
		}
		b, err := readInput("keytab", path)
		if err != nil {
			return nil, err
		}
		kt, err := keytab.Parse(b)
		if err != nil {
			return nil, dataError(fmt.Errorf("%s: %w", path, err), "")
		}
		return client.Keytab{Keytab: kt, Principal: principal}, nil
	}
	if keytabName != "" {
		return nil, usageError("add -k", "-t names a keytab: it needs -k")
	}
	var r io.Reader = e.In
	if passwordFile != "" {
		f, err := os.Open(passwordFile)
		if err != nil {
			return nil, usageError("", "--password-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	pw, err := readPasswordLine(r)
	if err != nil {
		return nil, err
	}
	return client.Password{Password: pw, Salt: salt}, nil
}

// loadCache reads and parses the credential cache at path.
func loadCache(path string) (*ccache.Cache, error) {
	b, err := readInput("credential cache", path)
	if err != nil {
		return nil, err
	}
	c, err := ccache.Parse(b)
	if err != nil {
		return nil, dataError(fmt.Errorf("%s: %w", path, err), "")
	}
	return c, nil
}

// cachedTGT finds the TGT for the cache's default principal.
func cachedTGT(c *ccache.Cache, path string) (*client.Credentials, error) {
	cr, err := c.TGT(c.DefaultPrincipal.Realm)
	if err != nil {
		return nil, dataError(fmt.Errorf("%s: %w", path, err), "get a TGT first with gmsa kinit")
	}
	var off time.Duration
	if c.KDCOffset != nil {
		off = *c.KDCOffset
	}
	tgt, err := client.FromCCache(cr, off)
	if err != nil {
		return nil, dataError(err, "")
	}
	return tgt, nil
}

func renewTGT(ctx context.Context, kc *client.Client, path string) (*client.Credentials, error) {
	c, err := loadCache(path)
	if err != nil {
		return nil, err
	}
	tgt, err := cachedTGT(c, path)
	if err != nil {
		return nil, err
	}
	creds, err := kc.Renew(ctx, tgt)
	if err != nil {
		return nil, kerberosError(err)
	}
	return creds, nil
}

type kvnoResult struct {
	Tickets []kvnoTicket `json:"tickets"`
}

type kvnoTicket struct {
	Server  string `json:"server"`
	KVNO    uint32 `json:"kvno"`
	EncType string `json:"enctype"`
	End     string `json:"end"`
}

func (r kvnoResult) verbatim() {}

func (r kvnoResult) table(w io.Writer) {
	for _, t := range r.Tickets {
		fmt.Fprintf(w, "%s: kvno = %d\n", t.Server, t.KVNO)
	}
}

const kvnoExample = `  # Get a service ticket with the TGT in the default cache, as MIT kvno does:
  gmsa kvno HTTP/web.contoso.com

  # For a lease's cache, several services, as JSON:
  gmsa kvno -c /var/run/gmsa/krb5cc MSSQLSvc/sql01.contoso.com:1433 cifs/fs01.contoso.com -o json`

func newKvnoCommand(e *env) *cobra.Command {
	var cache string
	cmd := &cobra.Command{
		Use:   "kvno [-c CACHE] SPN...",
		Short: "Get service tickets with the cached TGT and print their key version numbers, like MIT kvno",
		Long: `Get a service ticket for each SPN with the TGT in the credential cache, add
the tickets to the cache, and print each ticket's key version number — the
check that a service principal exists and that the KDC issues tickets for it,
as MIT kvno does. An SPN without @REALM is in the TGT's realm.

The cache is -c, else KRB5CCNAME, else FILE:/tmp/krb5cc_<uid>; the KDCs come
from KRB5_CONFIG (else /etc/krb5.conf).`,
		Example: kvnoExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("e.g. gmsa kvno HTTP/web.contoso.com", "kvno needs at least one service principal")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := ccachePath(cache)
			if err != nil {
				return err
			}
			kc, _, err := kerberos(e)
			if err != nil {
				return err
			}
			c, err := loadCache(path)
			if err != nil {
				return err
			}
			tgt, err := cachedTGT(c, path)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			var out kvnoResult
			for _, spn := range args {
				st, err := kc.ServiceTicket(ctx, tgt, spn, client.TGSOptions{})
				if err != nil {
					return kerberosError(fmt.Errorf("%s: %w", spn, err))
				}
				t := kvnoTicket{Server: st.ServerName(), EncType: "", End: rfc3339(st.EndTime)}
				if tkt, err := msg.ParseTicket(st.Ticket); err == nil {
					t.EncType = tkt.EncPart.EType.String()
					if tkt.EncPart.KVNO != nil {
						t.KVNO = *tkt.EncPart.KVNO
					}
				}
				c.Credentials = append(c.Credentials, st.CCache())
				out.Tickets = append(out.Tickets, t)
			}
			b, err := c.Marshal()
			if err != nil {
				return dataError(err, "")
			}
			if err := writeFileAtomic(path, b, 0o600); err != nil {
				return dataError(fmt.Errorf("writing the credential cache: %w", err), "")
			}
			return render(e, out)
		},
	}
	cmd.Flags().StringVarP(&cache, "cache", "c", "", "credential cache (FILE:path or path)")
	return cmd
}
