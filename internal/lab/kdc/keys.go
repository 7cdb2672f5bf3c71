package kdc

import (
	"slices"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// strength orders the encryption types from the strongest: the choice of a
// ticket's and a session key's type ("strongest common", as AD picks AES256
// over AES128 and anything over rc4-hmac).
var strength = []crypto.EncType{
	crypto.AES256CTSHMACSHA384192,
	crypto.AES256CTSHMACSHA196,
	crypto.AES128CTSHMACSHA256128,
	crypto.AES128CTSHMACSHA196,
	crypto.RC4HMAC,
}

// defaultEnctypes are what an account without Enctypes may use: the AES
// types Active Directory issues.
var defaultEnctypes = []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196}

// allowed reports whether p may use e: listed in its Enctypes, or one of
// defaultEnctypes when it lists none.
func (p *Principal) allowed(e crypto.EncType) bool {
	if len(p.Enctypes) == 0 {
		return slices.Contains(defaultEnctypes, e)
	}
	return slices.Contains(p.Enctypes, e)
}

// keysOf returns p's keys of type e in p's order (current kvno first).
func (p *Principal) keysOf(e crypto.EncType) []Key {
	var ks []Key
	for _, k := range p.Keys {
		if k.Key.Type == e {
			ks = append(ks, k)
		}
	}
	return ks
}

// currentKey returns p's key of type e at its current (first) kvno.
func (p *Principal) currentKey(e crypto.EncType) (Key, bool) {
	if len(p.Keys) == 0 || !p.allowed(e) {
		return Key{}, false
	}
	for _, k := range p.Keys {
		if k.Kvno == p.Keys[0].Kvno && k.Key.Type == e {
			return k, true
		}
	}
	return Key{}, false
}

// ticketKey is the key a ticket for p is encrypted with: the strongest
// allowed type among p's current keys.
func (p *Principal) ticketKey() (Key, bool) {
	for _, e := range strength {
		if k, ok := p.currentKey(e); ok {
			return k, true
		}
	}
	return Key{}, false
}

// sessionEncType is the type of a new session key: the strongest the client
// offered that the service supports (and the lab can generate).
func sessionEncType(offered []crypto.EncType, service *Principal) (crypto.EncType, bool) {
	for _, e := range strength {
		if slices.Contains(offered, e) && service.allowed(e) {
			return e, true
		}
	}
	return 0, false
}
