package keytab_test

import (
	"fmt"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// A keytab for a gMSA from its password: the keys are derived with the
// account's Active Directory salt, and the key version must equal
// msDS-KeyVersionNumber. Find matches names case-insensitively.
func ExampleKeytab_Marshal() {
	const salt = "CONTOSO.COMhostwebapp01.contoso.com" // REALM + "host" + lower(name without $) + "." + domain
	p, _ := keytab.ParsePrincipal("WebApp01$@CONTOSO.COM")
	kt := &keytab.Keytab{}
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(e, "the gMSA's password", salt, nil)
		if err != nil {
			panic(err)
		}
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, Timestamp: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), KVNO: 2, Key: k})
	}
	b, err := kt.Marshal()
	if err != nil {
		panic(err)
	}
	back, _ := keytab.Parse(b)
	e, err := back.Find("webapp01$", "contoso.com", 0, crypto.AES256CTSHMACSHA196)
	fmt.Println(len(b), "bytes;", e.Principal, "kvno", e.KVNO, e.Key, err)
	// Output:
	// 144 bytes; WebApp01$@CONTOSO.COM kvno 2 aes256-cts-hmac-sha1-96 key [REDACTED] <nil>
}
