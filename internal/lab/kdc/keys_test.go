package kdc

import (
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Tickets use the strongest allowed type among the current kvno's keys; a
// session key the strongest type both the client offered and the service
// allows; an account without Enctypes allows the AES-SHA1 types only.
func TestKeyChoice(t *testing.T) {
	t.Parallel()
	gmsa := newTestDir(t).get("WebApp01$").Principal
	k, ok := gmsa.ticketKey()
	if !ok || k.Kvno != 2 || k.Key.Type != crypto.AES256CTSHMACSHA196 {
		t.Errorf("ticket key kvno %d %v, want kvno 2 aes256", k.Kvno, k.Key.Type)
	}
	gmsa.Enctypes = []crypto.EncType{crypto.AES128CTSHMACSHA196}
	if k, _ := gmsa.ticketKey(); k.Key.Type != crypto.AES128CTSHMACSHA196 {
		t.Errorf("AES128-only account: ticket key %v", k.Key.Type)
	}
	gmsa.Enctypes = nil
	for _, c := range []struct {
		offered []crypto.EncType
		want    crypto.EncType
		ok      bool
	}{
		{[]crypto.EncType{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196}, crypto.AES256CTSHMACSHA196, true},
		{[]crypto.EncType{crypto.AES256CTSHMACSHA384192, crypto.AES128CTSHMACSHA196}, crypto.AES128CTSHMACSHA196, true},
		{[]crypto.EncType{crypto.RC4HMAC}, 0, false},
	} {
		if got, ok := sessionEncType(c.offered, &gmsa); got != c.want || ok != c.ok {
			t.Errorf("offered %v: %v %v, want %v %v", c.offered, got, ok, c.want, c.ok)
		}
	}
}
