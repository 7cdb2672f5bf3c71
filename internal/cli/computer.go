package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

func newComputerCommand(e *env) *cobra.Command {
	cmd := groupCommand("computer", "Work with computer accounts in Active Directory")
	cmd.AddCommand(newComputerCreateCommand(e))
	return cmd
}

// computerCreateResult is the output of `gmsa computer create`. It never
// holds the password.
type computerCreateResult struct {
	Account     string   `json:"account"`
	DN          string   `json:"dn"`
	SID         string   `json:"sid"`
	DNSHostName string   `json:"dns_host_name"`
	SPNs        []string `json:"spns"`
	KVNO        uint32   `json:"kvno"`
	Keytab      string   `json:"keytab,omitempty"`
	Principals  []string `json:"principals,omitempty"`
}

func (r computerCreateResult) table(w io.Writer) {
	rows(w, "Account", r.Account, "DN", r.DN, "SID", r.SID, "DNS host name", r.DNSHostName,
		"SPNs", strings.Join(r.SPNs, ", "), "Key version (kvno)", strconv.FormatUint(uint64(r.KVNO), 10),
		"Keytab", r.Keytab, "Principals", strings.Join(r.Principals, ", "))
}

// passwordAlphabet is what random computer passwords are made of: letters,
// digits and punctuation that need no quoting in LDIF, shells or krb5
// tools.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%+-.:=?@_~"

// randomPasswordLen is the length of a random computer password; Windows
// and Samba joins use 120 characters too.
const randomPasswordLen = 120

// randomPassword returns randomPasswordLen characters drawn uniformly from
// passwordAlphabet with rejection sampling, with at least one of each class
// (upper, lower, digit, punctuation) so that any complexity policy accepts
// it.
func randomPassword(r io.Reader) (string, error) {
	const n = len(passwordAlphabet)
	limit := 256 - 256%n // bytes at or above limit would bias the draw
	for {
		out := make([]byte, 0, randomPasswordLen)
		buf := make([]byte, 2*randomPasswordLen)
		for len(out) < randomPasswordLen {
			if _, err := io.ReadFull(r, buf); err != nil {
				return "", err
			}
			for _, b := range buf {
				if int(b) < limit && len(out) < randomPasswordLen {
					out = append(out, passwordAlphabet[int(b)%n])
				}
			}
		}
		s := string(out)
		if strings.ContainsAny(s, passwordAlphabet[:26]) && strings.ContainsAny(s, passwordAlphabet[26:52]) &&
			strings.ContainsAny(s, passwordAlphabet[52:62]) && strings.ContainsAny(s, passwordAlphabet[62:]) {
			return s, nil
		}
	}
}

// computerKeytab returns kt without its entries for principals, then the
// AES256 and AES128 keys of password for each of them, salted as AD salts
// a computer account.
func computerKeytab(kt *keytab.Keytab, password, realm, sam, domain string, kvno uint32, principals []string, ts time.Time) (*keytab.Keytab, error) {
	salt, err := managedpassword.Salt(realm, sam, domain)
	if err != nil {
		return nil, err
	}
	var keys []crypto.Key
	for _, t := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(t, password, salt, nil)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	out := &keytab.Keytab{}
	var ps []keytab.Principal
	for _, s := range principals {
		p, err := keytab.ParsePrincipal(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	same := func(a, b keytab.Principal) bool {
		if !strings.EqualFold(a.Realm, b.Realm) || len(a.Components) != len(b.Components) {
			return false
		}
		for i := range a.Components {
			if !strings.EqualFold(a.Components[i], b.Components[i]) {
				return false
			}
		}
		return true
	}
	for _, e := range kt.Entries {
		replaced := false
		for _, p := range ps {
			if same(e.Principal, p) {
				replaced = true
			}
		}
		if !replaced {
			out.Entries = append(out.Entries, e)
		}
	}
	for _, p := range ps {
		for _, k := range keys {
			out.Entries = append(out.Entries, keytab.Entry{Principal: p, Timestamp: ts, KVNO: kvno, Key: k})
		}
	}
	return out, nil
}

const computerCreateExample = `  # Join a test host: a random password, a keytab for it (as net ads join writes):
  gmsa computer create node1 --keytab /etc/krb5.keytab \
      --server ldaps://dc1.contoso.com --user admin@contoso.com --bind-password-file ~/.pw

  # With a password of your own (first line of the file), and a keytab too:
  gmsa computer create node2 --password-file node2.pw --keytab node2.keytab \
      --dns-host-name node2.lab.contoso.com --container OU=Lab,DC=contoso,DC=com \
      --server ldaps://dc1.contoso.com --user admin@contoso.com --bind-password-file ~/.pw`

// computerConnFlagNames renames the connection flags that would clash with
// the new computer's --keytab and --password-file.
var computerConnFlagNames = map[string]string{
	"keytab":        "bind-keytab",
	"principal":     "bind-principal",
	"password-file": "bind-password-file",
}

func newComputerCreateCommand(e *env) *cobra.Command {
	var (
		conn                     connectFlags
		keytabPath, passwordFile string
		dnsHostName, container   string
		spns                     []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME (--keytab FILE | --password-file FILE) [--dns-host-name H] [--spn S]... [--container DN]",
		Short: "Create a computer account and its keytab: a domain join for test hosts",
		Long: `Create the computer account NAME$ (objectClass computer, userAccountControl
4096 = WORKSTATION_TRUST_ACCOUNT, msDS-SupportedEncryptionTypes 24 = AES) in
--container (default CN=Computers), with dNSHostName --dns-host-name (default
NAME.<domain>) and the SPNs host/NAME and host/<dns host name> (and each
--spn), and set its
password in the same LDAP add.

The password is the first line of --password-file, or else 120 random
characters that are never shown. With --keytab, the file (created, or its
entries for these principals replaced; mode 0600, written atomically) gets
AES256 and AES128 keys for NAME$@REALM, host/NAME@REALM and
host/<dns host name>@REALM, with the AD salt (REALM + "host" + lower(NAME) +
"." + domain) and the kvno the DC reports: what net ads join writes. Give at
least one of --keytab and --password-file; a random password without a
keytab would be lost.

A password crosses the wire only on a confidential connection (ldaps://,
--start-tls, or a sealed Kerberos bind). Because --keytab and --password-file
name the new computer's files here, the bind's own credentials are
--bind-keytab (with --bind-principal) and --bind-password-file (with --user);
GMSA_KEYTAB and GMSA_PASSWORD_FILE apply to the bind as elsewhere.

Refused (exit 1) when the name is taken, or an SPN is registered on another
account.`,
		Example: computerCreateExample,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := strings.TrimSuffix(args[0], "$")
			if name == "" || strings.ContainsAny(name, `\@/`) {
				return usageError("give the computer's name, e.g. node1", "computer name %q: want a name such as node1 or node1$", args[0])
			}
			if keytabPath == "" && passwordFile == "" {
				return usageError("give --keytab FILE to get a keytab for a random password, or --password-file FILE",
					"give --keytab, --password-file, or both")
			}
			if orEnv(conn.user, "GMSA_USER") != "" && orEnv(conn.passwordFile, "GMSA_PASSWORD_FILE") == "" {
				return usageError("put the bind password on the first line of a file readable only by you",
					"--user needs --bind-password-file (or GMSA_PASSWORD_FILE)")
			}
			var password string
			var err error
			if passwordFile != "" {
				if password, err = readPasswordFile(passwordFile); err != nil {
					return err
				}
			} else if password, err = randomPassword(rand.Reader); err != nil {
				return dataError(err, "")
			}
			// An existing keytab is read before the account is made, so a
			// bad file stops the join before it changes the domain.
			kt := &keytab.Keytab{}
			if keytabPath != "" {
				if b, err := os.ReadFile(keytabPath); err == nil {
					if kt, err = keytab.Parse(b); err != nil {
						return dataError(fmt.Errorf("--keytab %s: %w (not changed)", keytabPath, err), "")
					}
				} else if !errors.Is(err, fs.ErrNotExist) {
					return dataError(fmt.Errorf("--keytab: %w", err), "")
				}
			}
			c, info, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			a, err := c.CreateComputer(ctx, directory.ComputerOptions{Name: name, DNSHostName: dnsHostName, Container: container, Password: password, ExtraSPNs: spns})
			if err != nil {
				return directoryError(err)
			}
			r := computerCreateResult{Account: a.SAMAccountName, DN: a.DN, SID: a.SID.String(), DNSHostName: a.DNSHostName,
				SPNs: nonNil(a.SPNs), KVNO: a.KeyVersionNumber}
			if keytabPath != "" {
				realm := strings.ToUpper(info.DNSName)
				r.Principals = []string{a.SAMAccountName + "@" + realm, "host/" + strings.TrimSuffix(a.SAMAccountName, "$") + "@" + realm,
					"host/" + strings.ToLower(a.DNSHostName) + "@" + realm}
				kt, err = computerKeytab(kt, password, realm, a.SAMAccountName, info.DNSName, a.KeyVersionNumber, r.Principals, e.now().Truncate(time.Second))
				if err != nil {
					return dataError(err, "")
				}
				b, err := kt.Marshal()
				if err == nil {
					err = writeFileAtomic(keytabPath, b, 0o600)
				}
				if err != nil {
					return dataError(fmt.Errorf("%s was created, but writing --keytab %s failed: %w", a.SAMAccountName, keytabPath, err),
						"fix the path and run gmsa account delete "+a.SAMAccountName+", then create it again")
				}
				r.Keytab = keytabPath
			}
			return render(e, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&keytabPath, "keytab", "", "write the new computer's keys to this keytab (created, or its entries for the computer replaced)")
	fl.StringVar(&passwordFile, "password-file", "", "the new computer's password: the first line of this file (default: 120 random characters)")
	fl.StringVar(&dnsHostName, "dns-host-name", "", "the computer's dNSHostName (default NAME.<domain>)")
	fl.StringSliceVar(&spns, "spn", nil, "register this service principal name too, besides host/NAME and host/<dns host name> (repeatable; e.g. postgres/db1.contoso.com)")
	fl.StringVar(&container, "container", "", "DN of the container or OU to create it in (default CN=Computers,<domain DN>)")
	registerRenamed(cmd, &conn, computerConnFlagNames)
	return cmd
}

// registerRenamed registers the connection flags on cmd, renaming those in
// names (old → new).
func registerRenamed(cmd *cobra.Command, conn *connectFlags, names map[string]string) {
	tmp := &cobra.Command{}
	conn.register(tmp)
	tmp.Flags().VisitAll(func(f *pflag.Flag) {
		if n, ok := names[f.Name]; ok {
			f.Name = n
		}
		cmd.Flags().AddFlag(f)
	})
}
