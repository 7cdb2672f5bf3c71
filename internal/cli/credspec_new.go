package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/directory"
)

// hostAccountPlugins are the --host-account-config short names.
var hostAccountPlugins = map[string]string{
	"akv":      credspec.AzureKeyVaultPluginGUID,
	"aws":      credspec.AWSPluginGUID,
	"rancher":  credspec.RancherPluginGUID,
	"opengmsa": credspec.PortableIdentityPluginGUID,
}

type credspecNewResult struct {
	Name     string          `json:"name"`
	Path     string          `json:"path"`
	Spec     json.RawMessage `json:"spec"`
	Warnings []string        `json:"warnings"`
}

func (r credspecNewResult) table(w io.Writer) { rows(w, "Name", r.Name, "Path", r.Path) }

// gmsaRef is an account named on the command line: a sAMAccountName of the
// domain bound to, or DOMAIN\NAME for another domain's account.
type gmsaRef struct {
	netbios, name string
}

func parseGMSARef(s string) (gmsaRef, error) {
	s = strings.TrimSpace(s)
	dom, name, ok := strings.Cut(s, `\`)
	if !ok {
		name, dom = dom, ""
	}
	if name == "" || (ok && dom == "") || strings.ContainsAny(name, `\/@`) {
		return gmsaRef{}, usageError(`name accounts as WebApp01, WebApp01$ or DOMAIN\WebApp01`, "account %q: not an account name", s)
	}
	return gmsaRef{netbios: dom, name: name}, nil
}

// parseLocalGMSARef is parseGMSARef for verbs that act on an account of the
// DC's own domain, where a DOMAIN\ prefix is a usage error.
func parseLocalGMSARef(s string) (gmsaRef, error) {
	ref, err := parseGMSARef(s)
	if err == nil && ref.netbios != "" {
		return gmsaRef{}, usageError("give WebApp01 and point --server at a DC of the account's domain", "account %q: name the account without a domain", s)
	}
	return ref, err
}

func newCredspecNewCommand(e *env, dir func() string) *cobra.Command {
	var (
		conn       connectFlags
		additional []string
		name, path string
		noClobber  bool
		hostConfig string
		pluginIn   string
	)
	cmd := &cobra.Command{
		Use:   "new ACCOUNT [--additional-accounts A,B] [--name FILE | --path PATH] [--no-clobber] [--host-account-config PLUGIN --plugin-input INPUT]",
		Short: "Make a credential spec for a gMSA from what the domain says (New-CredentialSpec)",
		Long: `Read the domain (SID, GUID, DNS, forest and NetBIOS names) and the gMSA over
LDAP and write the credential spec New-CredentialSpec would write, in its
field order, to the CredentialSpecs directory (<netbios>_<account>.json unless
--name or --path says otherwise).

Every account must exist and be a group managed service account. Accounts
named DOMAIN\NAME belong to another domain: they are listed with that NetBIOS
scope only and are not looked up. A warning (on stderr and in the JSON
"warnings") says when the bound identity may not retrieve the primary
account's password; no password is ever printed.

Binds simply with --user/--password-file over ldaps:// or --start-tls;
Kerberos binds arrive with the GSSAPI issue.`,
		Example: `  gmsa credspec new WebApp01 --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw
  gmsa credspec new WebApp01 --additional-accounts 'LogAgentSvc,FABRIKAM\SqlSvc' --server ldaps://dc1.contoso.com \
      --ca-file ca.pem --user admin@contoso.com --password-file pw --no-clobber -o json
  gmsa credspec new WebApp01 --host-account-config opengmsa \
      --plugin-input '{"file": "/etc/gmsa/portable-user.json"}' --server dc1.contoso.com --start-tls \
      --user admin@contoso.com --password-file pw`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			primary, err := parseGMSARef(args[0])
			if err != nil {
				return err
			}
			if primary.netbios != "" {
				return usageError("the primary account belongs to the domain bound to: give WebApp01, and point --server at its domain", "account %q: the primary account cannot name a domain", args[0])
			}
			var extra []gmsaRef
			for _, a := range additional {
				if strings.TrimSpace(a) == "" {
					continue
				}
				r, err := parseGMSARef(a)
				if err != nil {
					return err
				}
				extra = append(extra, r)
			}
			if name != "" && path != "" {
				return usageError("", "--name and --path exclude each other")
			}
			if name != "" && strings.ContainsAny(name, `/\`) {
				return usageError("use --path for a file outside the CredentialSpecs directory", "--name %q: a file name, not a path", name)
			}
			host, err := hostAccountConfig(hostConfig, pluginIn)
			if err != nil {
				return err
			}

			c, info, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			findGMSA := func(n string) (string, error) {
				a, err := c.FindAccount(ctx, n)
				if err != nil {
					return "", directoryError(err)
				}
				if !a.IsGMSA() {
					return "", dataError(fmt.Errorf("account %q (%s): %w", n, a.DN, directory.ErrNotGMSA),
						"a credential spec names group managed service accounts (objectClass msDS-GroupManagedServiceAccount)")
				}
				return strings.TrimSuffix(a.SAMAccountName, "$"), nil
			}
			machine, err := findGMSA(primary.name)
			if err != nil {
				return err
			}
			s := &credspec.Spec{
				CmsPlugins: []string{"ActiveDirectory"},
				DomainJoinConfig: credspec.DomainJoinConfig{
					Sid:                info.SID.String(),
					MachineAccountName: machine,
					Guid:               info.GUID.String(),
					DnsTreeName:        info.ForestDNSName,
					DnsName:            info.DNSName,
					NetBiosName:        info.NetBIOSName,
				},
				ActiveDirectoryConfig: credspec.ActiveDirectoryConfig{HostAccountConfig: host},
			}
			seen := map[string]bool{}
			add := func(n, scope string) {
				key := strings.ToLower(n + "\x00" + scope)
				if !seen[key] {
					seen[key] = true
					s.ActiveDirectoryConfig.GroupManagedServiceAccounts = append(s.ActiveDirectoryConfig.GroupManagedServiceAccounts,
						credspec.Account{Name: n, Scope: scope})
				}
			}
			add(machine, info.DNSName)
			add(machine, info.NetBIOSName)
			for _, r := range extra {
				if r.netbios != "" && !strings.EqualFold(r.netbios, info.NetBIOSName) {
					add(strings.TrimSuffix(r.name, "$"), r.netbios) // another domain's: not looked up
					continue
				}
				n, err := findGMSA(r.name)
				if err != nil {
					return err
				}
				add(n, info.DNSName)
				add(n, info.NetBIOSName)
			}

			warnings := []string{}
			if _, err := c.ManagedPassword(ctx, primary.name); err != nil {
				if errors.Is(err, directory.ErrNotAllowed) {
					warnings = append(warnings, fmt.Sprintf("this identity (%s) is not allowed to retrieve the password of %s: "+
						"add it (or its group) to PrincipalsAllowedToRetrieveManagedPassword", conn.boundAs, machine))
				} else {
					warnings = append(warnings, fmt.Sprintf("could not check whether this identity (%s) may retrieve the password of %s: %v",
						conn.boundAs, machine, err))
				}
			}
			var bad []string
			for _, f := range credspec.Validate(s) {
				if f.Severity == credspec.SeverityError {
					bad = append(bad, f.String())
				} else {
					warnings = append(warnings, f.String())
				}
			}
			if len(bad) > 0 {
				return dataError(fmt.Errorf("the credential spec would be invalid:\n  %s", strings.Join(bad, "\n  ")), "")
			}
			out, err := credspec.Marshal(s)
			if err != nil {
				return dataError(err, "")
			}

			switch {
			case path != "":
			case name != "":
				if path, err = specPath(dir(), name); err != nil {
					return err
				}
			default:
				path = filepath.Join(dir(), credspec.DefaultFileName(info.NetBIOSName, machine))
			}
			if noClobber {
				if _, err := os.Lstat(path); err == nil {
					return dataError(fmt.Errorf("%s exists", path), "drop --no-clobber to replace it, or give --name or --path")
				}
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return dataError(err, "")
			}
			if err := writeFileAtomic(path, out, 0o644); err != nil {
				return dataError(err, "")
			}
			for _, w := range warnings {
				fmt.Fprintf(e.Err, "warning: %s\n", w)
			}
			return render(e, credspecNewResult{Name: filepath.Base(path), Path: path, Spec: out, Warnings: warnings})
		},
	}
	conn.register(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&additional, "additional-accounts", nil, `more gMSAs the container may use, comma-separated (NAME, or DOMAIN\NAME for another domain's)`)
	f.StringVar(&name, "name", "", "file name in the CredentialSpecs directory (default <netbios>_<account>.json)")
	f.StringVar(&path, "path", "", "write the spec to this path instead")
	f.BoolVar(&noClobber, "no-clobber", false, "fail rather than replace an existing file")
	f.StringVar(&hostConfig, "host-account-config", "", "add HostAccountConfig for a host not joined to the domain: akv, aws, rancher, opengmsa or a {GUID}")
	f.StringVar(&pluginIn, "plugin-input", "", "the PluginInput of --host-account-config (a string, passed to the plugin as is)")
	return cmd
}

// hostAccountConfig builds HostAccountConfig for --host-account-config, or
// returns nil when it is not given.
func hostAccountConfig(plugin, input string) (*credspec.HostAccountConfig, error) {
	if plugin == "" {
		if input != "" {
			return nil, usageError("", "--plugin-input needs --host-account-config")
		}
		return nil, nil
	}
	if input == "" {
		return nil, usageError(`for opengmsa: --plugin-input '{"file": "/etc/gmsa/portable-user.json"}'`, "--host-account-config needs --plugin-input")
	}
	guid, ok := hostAccountPlugins[strings.ToLower(plugin)]
	if !ok {
		g, err := adtypes.ParseGUID(plugin)
		if err != nil {
			return nil, usageError("give akv, aws, rancher, opengmsa or a plugin's class ID such as "+credspec.PortableIdentityPluginGUID,
				"--host-account-config %q: not a known plugin or a GUID", plugin)
		}
		guid = "{" + strings.ToUpper(g.String()) + "}"
	}
	return &credspec.HostAccountConfig{PortableCcgVersion: "1", PluginGUID: guid, PluginInput: credspec.PluginInput{String: input}}, nil
}
