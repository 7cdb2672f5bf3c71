package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
)

// encTypeBits are the --enctypes names and their msDS-SupportedEncryptionTypes bits.
var encTypeBits = map[string]uint32{"rc4": 0x4, "aes128": 0x8, "aes256": 0x10}

func parseEncTypes(list []string) (uint32, error) {
	var v uint32
	for _, s := range list {
		b, ok := encTypeBits[strings.ToLower(strings.TrimSpace(s))]
		if !ok {
			return 0, usageError("give --enctypes aes256,aes128 (rc4 also accepted)", "--enctypes: unknown type %q", s)
		}
		v |= b
	}
	return v, nil
}

type accountCreateResult struct {
	Account              string   `json:"account"`
	DN                   string   `json:"dn"`
	DNSHostName          string   `json:"dns_host_name"`
	SPNs                 []string `json:"spns"`
	AllowedPrincipals    []string `json:"allowed_principals"`
	PasswordIntervalDays int      `json:"password_interval_days"`
	EncTypes             uint32   `json:"enctypes"`
}

func (r accountCreateResult) table(w io.Writer) {
	rows(w, "Account", r.Account, "DN", r.DN, "DNS host name", r.DNSHostName, "SPNs", strings.Join(r.SPNs, ", "),
		"Allowed", strings.Join(r.AllowedPrincipals, ", "), "Interval (days)", strconv.Itoa(r.PasswordIntervalDays),
		"Encryption types", strconv.FormatUint(uint64(r.EncTypes), 10))
}

func newAccountCreateCommand(e *env) *cobra.Command {
	var (
		conn     connectFlags
		dnsHost  string
		spns     []string
		allowed  []string
		interval int
		enctypes []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME --dns-host-name H [--spn S]... [--allowed-principals P]... [--password-interval-days N] [--enctypes aes256,aes128]",
		Short: "Create a group managed service account (New-ADServiceAccount)",
		Long: `Create the gMSA NAME$ in CN=Managed Service Accounts, enabled
(userAccountControl 4096), with its DNS host name, SPNs, password interval
(msDS-ManagedPasswordInterval, default 30 days) and encryption types
(msDS-SupportedEncryptionTypes, default aes256,aes128 = 24). The
--allowed-principals (sAMAccountNames of users, computers or groups) may
retrieve its password (PrincipalsAllowedToRetrieveManagedPassword).

Refused (exit 1) when the account exists, when an SPN is already registered on
another account (as setspn -S does), or when the domain has no KDS root key
usable yet for new gMSAs.`,
		Example: `  gmsa account create WebApp01 --dns-host-name webapp01.contoso.com \
      --spn host/WebApp01 --spn http/mysite.contoso.com --allowed-principals WebApp01Hosts \
      --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := parseLocalGMSARef(args[0])
			if err != nil {
				return err
			}
			if dnsHost == "" {
				return usageError("give --dns-host-name webapp01.contoso.com", "--dns-host-name is required")
			}
			if interval < 0 {
				return usageError("", "--password-interval-days must be positive")
			}
			et, err := parseEncTypes(enctypes)
			if err != nil {
				return err
			}
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			o := directory.GMSAOptions{Name: ref.name, DNSHostName: dnsHost, SPNs: spns, AllowedPrincipals: allowed,
				PasswordIntervalDays: interval, EncTypes: et}
			dn, err := c.CreateGMSA(ctx, o)
			if err != nil {
				return directoryError(err)
			}
			if o.PasswordIntervalDays == 0 {
				o.PasswordIntervalDays = 30
			}
			if o.EncTypes == 0 {
				o.EncTypes = 24
			}
			return render(e, accountCreateResult{Account: strings.TrimSuffix(ref.name, "$") + "$", DN: dn, DNSHostName: dnsHost,
				SPNs: nonNil(spns), AllowedPrincipals: nonNil(allowed), PasswordIntervalDays: o.PasswordIntervalDays, EncTypes: o.EncTypes})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dnsHost, "dns-host-name", "", "the account's DNS host name (dNSHostName), e.g. webapp01.contoso.com")
	fl.StringSliceVar(&spns, "spn", nil, "a service principal name to register (repeat or comma-separate)")
	fl.StringSliceVar(&allowed, "allowed-principals", nil, "sAMAccountNames of users, computers or groups that may retrieve the password (repeat or comma-separate)")
	fl.IntVar(&interval, "password-interval-days", 0, "days between password changes (default 30)")
	fl.StringSliceVar(&enctypes, "enctypes", nil, "encryption types: aes256, aes128, rc4 (default aes256,aes128)")
	conn.register(cmd)
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type accountListEntry struct {
	Name                 string   `json:"name"`
	DN                   string   `json:"dn"`
	DNSHostName          string   `json:"dns_host_name"`
	SPNs                 []string `json:"spns"`
	Allowed              []string `json:"allowed"`
	PasswordIntervalDays int      `json:"password_interval_days"`
}

type accountListResult struct {
	Accounts []accountListEntry `json:"accounts"`
}

func (r accountListResult) table(w io.Writer) {
	fmt.Fprintln(w, "NAME\tDNS HOST NAME\tSPNs\tALLOWED\tINTERVAL")
	for _, a := range r.Accounts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", a.Name, a.DNSHostName, strings.Join(a.SPNs, ","), strings.Join(a.Allowed, ","), a.PasswordIntervalDays)
	}
}

func newAccountListCommand(e *env) *cobra.Command {
	var conn connectFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the domain's group managed service accounts (Get-ADServiceAccount -Filter *)",
		Long: `List every gMSA of the domain: its name, DNS host name, SPNs, the principals
allowed to retrieve its password (names where the SID resolves in the domain,
else the SID) and its password interval in days.`,
		Example: `  gmsa account list --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw -o json`,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			gs, err := c.ListGMSAs(ctx)
			if err != nil {
				return directoryError(err)
			}
			names := map[string]string{}
			r := accountListResult{Accounts: []accountListEntry{}}
			for _, g := range gs {
				le := accountListEntry{Name: g.SAMAccountName, DN: g.DN, DNSHostName: g.DNSHostName, SPNs: nonNil(g.SPNs),
					Allowed: []string{}, PasswordIntervalDays: g.PasswordIntervalDays}
				for _, sid := range g.Allowed {
					s := sid.String()
					n, ok := names[s]
					if !ok {
						n, err = c.NameOfSID(ctx, sid)
						if err != nil || n == "" {
							n = s
						}
						names[s] = n
					}
					le.Allowed = append(le.Allowed, n)
				}
				r.Accounts = append(r.Accounts, le)
			}
			return render(e, r)
		},
	}
	conn.register(cmd)
	return cmd
}

type accountDeleteResult struct {
	Account string `json:"account"`
	Deleted bool   `json:"deleted"`
}

func (r accountDeleteResult) table(w io.Writer) { rows(w, "Deleted", r.Account) }

func newAccountDeleteCommand(e *env) *cobra.Command {
	var conn connectFlags
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an account (Remove-ADServiceAccount)",
		Long: `Delete the account NAME (a sAMAccountName, with or without the trailing $).
A missing account is an error (exit 1).`,
		Example: `  gmsa account delete WebApp01 --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := parseLocalGMSARef(args[0])
			if err != nil {
				return err
			}
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.DeleteAccount(ctx, ref.name); err != nil {
				return directoryError(err)
			}
			return render(e, accountDeleteResult{Account: ref.name, Deleted: true})
		},
	}
	conn.register(cmd)
	return cmd
}
