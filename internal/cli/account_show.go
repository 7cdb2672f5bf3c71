package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// passwordIDOut is a decoded msDS-ManagedPasswordId: the root key and the
// group key identifier the password derives from.
type passwordIDOut struct {
	RootKeyID string `json:"root_key_id"`
	L0        int32  `json:"l0"`
	L1        int32  `json:"l1"`
	L2        int32  `json:"l2"`
}

func passwordIDOf(e *gkdi.KeyEnvelope) *passwordIDOut {
	if e == nil {
		return nil
	}
	return &passwordIDOut{RootKeyID: e.RootKeyID.String(), L0: e.GKID.L0, L1: e.GKID.L1, L2: e.GKID.L2}
}

func (p *passwordIDOut) String() string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("root key %s, GKID (%d, %d, %d)", p.RootKeyID, p.L0, p.L1, p.L2)
}

// accountKeysOut is the key material `account show --show-keys` prints.
type accountKeysOut struct {
	KVNO     uint32   `json:"kvno"`
	Salt     string   `json:"salt"`
	Current  []keyOut `json:"current"`
	Previous []keyOut `json:"previous,omitempty"`
}

// accountShowResult is the output of `gmsa account show`; the field names
// are documented in docs/gmsa_account_show.md. Keys is set only with
// --show-keys.
type accountShowResult struct {
	Account              string          `json:"account"`
	DN                   string          `json:"dn"`
	SID                  string          `json:"sid"`
	GUID                 string          `json:"guid"`
	DNSHostName          string          `json:"dns_host_name"`
	SPNs                 []string        `json:"spns"`
	EncTypes             []string        `json:"enctypes"`
	EncTypesValue        uint32          `json:"enctypes_value"`
	PasswordIntervalDays int             `json:"password_interval_days"`
	AllowedPrincipals    []string        `json:"allowed_principals"`
	PasswordID           *passwordIDOut  `json:"password_id"`
	PreviousPasswordID   *passwordIDOut  `json:"previous_password_id,omitempty"`
	KVNO                 uint32          `json:"kvno"`
	Created              string          `json:"created"`
	Enabled              bool            `json:"enabled"`
	Keys                 *accountKeysOut `json:"keys,omitempty"`
}

func (r accountShowResult) table(w io.Writer) {
	rows(w, "Account", r.Account, "DN", r.DN, "SID", r.SID, "GUID", r.GUID, "DNS host name", r.DNSHostName,
		"SPNs", strings.Join(r.SPNs, ", "),
		"Encryption types", fmt.Sprintf("%s (%d)", strings.Join(r.EncTypes, ", "), r.EncTypesValue),
		"Interval (days)", strconv.Itoa(r.PasswordIntervalDays),
		"Allowed", strings.Join(r.AllowedPrincipals, ", "),
		"Password ID", r.PasswordID.String(), "Previous password ID", r.PreviousPasswordID.String(),
		"Key version (kvno)", strconv.FormatUint(uint64(r.KVNO), 10), "Created", r.Created,
		"Enabled", strconv.FormatBool(r.Enabled))
	if r.Keys == nil {
		return
	}
	rows(w, "Salt", r.Keys.Salt)
	for _, set := range []struct {
		name string
		keys []keyOut
	}{{"Current", r.Keys.Current}, {"Previous", r.Keys.Previous}} {
		for _, k := range set.keys {
			fmt.Fprintf(w, "%s %s:\t%s\n", set.name, k.EncType, k.Key)
		}
	}
}

// encTypeNames names the bits of msDS-SupportedEncryptionTypes ([MS-KILE]
// 2.2.7); bits it does not know are shown in hex.
func encTypeNames(v uint32) []string {
	names := []struct {
		bit  uint32
		name string
	}{
		{0x1, "des-cbc-crc"}, {0x2, "des-cbc-md5"}, {0x4, crypto.RC4HMAC.String()},
		{0x8, crypto.AES128CTSHMACSHA196.String()}, {0x10, crypto.AES256CTSHMACSHA196.String()},
		{0x20, "aes256-cts-hmac-sha1-96-sk"}, {0x10000, "fast-supported"}, {0x20000, "compound-identity-supported"},
		{0x40000, "claims-supported"}, {0x80000, "resource-sid-compression-disabled"},
	}
	out := []string{}
	for _, n := range names {
		if v&n.bit != 0 {
			out = append(out, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		out = append(out, fmt.Sprintf("0x%x", v))
	}
	return out
}

const accountShowExample = `  # What Get-ADServiceAccount shows, as an administrator:
  gmsa account show WebApp01 --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw

  # The Kerberos keys, as a host allowed to read the password (sealed LDAP, machine keytab):
  gmsa account show WebApp01 --server ldap://dc1.contoso.com --keytab /etc/krb5.keytab --show-keys -o json`

func newAccountShowCommand(e *env) *cobra.Command {
	var (
		conn     connectFlags
		showKeys bool
	)
	cmd := &cobra.Command{
		Use:   "show NAME [--show-keys]",
		Short: "Show a group managed service account (Get-ADServiceAccount)",
		Long: `Show the gMSA NAME (a sAMAccountName, with or without the trailing $): DN,
SID, GUID, DNS host name, SPNs, encryption types, password interval, the
principals allowed to retrieve its password (names where the SID resolves in
the domain, else the SID), the root key and GKID of the current and previous
passwords (msDS-ManagedPasswordId), the key version number, when it was
created and whether it is enabled.

With --show-keys, and only then, msDS-ManagedPassword is read: the bound
identity must be allowed by msDS-GroupMSAMembership and the connection must be
confidential (ldaps://, --start-tls, or Kerberos over ldap://, which seals).
The kvno, the AD salt, and the AES256, AES128 and RC4 keys of the current
password — and of the previous one, when the DC returns it — are printed in
hex. They are what a keytab for the gMSA holds: treat the output as a secret.`,
		Example: accountShowExample,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := parseLocalGMSARef(args[0])
			if err != nil {
				return err
			}
			c, info, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			g, err := c.FindGMSA(ctx, ref.name)
			if err != nil {
				return directoryError(err)
			}
			r := accountShowResult{Account: g.SAMAccountName, DN: g.DN, SID: g.SID.String(), GUID: g.GUID.String(),
				DNSHostName: g.DNSHostName, SPNs: nonNil(g.SPNs), EncTypes: encTypeNames(g.SupportedEncryptionTypes),
				EncTypesValue: g.SupportedEncryptionTypes, PasswordIntervalDays: g.PasswordIntervalDays,
				AllowedPrincipals: []string{}, PasswordID: passwordIDOf(g.PasswordID),
				PreviousPasswordID: passwordIDOf(g.PreviousPasswordID), KVNO: g.KeyVersionNumber, Enabled: !g.Disabled()}
			if !g.WhenCreated.IsZero() {
				r.Created = g.WhenCreated.UTC().Format(time.RFC3339)
			}
			for _, sid := range g.Allowed {
				n, err := c.NameOfSID(ctx, sid)
				if err != nil {
					return directoryError(err)
				}
				if n == "" {
					n = sid.String()
				}
				r.AllowedPrincipals = append(r.AllowedPrincipals, n)
			}
			if showKeys {
				mp, err := c.ManagedPassword(ctx, g.DN)
				if err != nil {
					return directoryError(err)
				}
				r.Keys = &accountKeysOut{KVNO: g.KeyVersionNumber}
				realm := strings.ToUpper(info.DNSName)
				if r.Keys.Salt, r.Keys.Current, err = accountKeys(&mp.Blob.Current, realm, g.SAMAccountName, info.DNSName); err != nil {
					return dataError(err, "")
				}
				if mp.Blob.Previous != nil {
					if _, r.Keys.Previous, err = accountKeys(mp.Blob.Previous, realm, g.SAMAccountName, info.DNSName); err != nil {
						return dataError(err, "")
					}
				}
			}
			return render(e, r)
		},
	}
	cmd.Flags().BoolVar(&showKeys, "show-keys", false, "read msDS-ManagedPassword and print the kvno, salt and Kerberos keys (secret)")
	conn.register(cmd)
	return cmd
}

// accountKeys derives the AES256, AES128 and RC4 keys of a gMSA password
// with the AD salt.
func accountKeys(p *managedpassword.Password, realm, account, domain string) (string, []keyOut, error) {
	k, err := managedpassword.KeysFor(p, realm, account, domain)
	if err != nil {
		return "", nil, err
	}
	return k.Salt, []keyOut{
		describeKey(k.AES256.Type.String(), k.AES256.Bytes(), true),
		describeKey(k.AES128.Type.String(), k.AES128.Bytes(), true),
		describeKey(k.RC4.Type.String(), k.RC4.Bytes(), true),
	}, nil
}
