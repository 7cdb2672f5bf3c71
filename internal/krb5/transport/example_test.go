package transport_test

import (
	"fmt"

	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

func ExampleParseConfig() {
	cfg, err := transport.ParseConfig([]byte(`
[libdefaults]
	default_realm = CONTOSO.COM
	udp_preference_limit = 1

[realms]
	CONTOSO.COM = {
		kdc = dc1.contoso.com
		kdc = tcp/[2001:db8::10]:1088
	}

[domain_realm]
	.contoso.com = CONTOSO.COM
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	realm, _ := cfg.RealmForHost("sql01.contoso.com")
	fmt.Println(realm, cfg.LibDefaults.UDPPreferenceLimit)
	for _, k := range cfg.Realms[realm].KDC {
		fmt.Println(k)
	}
	// Output:
	// CONTOSO.COM 1
	// dc1.contoso.com:88
	// tcp/[2001:db8::10]:1088
}
