package managedpassword

import (
	"strings"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Salt returns the Kerberos salt AD uses for a computer or gMSA account
// (userAccountControl WORKSTATION_TRUST_ACCOUNT): the realm in upper case,
// "host", the sAMAccountName without its trailing "$" in lower case, ".", and
// the DNS domain in lower case — e.g. CONTOSO.COMhostwebapp01.contoso.com.
// The realm defaults to the upper-cased domain.
func Salt(realm, account, domain string) (string, error) {
	name := strings.TrimSuffix(account, "$")
	if name == "" || strings.ContainsAny(name, "/@$") {
		return "", errorf(ErrInvalid, "account", quote(account), `want a sAMAccountName such as "webapp01$"`)
	}
	if domain == "" || strings.ContainsAny(domain, "/@ ") {
		return "", errorf(ErrInvalid, "domain", quote(domain), `want a DNS domain such as "contoso.com"`)
	}
	if realm == "" {
		realm = domain
	}
	return strings.ToUpper(realm) + "host" + strings.ToLower(name) + "." + strings.ToLower(domain), nil
}

// Keys are the long-term Kerberos keys a KDC holds for a gMSA password. They
// never print their bytes (crypto.Key redacts).
type Keys struct {
	Salt   string
	AES256 crypto.Key // aes256-cts-hmac-sha1-96
	AES128 crypto.Key // aes128-cts-hmac-sha1-96
	RC4    crypto.Key // arcfour-hmac: the NT hash
}

// KeysFor derives the account's keys from p: AES with RFC 3962 string-to-key
// (4096 iterations) over the password's munged UTF-8 and the AD salt, and
// RC4 as the NT hash.
func KeysFor(p *Password, realm, account, domain string) (*Keys, error) {
	salt, err := Salt(realm, account, domain)
	if err != nil {
		return nil, err
	}
	pw := string(p.UTF8())
	k := &Keys{Salt: salt}
	if k.AES256, err = crypto.StringToKey(crypto.AES256CTSHMACSHA196, pw, salt, nil); err != nil {
		return nil, err
	}
	if k.AES128, err = crypto.StringToKey(crypto.AES128CTSHMACSHA196, pw, salt, nil); err != nil {
		return nil, err
	}
	nt := p.NTHash()
	if k.RC4, err = crypto.NewKey(crypto.RC4HMAC, nt[:]); err != nil {
		return nil, err
	}
	return k, nil
}

func quote(s string) string { return `"` + s + `"` }
