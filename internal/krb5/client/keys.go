package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// KeyRequest asks a KeySource for the client's long-term key of one
// encryption type, with what the KDC said about it in PA-ETYPE-INFO2.
type KeyRequest struct {
	Client  msg.PrincipalName
	Realm   string
	EncType crypto.EncType
	// Salt is the KDC's salt for EncType; nil when the KDC sent none, which
	// means the default salt (the realm followed by the name's components).
	Salt *string
	// S2KParams are the KDC's string-to-key parameters; nil for the default.
	S2KParams []byte
}

// KeySource gives the client's long-term keys for the AS exchange. Key
// returns an error wrapping ErrNoKey when it holds no key of req.EncType.
// Password, Keys and Keytab implement it.
type KeySource interface {
	Key(req KeyRequest) (crypto.Key, error)
}

// Password derives keys from a password with string-to-key, using the salt
// and s2kparams the KDC states in PA-ETYPE-INFO2 unless Salt is set. It
// never prints the password.
type Password struct {
	Password string
	// Salt, if not empty, overrides the KDC's salt (for an AD computer or
	// gMSA account: "CONTOSO.COMhostname.contoso.com").
	Salt string
}

// Key implements KeySource.
func (p Password) Key(req KeyRequest) (crypto.Key, error) {
	salt := p.Salt
	if salt == "" {
		if req.Salt != nil {
			salt = *req.Salt
		} else {
			salt = DefaultSalt(req.Client, req.Realm)
		}
	}
	k, err := crypto.StringToKey(req.EncType, p.Password, salt, req.S2KParams)
	if err != nil {
		if errors.Is(err, crypto.ErrUnsupported) {
			return crypto.Key{}, fmt.Errorf("%w: %v", ErrNoKey, err)
		}
		return crypto.Key{}, err
	}
	if req.EncType == crypto.RC4HMAC {
		// Listed in Client.EncTypes by the caller, who opted in.
		k = crypto.AllowRC4(k)
	}
	return k, nil
}

// String keeps the password out of logs.
func (p Password) String() string { return "client.Password{[REDACTED]}" }

// GoString keeps the password out of %#v.
func (p Password) GoString() string { return p.String() }

// Format keeps the password out of every fmt verb.
func (p Password) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// DefaultSalt is RFC 4120 §4's default salt: the realm followed by the
// name's components, with nothing between them.
func DefaultSalt(name msg.PrincipalName, realm string) string {
	return realm + strings.Join(name.NameString, "")
}

// Keys are raw long-term keys, one per encryption type: a gMSA login with
// keys derived from msDS-ManagedPassword elsewhere. The KDC's salt is not
// used; the keys must have been made with the account's salt.
type Keys []crypto.Key

// Key implements KeySource.
func (ks Keys) Key(req KeyRequest) (crypto.Key, error) {
	for _, k := range ks {
		if k.Type == req.EncType {
			return k, nil
		}
	}
	return crypto.Key{}, fmt.Errorf("%w: %s", ErrNoKey, req.EncType)
}

// Keytab takes the keys from a keytab: those of Principal ("name" or
// "name@REALM"; the login's principal when empty) with key version KVNO
// (0: the highest held).
type Keytab struct {
	Keytab    *keytab.Keytab
	Principal string
	KVNO      uint32
}

// Key implements KeySource.
func (kt Keytab) Key(req KeyRequest) (crypto.Key, error) {
	if kt.Keytab == nil {
		return crypto.Key{}, fmt.Errorf("%w: no keytab", ErrNoKey)
	}
	princ, realm := kt.Principal, ""
	if princ == "" {
		princ, realm = req.Client.String(), req.Realm
	}
	e, err := kt.Keytab.Find(princ, realm, kt.KVNO, req.EncType)
	if err != nil {
		if errors.Is(err, keytab.ErrNotFound) {
			return crypto.Key{}, fmt.Errorf("%w: %v", ErrNoKey, err)
		}
		return crypto.Key{}, err
	}
	return e.Key, nil
}
