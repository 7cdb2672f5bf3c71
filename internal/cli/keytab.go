package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

func newKeytabCommand(e *env) *cobra.Command {
	cmd := groupCommand("keytab", "Write keytab files (MIT format) for Kerberos principals")
	cmd.AddCommand(newKeytabAddCommand(e))
	return cmd
}

type keytabAddResult struct {
	Keytab  string     `json:"keytab"`
	Salt    string     `json:"salt,omitempty"`
	Added   []klistKey `json:"added"`
	Entries int        `json:"entries"`
}

func (r keytabAddResult) table(w io.Writer) {
	for _, k := range r.Added {
		fmt.Fprintf(w, "added\t%s\tkvno %d\t%s\n", k.Principal, k.KVNO, k.EncType)
	}
	rows(w, "Salt", r.Salt, "Keytab", fmt.Sprintf("%s (%d entries)", r.Keytab, r.Entries))
}

const keytabAddExample = `  # AES keys for a computer account from its password (AD salt computed):
  printf '%s\n' "$PW" | gmsa keytab add --principal 'node1$@CONTOSO.COM' --password-stdin --kvno 2 -f node1.keytab

  # A key derived elsewhere (e.g. gmsa kds password --show-keys), from a file:
  gmsa keytab add --principal 'webapp01$@CONTOSO.COM' --key-file aes256.hex \
    --enctype aes256-cts-hmac-sha1-96 --kvno 1 -f webapp01.keytab`

func newKeytabAddCommand(e *env) *cobra.Command {
	var (
		principal, keyHex, keyFile, salt, file, domain string
		enctypes                                       []string
		passwordStdin                                  bool
		kvno                                           uint32
	)
	cmd := &cobra.Command{
		Use:   "add --principal NAME@REALM (--password-stdin | --key HEX --enctype E) --kvno N -f FILE",
		Short: "Add keys for a principal to a keytab file, from a password or raw key",
		Long: `Add keys for a principal to a keytab (MIT format, version 2), creating the
file (mode 0600) or appending to it. The file is replaced atomically, so an
error never leaves a damaged keytab.

From a password (--password-stdin: the first line of standard input), one
entry per --enctype (default aes256-cts-hmac-sha1-96 and
aes128-cts-hmac-sha1-96) is derived with the salt: --salt if given; else, for
a computer or gMSA account (NAME$@REALM), the Active Directory salt REALM +
"host" + lower(NAME) + "." + lower(--domain, default the realm); else MIT's
default salt, the realm followed by the name's components (what AD uses for
user accounts).

From a raw key (--key HEX or --key-file F), give exactly one --enctype.
--key puts the key on the command line, visible to other users: prefer
--key-file.

--kvno must equal the KDC's key version number (msDS-KeyVersionNumber in
AD): Kerberos libraries match it exactly.`,
		Example: keytabAddExample,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			if principal == "" || file == "" || kvno == 0 {
				return usageError("", "--principal, --kvno and -f are required")
			}
			p, err := keytab.ParsePrincipal(principal)
			if err != nil {
				return usageError("a principal is name@REALM, e.g. node1$@CONTOSO.COM", "--principal: %v", err)
			}
			if p.Realm == "" {
				return usageError("add @REALM", "--principal %q has no realm", principal)
			}
			sources := 0
			for _, set := range []bool{passwordStdin, keyHex != "", keyFile != ""} {
				if set {
					sources++
				}
			}
			if sources != 1 {
				return usageError("", "give exactly one of --password-stdin, --key and --key-file")
			}
			var types []crypto.EncType
			for _, s := range enctypes {
				for _, part := range strings.Split(s, ",") {
					t, err := crypto.ParseEncType(strings.TrimSpace(part))
					if err != nil {
						return usageError("MIT names such as aes256-cts-hmac-sha1-96, or aes256, aes128, rc4", "--enctype: %v", err)
					}
					types = append(types, t)
				}
			}
			res := keytabAddResult{}
			var keys []crypto.Key
			if passwordStdin {
				if len(types) == 0 {
					types = []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196}
				}
				pw, err := readPasswordLine(e.In)
				if err != nil {
					return err
				}
				if salt == "" {
					salt = defaultSalt(p, domain)
				}
				res.Salt = salt
				for _, t := range types {
					k, err := crypto.StringToKey(t, pw, salt, nil)
					if err != nil {
						return usageError("", "--enctype %s: %v", t, err)
					}
					keys = append(keys, k)
				}
			} else {
				if len(types) != 1 {
					return usageError("e.g. --enctype aes256-cts-hmac-sha1-96", "a raw key needs exactly one --enctype")
				}
				if salt != "" || domain != "" {
					return usageError("", "--salt and --domain apply to --password-stdin only")
				}
				raw := keyHex
				if keyFile != "" {
					b, err := os.ReadFile(keyFile)
					if err != nil {
						return usageError("", "--key-file: %v", err)
					}
					raw = string(b)
				}
				b, err := decodeKeyHex("the key", raw)
				if err != nil {
					return err
				}
				k, err := crypto.NewKey(types[0], b)
				if err != nil {
					return usageError("", "%v", err)
				}
				keys = append(keys, k)
			}

			kt := &keytab.Keytab{}
			if b, err := os.ReadFile(file); err == nil {
				if kt, err = keytab.Parse(b); err != nil {
					return dataError(fmt.Errorf("%s: %w (not changed)", file, err), "")
				}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return dataError(err, "")
			}
			ts := e.now().Truncate(time.Second)
			for _, k := range keys {
				kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, Timestamp: ts, KVNO: kvno, Key: k})
				res.Added = append(res.Added, klistKey{KVNO: kvno, Principal: p.String(), EncType: k.Type.String()})
			}
			out, err := kt.Marshal()
			if err != nil {
				return dataError(err, "")
			}
			if err := writeFileAtomic(file, out, 0o600); err != nil {
				return dataError(fmt.Errorf("writing %s: %w", file, err), "")
			}
			res.Keytab, res.Entries = file, len(kt.Entries)
			return render(e, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&principal, "principal", "", "principal, e.g. node1$@CONTOSO.COM")
	fl.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fl.StringVar(&keyHex, "key", "", "a raw key in hex (visible in the process list: prefer --key-file)")
	fl.StringVar(&keyFile, "key-file", "", "file holding a raw key in hex")
	fl.StringSliceVar(&enctypes, "enctype", nil, "encryption type(s), repeatable or comma-separated")
	fl.StringVar(&salt, "salt", "", "salt for --password-stdin (default: the AD or MIT salt of the principal)")
	fl.StringVar(&domain, "domain", "", "DNS domain for the AD computer salt (default: the realm, lower-cased)")
	fl.Uint32Var(&kvno, "kvno", 0, "key version number (msDS-KeyVersionNumber)")
	fl.StringVarP(&file, "file", "f", "", "keytab file to create or append to")
	return cmd
}

// defaultSalt is the salt a KDC uses for p when it has no other: Active
// Directory's computer salt for NAME$ principals, MIT's default otherwise.
func defaultSalt(p keytab.Principal, domain string) string {
	if len(p.Components) == 1 && strings.HasSuffix(p.Components[0], "$") {
		if domain == "" {
			domain = p.Realm
		}
		name := strings.TrimSuffix(p.Components[0], "$")
		return strings.ToUpper(p.Realm) + "host" + strings.ToLower(name) + "." + strings.ToLower(domain)
	}
	return p.Realm + strings.Join(p.Components, "")
}

// readPasswordLine reads the first line of r, trailing newline (and CR)
// stripped. It never echoes or reports the password, and it refuses to read
// from a terminal, where the password would be echoed as it is typed.
func readPasswordLine(r io.Reader) (string, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return "", usageError("pipe it in (printf '%s\\n' \"$PW\" | gmsa …) or use a password file",
				"refusing to read a password from a terminal: it would be echoed")
		}
	}
	line, err := bufio.NewReader(io.LimitReader(r, 1<<12)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", dataError(fmt.Errorf("reading the password from standard input: %w", err), "")
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageError("pipe the password in: printf '%s\\n' \"$PW\" | gmsa …", "no password on standard input")
	}
	return line, nil
}
