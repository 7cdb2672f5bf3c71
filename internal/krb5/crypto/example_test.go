package crypto_test

import (
	"crypto/rand"
	"fmt"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// The long-term key of a principal from its password, salt and the KDC's
// s2kparams (here 1200 iterations, the RFC 3962 appendix B vector in
// testdata/rfc3962/s2k-iter-1200.txt). Printing a key shows no bytes.
func ExampleStringToKey() {
	k, err := crypto.StringToKey(crypto.AES128CTSHMACSHA196, "password", "ATHENA.MIT.EDUraeburn", []byte{0, 0, 0x04, 0xb0})
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
	fmt.Printf("%x\n", k.Bytes())
	// Output:
	// aes128-cts-hmac-sha1-96 key [REDACTED]
	// 4c01cd46d632d01e6dbe230a01ed642a
}

// Encrypting an EncryptedData's cipher field and opening it again; the key
// usage must match.
func ExampleEncrypt() {
	k, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA384192, rand.Reader)
	if err != nil {
		panic(err)
	}
	ct, err := crypto.Encrypt(k, crypto.KeyUsageAPRepEncPart, []byte("EncAPRepPart"), rand.Reader)
	if err != nil {
		panic(err)
	}
	pt, err := crypto.Decrypt(k, crypto.KeyUsageAPRepEncPart, ct)
	fmt.Printf("%d bytes: %s %v\n", len(ct), pt, err)
	_, err = crypto.Decrypt(k, crypto.KeyUsageAPReqAuthenticator, ct)
	fmt.Println(err)
	// Output:
	// 52 bytes: EncAPRepPart <nil>
	// krb5 crypto: decrypt aes256-cts-hmac-sha384-192: integrity check failed
}
