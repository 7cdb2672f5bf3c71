package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/lab"
)

func newLabCommand(e *env) *cobra.Command {
	cmd := groupCommand("lab", "Run the embedded lab domain controller (LDAP, KDS; a test domain, not a production DC)")
	cmd.Long = `gmsa lab runs a single-process Active Directory domain (contoso.com by
default) from one data directory, so that the whole gMSA chain can be tried
and tested on a laptop or in CI without a Windows server: LDAP and LDAPS with
AD's rules for gMSAs, and the Key Distribution Service computing gMSA passwords
exactly as a Windows DC does. See docs/lab.md for what it implements and what
it deliberately does not.`
	cmd.AddCommand(newLabInitCommand(e), newLabServeCommand(e), newLabEnvCommand(e), newLabClockOffsetCommand(e), newLabExportKeytabCommand(e), newLabDemoServiceCommand(e))
	return cmd
}

// labDataFlag registers --data (default $GMSA_LAB_DATA).
func labDataFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "data", os.Getenv("GMSA_LAB_DATA"), "the lab's data directory (default $GMSA_LAB_DATA)")
}

func needData(dir string) error {
	if dir == "" {
		return usageError("give --data DIR (or set GMSA_LAB_DATA)", "no lab data directory")
	}
	return nil
}

type labInitResult struct {
	Data              string `json:"data"`
	Domain            string `json:"domain"`
	NetBIOS           string `json:"netbios"`
	Realm             string `json:"realm"`
	DomainSID         string `json:"domain_sid"`
	DC                string `json:"dc"`
	CAFile            string `json:"ca_file"`
	AdminPasswordFile string `json:"admin_password_file,omitempty"`
}

func (r labInitResult) table(w io.Writer) {
	rows(w, "Data directory", r.Data, "Domain", r.Domain, "NetBIOS name", r.NetBIOS, "Realm", r.Realm,
		"Domain SID", r.DomainSID, "Domain controller", r.DC, "CA certificate", r.CAFile)
	if r.AdminPasswordFile != "" {
		rows(w, "Administrator password", r.AdminPasswordFile+" (generated)")
	}
	fmt.Fprintf(w, "\nStart it with: gmsa lab serve --data %s\n", r.Data)
}

func newLabInitCommand(e *env) *cobra.Command {
	var dir, domain, netbios, pwFile string
	cmd := &cobra.Command{
		Use:   "init --data DIR [--domain contoso.com] [--netbios CONTOSO] [--admin-password-file F]",
		Short: "Provision a new lab domain in a data directory",
		Long: `Provision a new lab domain in DIR: a random domain SID and GUID; CN=Users,
CN=Computers, CN=Managed Service Accounts, CN=Builtin and OU=Domain Controllers;
the configuration partition with the domain's crossRef and the Group Key
Distribution Service containers; Domain Admins, Domain Users, Domain Computers;
Administrator, krbtgt and the DC's computer account DC1$ (dc1.<domain>); one
KDS root key usable at once (as Samba provisions); and a CA (DIR/ca.pem) for the
DC's TLS certificate.

Administrator's password is the first line of --admin-password-file, or else a
generated one written to DIR/administrator.password (mode 0600). An existing
lab in DIR is never overwritten.`,
		Example: `  gmsa lab init --data ./lab
  gmsa lab init --data /var/lib/gmsa-lab --domain corp.example.com --netbios CORP --admin-password-file ./admin.pw`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needData(dir); err != nil {
				return err
			}
			var pw string
			if pwFile != "" {
				var err error
				if pw, err = readPasswordFile(pwFile); err != nil {
					return dataError(fmt.Errorf("--admin-password-file: %w", err), "")
				}
			}
			d, err := lab.Init(dir, lab.InitOptions{Domain: domain, NetBIOS: netbios, AdminPassword: pw})
			if err != nil {
				if errors.Is(err, lab.ErrExists) {
					return dataError(err, "serve the existing lab (gmsa lab serve --data "+dir+") or choose another directory")
				}
				if strings.HasPrefix(err.Error(), "--") {
					return usageError("", "%v", err)
				}
				return dataError(err, "")
			}
			defer d.Close()
			dom := d.Domain()
			abs, _ := filepath.Abs(dir)
			r := labInitResult{Data: abs, Domain: dom.DNSName, NetBIOS: dom.NetBIOS, Realm: dom.Realm(),
				DomainSID: dom.SID.String(), DC: dom.DCName, CAFile: filepath.Join(abs, "ca.pem")}
			if pw == "" {
				r.AdminPasswordFile = filepath.Join(abs, lab.AdminPasswordFile)
			}
			return render(e, r)
		},
	}
	labDataFlag(cmd, &dir)
	cmd.Flags().StringVar(&domain, "domain", "contoso.com", "DNS name of the domain")
	cmd.Flags().StringVar(&netbios, "netbios", "", "NetBIOS name of the domain (default: the first label in upper case)")
	cmd.Flags().StringVar(&pwFile, "admin-password-file", "", "file whose first line is Administrator's password (default: generate one)")
	return cmd
}

func newLabServeCommand(e *env) *cobra.Command {
	var (
		dir, listen, offset                   string
		ldapPort, ldapsPort, kdcPort, dnsPort int
		logFormat                             string
	)
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen 127.0.0.1] [--ldap-port N] [--ldaps-port N] [--kdc-port N] [--dns-port N] [--clock-offset D]",
		Short: "Serve a lab domain until interrupted",
		Long: `Serve the lab domain in DIR: LDAP (with StartTLS), LDAPS and the Kerberos KDC
(UDP and TCP; --kdc-port -1 for none) on --listen, and, with --dns-port, a DNS responder for the domain's SRV and A records (for
discovery tests). Ports default to the standard ones (389, 636, 88) when they
are free and bindable, else the next free ones; DIR/lab.json says which were
taken, and 'gmsa lab env' turns it into connection settings.

--clock-offset shifts the Key Distribution Service's clock (password and
rollover computations only, never LDAP or Kerberos times), so that tests can
move a gMSA through its rollovers; 'gmsa lab clock-offset' changes it while the
lab runs. Logs are structured (--log-format text|json) on stderr; SIGINT or
SIGTERM shut the lab down gracefully. A second lab can serve a copy of DIR on
another address (--listen 127.0.0.2) — there is no replication.`,
		Example: `  gmsa lab serve --data ./lab
  gmsa lab serve --data ./lab --listen 127.0.0.2 --ldap-port 10389 --ldaps-port 10636 --dns-port 10053
  gmsa lab serve --data ./lab --clock-offset 744h`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needData(dir); err != nil {
				return err
			}
			o := lab.ServeOptions{Dir: dir, Listen: listen, LDAPPort: ldapPort, LDAPSPort: ldapsPort, KDCPort: kdcPort, DNSPort: dnsPort}
			if offset != "" {
				off, err := parseOffset(offset)
				if err != nil {
					return usageError("give a duration such as 744h, -10h or 31d", "--clock-offset %q: %v", offset, err)
				}
				o.ClockOffset = &off
			}
			switch logFormat {
			case "text":
				o.Logger = slog.New(slog.NewTextHandler(e.Err, nil))
			case "json":
				o.Logger = slog.New(slog.NewJSONHandler(e.Err, nil))
			default:
				return usageError("use --log-format text or json", "--log-format %q: unknown format", logFormat)
			}
			o.Ready = func(i *lab.Info) {
				fmt.Fprintf(e.Out, "lab domain %s serving on %s and %s (CA %s)\nconnection settings: gmsa lab env --data %s\n",
					i.Domain, i.LDAPURL(), i.LDAPSURL(), i.CAFile, dir)
			}
			if err := lab.Serve(cmd.Context(), o); err != nil {
				if errors.Is(err, lab.ErrNotInitialized) {
					return dataError(err, "create it first: gmsa lab init --data "+dir)
				}
				return dataError(err, "")
			}
			return nil
		},
	}
	labDataFlag(cmd, &dir)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1", "IP address to listen on")
	cmd.Flags().IntVar(&ldapPort, "ldap-port", 0, "LDAP port (default 389 when free, else the next free port)")
	cmd.Flags().IntVar(&ldapsPort, "ldaps-port", 0, "LDAPS port (default 636 when free, else the next free port)")
	cmd.Flags().IntVar(&kdcPort, "kdc-port", 0, "Kerberos KDC port, UDP and TCP (default 88 when free, else the next free port; -1: no KDC)")
	cmd.Flags().IntVar(&dnsPort, "dns-port", 0, "serve DNS SRV/A records for the domain on this port (default: no DNS)")
	cmd.Flags().StringVar(&offset, "clock-offset", "", "shift the KDS clock by this duration (744h, -10h, 31d)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	return cmd
}

// parseOffset accepts Go durations plus whole days ("31d").
func parseOffset(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("not a number of days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

type labEnvResult struct {
	Server       string `json:"server"`
	ServerLDAP   string `json:"server_ldap"`
	Domain       string `json:"domain"`
	Realm        string `json:"realm"`
	CAFile       string `json:"ca_file"`
	User         string `json:"user"`
	PasswordFile string `json:"password_file,omitempty"`
	KDC          string `json:"kdc,omitempty"`
	DNSServer    string `json:"dns_server,omitempty"`
	Krb5Conf     string `json:"krb5_conf"`
}

func (r labEnvResult) table(w io.Writer) {
	fmt.Fprintf(w, "# gmsa lab: eval \"$(gmsa lab env --data DIR)\"\n")
	fmt.Fprintf(w, "export GMSA_SERVER=%s\n", shellQuote(r.Server))
	fmt.Fprintf(w, "export GMSA_DOMAIN=%s\n", shellQuote(r.Domain))
	fmt.Fprintf(w, "export GMSA_CA_FILE=%s\n", shellQuote(r.CAFile))
	fmt.Fprintf(w, "export GMSA_USER=%s\n", shellQuote(r.User))
	if r.PasswordFile != "" {
		fmt.Fprintf(w, "export GMSA_PASSWORD_FILE=%s\n", shellQuote(r.PasswordFile))
	}
	fmt.Fprintf(w, "# krb5.conf for this lab (gmsa lab env --data DIR --krb5-conf > krb5.conf):\n")
	for _, line := range strings.Split(strings.TrimRight(r.Krb5Conf, "\n"), "\n") {
		fmt.Fprintf(w, "#   %s\n", line)
	}
}

func labKrb5Conf(i *lab.Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_kdc = false\n\tdns_lookup_realm = false\n\trdns = false\n", i.Realm)
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", i.Realm)
	if i.KDCPort > 0 {
		fmt.Fprintf(&b, "\t\tkdc = %s:%d\n", i.Listen, i.KDCPort)
	}
	fmt.Fprintf(&b, "\t}\n\n[domain_realm]\n\t.%s = %s\n\t%s = %s\n", i.Domain, i.Realm, i.Domain, i.Realm)
	return b.String()
}

func newLabEnvCommand(e *env) *cobra.Command {
	var dir string
	var krb5Only bool
	cmd := &cobra.Command{
		Use:   "env --data DIR [--krb5-conf]",
		Short: "Print the connection settings of a running lab",
		Long: `Print, from DIR/lab.json of a running lab, the environment that points every
gmsa verb at it (GMSA_SERVER, GMSA_DOMAIN, GMSA_CA_FILE, GMSA_USER and, when
the password was generated, GMSA_PASSWORD_FILE) as shell export lines, and a
krb5.conf for its realm. --krb5-conf prints only the krb5.conf; -o json gives
every value as a field.`,
		Example: `  eval "$(gmsa lab env --data ./lab)"
  gmsa lab env --data ./lab --krb5-conf > krb5.conf
  gmsa lab env --data ./lab -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needData(dir); err != nil {
				return err
			}
			i, err := lab.ReadInfo(dir)
			if err != nil {
				return dataError(err, "start it: gmsa lab serve --data "+dir)
			}
			r := labEnvResult{Server: i.LDAPSURL(), ServerLDAP: i.LDAPURL(), Domain: i.Domain, Realm: i.Realm,
				CAFile: i.CAFile, User: "Administrator@" + i.Domain, PasswordFile: i.AdminPasswordFile, Krb5Conf: labKrb5Conf(i)}
			if i.KDCPort > 0 {
				r.KDC = fmt.Sprintf("%s:%d", i.Listen, i.KDCPort)
			}
			if i.DNSPort > 0 {
				r.DNSServer = fmt.Sprintf("%s:%d", i.Listen, i.DNSPort)
			}
			if krb5Only {
				_, err := io.WriteString(e.Out, r.Krb5Conf)
				return err
			}
			return render(e, r)
		},
	}
	labDataFlag(cmd, &dir)
	cmd.Flags().BoolVar(&krb5Only, "krb5-conf", false, "print only a krb5.conf for the lab's realm")
	return cmd
}

type labOffsetResult struct {
	Offset   string `json:"offset"`
	Previous string `json:"previous"`
	KDSTime  string `json:"kds_time"`
}

func (r labOffsetResult) table(w io.Writer) {
	rows(w, "KDS clock offset", r.Offset, "Previous offset", r.Previous, "KDS time now", r.KDSTime)
}

func newLabClockOffsetCommand(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "clock-offset --data DIR DURATION",
		Short: "Move the KDS clock of a lab (running or not)",
		Long: `Set the offset of the lab's Key Distribution Service clock to DURATION (744h,
-10h, 31d; 0 resets it). A running lab picks it up on its next password
computation; a stopped one at start. The offset shifts only gMSA password and
rollover computations — LDAP times and Kerberos ticket times stay on the real
clock.`,
		Example: `  gmsa lab clock-offset --data ./lab 31d      # the next read sees the first rollover
  gmsa lab clock-offset --data ./lab 0`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needData(dir); err != nil {
				return err
			}
			off, err := parseOffset(args[0])
			if err != nil {
				return usageError("give a duration such as 744h, -10h or 31d", "DURATION %q: %v", args[0], err)
			}
			if _, err := os.Stat(filepath.Join(dir, lab.DBFile)); err != nil {
				return dataError(fmt.Errorf("%s holds no lab domain", dir), "create one with gmsa lab init --data "+dir)
			}
			path := filepath.Join(dir, lab.ClockOffsetFile)
			prev, err := lab.ReadClockOffset(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return dataError(err, "")
			}
			if err := lab.WriteClockOffset(path, off); err != nil {
				return dataError(err, "")
			}
			return render(e, labOffsetResult{Offset: off.String(), Previous: prev.String(),
				KDSTime: e.now().Add(off).UTC().Format(time.RFC3339)})
		},
	}
	labDataFlag(cmd, &dir)
	return cmd
}
