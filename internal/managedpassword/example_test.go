package managedpassword_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// Derive the password of Samba's test vector and the keys a KDC would hold
// for it as gmsa1$ in EXAMPLE.COM.
func Example() {
	var v struct {
		Vectors []struct {
			RootKeyID   string   `json:"root_key_id"`
			RootKeyData string   `json:"root_key_data_hex"`
			AccountSID  string   `json:"account_sid"`
			GKID        [3]int32 `json:"gkid"`
		} `json:"vectors"`
	}
	b, _ := os.ReadFile("testdata/gmsa-password.json")
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	vec := v.Vectors[0]
	id, _ := adtypes.ParseGUID(vec.RootKeyID)
	data, _ := hex.DecodeString(vec.RootKeyData)
	sid, _ := adtypes.ParseSID(vec.AccountSID)
	root := &gkdi.RootKey{ID: id, Version: 1, Data: data, Hash: gkdi.SHA512}

	p, err := managedpassword.Derive(root, sid, gkdi.GKID{L0: vec.GKID[0], L1: vec.GKID[1], L2: vec.GKID[2]})
	if err != nil {
		panic(err)
	}
	keys, err := managedpassword.KeysFor(&p, "", "gmsa1$", "example.com")
	if err != nil {
		panic(err)
	}
	nt := p.NTHash()
	fmt.Println(p) // secrets print redacted
	fmt.Println("salt:", keys.Salt)
	fmt.Printf("NT hash: %x\n", nt)
	fmt.Printf("aes256: %x\n", keys.AES256.Bytes())
	// Output:
	// gMSA password [REDACTED]
	// salt: EXAMPLE.COMhostgmsa1.example.com
	// NT hash: f3510c3e6b429d9fe6ca41248b331c1a
	// aes256: a68a109c30a7a2942c1658715bc7b818062431a2ad8fdcc542cfbb8b82402cdc
}
