package pac_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
)

// vectorField reads one field of a testdata vector file: hex on the
// indented lines after "name:", or the value after "name: ".
func vectorField(path, name string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var out strings.Builder
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, name+":"):
			out.WriteString(strings.TrimSpace(strings.TrimPrefix(line, name+":")))
			in = true
		case in && strings.HasPrefix(line, "  "):
			out.WriteString(strings.TrimSpace(line))
		default:
			in = false
		}
	}
	return out.String()
}

// An acceptor verifies the server signature with its own key, then reads
// who the client is. The PAC is gokrb5's capture from its TEST.GOKRB5
// domain; the key is the service's from the same test data.
func ExampleVerify() {
	const file = "testdata/gokrb5-test-gokrb5-testuser1.txt"
	raw, _ := hex.DecodeString(vectorField(file, "pac"))
	keyBytes, _ := hex.DecodeString(strings.Fields(vectorField(file, "server-key"))[1])
	key, err := crypto.NewKey(crypto.AES256CTSHMACSHA196, keyBytes)
	if err != nil {
		panic(err)
	}

	if err := pac.Verify(raw, key); err != nil {
		panic(err)
	}
	p, err := pac.Parse(raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.ClientInfo.Name, p.LogonInfo.UserSID(), p.UPNDNSInfo.UPN)
	for _, g := range p.LogonInfo.GroupSIDs() {
		fmt.Println(g)
	}
	// Output:
	// testuser1 S-1-5-21-3167651404-3865080224-2280184895-1105 testuser1@test.gokrb5
	// S-1-5-21-3167651404-3865080224-2280184895-513
	// S-1-5-21-3167651404-3865080224-2280184895-1108
	// S-1-5-21-3167651404-3865080224-2280184895-1109
	// S-1-5-21-3167651404-3865080224-2280184895-1115
	// S-1-5-21-3167651404-3865080224-2280184895-1116
	// S-1-5-21-3167651404-3865080224-2280184895-1114
	// S-1-5-21-3167651404-3865080224-2280184895-1111
}

// A KDC builds a PAC from what the directory says and signs it with the
// service's key and its own krbtgt key.
func ExamplePAC_Sign() {
	domain, _ := adtypes.ParseSID("S-1-5-21-1004336348-1177238915-682003330")
	asserted, _ := adtypes.ParseSID("S-1-18-1") // authentication authority asserted identity
	p := &pac.PAC{
		LogonInfo: &pac.LogonInfo{
			LogonTime:       133497504000000000,
			EffectiveName:   "WebApp01$",
			UserID:          1105,
			PrimaryGroupID:  515,
			GroupIDs:        []pac.GroupMembership{{RelativeID: 515, Attributes: 7}},
			UserFlags:       pac.UserFlagExtraSIDs,
			LogonServer:     "DC1",
			LogonDomainName: "CONTOSO",
			LogonDomainID:   domain,
			ExtraSIDs:       []pac.SIDAndAttributes{{SID: asserted, Attributes: 7}},
		},
		ClientInfo: &pac.ClientInfo{ClientID: 133497504000000000, Name: "WebApp01$"},
	}
	server, _ := crypto.NewKey(crypto.AES256CTSHMACSHA196, bytes.Repeat([]byte{1}, 32))
	krbtgt, _ := crypto.NewKey(crypto.AES256CTSHMACSHA196, bytes.Repeat([]byte{2}, 32))

	raw, err := p.Sign(server, krbtgt)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(raw), "bytes;", p.ServerSignature.Type, "signatures")
	fmt.Println("server:", pac.Verify(raw, server), "KDC:", pac.VerifyKDC(raw, krbtgt))
	fmt.Println(pac.Verify(raw, krbtgt))
	// Output:
	// 584 bytes; hmac-sha1-96-aes256 signatures
	// server: <nil> KDC: <nil>
	// pac: verify PAC_SIGNATURE_DATA(server).Signature: integrity check failed
}
