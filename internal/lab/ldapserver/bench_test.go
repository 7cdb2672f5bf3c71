package ldapserver

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func BenchmarkSimpleBindLDAPS(b *testing.B) {
	env := startServer(b, nil)
	c := dialLDAPS(b, env)
	for b.Loop() {
		if err := c.Bind(adminDN, adminPass); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaseSearchLDAPS(b *testing.B) {
	env := startServer(b, nil)
	c := dialLDAPS(b, env)
	req := ldap.NewSearchRequest(baseDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"dc"}, nil)
	for b.Loop() {
		res, err := c.Search(req)
		if err != nil || len(res.Entries) != 1 {
			b.Fatalf("%v, %v", res, err)
		}
	}
}
