package ccache_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
)

// Reading the cache MIT kinit wrote (testdata/mit/kinit-kvno-v4.txt holds
// its bytes in hex): the default principal, kinit's configuration entries
// and the TGT. The session key prints redacted.
func ExampleParse() {
	text, err := os.ReadFile("testdata/mit/kinit-kvno-v4.txt")
	if err != nil {
		panic(err)
	}
	_, payload, _ := strings.Cut(string(text), "\n\n")
	b, err := hex.DecodeString(strings.Join(strings.Fields(payload), ""))
	if err != nil {
		panic(err)
	}
	c, err := ccache.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println("default principal:", c.DefaultPrincipal)
	fmt.Printf("pa_type %s, fast_avail %s\n", c.Config("pa_type"), c.Config("fast_avail"))
	tgt, err := c.TGT("")
	if err != nil {
		panic(err)
	}
	fmt.Println(tgt.Server, tgt.Flags, tgt.EndTime.Sub(tgt.AuthTime), tgt.Key)
	// Output:
	// default principal: alice@CONTOSO.COM
	// pa_type 2, fast_avail yes
	// krbtgt/CONTOSO.COM@CONTOSO.COM FRIA 10h0m0s aes256-cts-hmac-sha1-96 key [REDACTED]
}
