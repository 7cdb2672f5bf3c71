package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// accountFlags are the --account/--domain/--realm flags that turn a password
// into Kerberos keys.
type accountFlags struct {
	account, domain, realm string
}

func (a *accountFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.account, "account", "", "sAMAccountName of the gMSA (webapp01$), to derive its AES keys")
	cmd.Flags().StringVar(&a.domain, "domain", "", "DNS domain of the gMSA (contoso.com), with --account")
	cmd.Flags().StringVar(&a.realm, "realm", "", "Kerberos realm (default: the domain in upper case)")
}

// keyOut describes one key. Without --show-keys only a fingerprint is
// printed: the first 8 bytes of SHA-256 over the key, enough to compare with
// another tool's output without revealing the key.
type keyOut struct {
	EncType     string `json:"enctype"`
	Fingerprint string `json:"fingerprint"`
	Key         string `json:"key,omitempty"`
}

func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

func describeKey(name string, b []byte, show bool) keyOut {
	k := keyOut{EncType: name, Fingerprint: fingerprint(b)}
	if show {
		k.Key = hex.EncodeToString(b)
	}
	return k
}

// passwordOut is what the CLI shows of one password.
type passwordOut struct {
	Salt     string   `json:"salt,omitempty"`
	Keys     []keyOut `json:"keys"`
	Password string   `json:"password_utf16le,omitempty"`
}

// describePassword derives what the flags ask for: always the NT hash, the
// AES keys when an account and domain are given, and the password itself
// only with showPassword.
func describePassword(p *managedpassword.Password, a accountFlags, showKeys, showPassword bool) (passwordOut, error) {
	var out passwordOut
	nt := p.NTHash()
	out.Keys = append(out.Keys, describeKey(crypto.RC4HMAC.String()+" (NT hash)", nt[:], showKeys))
	if a.account != "" {
		keys, err := managedpassword.KeysFor(p, a.realm, a.account, a.domain)
		if err != nil {
			return out, usageError("--account is the sAMAccountName (webapp01$), --domain the DNS domain (contoso.com)", "%v", err)
		}
		out.Salt = keys.Salt
		out.Keys = append(out.Keys,
			describeKey(keys.AES256.Type.String(), keys.AES256.Bytes(), showKeys),
			describeKey(keys.AES128.Type.String(), keys.AES128.Bytes(), showKeys))
	}
	if showPassword {
		out.Password = hex.EncodeToString(p.Bytes())
	}
	return out, nil
}

func (p passwordOut) table(w io.Writer, prefix string) {
	rows(w, prefix+"Salt", p.Salt)
	for _, k := range p.Keys {
		v := k.Fingerprint
		if k.Key != "" {
			v = k.Key
		}
		fmt.Fprintf(w, "%s%s:\t%s\n", prefix, k.EncType, v)
	}
	rows(w, prefix+"Password (UTF-16LE)", p.Password)
}

func (a accountFlags) check() error {
	if (a.account == "") != (a.domain == "") {
		return usageError("give both, e.g. --account webapp01$ --domain contoso.com", "--account and --domain go together")
	}
	if a.realm != "" && a.account == "" {
		return usageError("", "--realm needs --account and --domain")
	}
	return nil
}
