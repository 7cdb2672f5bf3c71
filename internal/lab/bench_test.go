package lab

// Benchmarks of the lab's LDAP against Samba 4.22 in the same run (the
// password read is the ratio docs/benchmarks.md reports):
//
//	go test ./internal/lab -run '^$' -bench . -benchtime=200x

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// benchLab serves a lab with WebApp01 readable by NODE1$.
func benchLab(b *testing.B) *testLab {
	b.Helper()
	tl := startLab(b, testpeer.Loopback("internal/lab"))
	ctx := context.Background()
	admin := tl.dial(b, "", "")
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		b.Fatal(err)
	}
	tl.addComputer(b, "NODE1", "Node1-Pa55-word")
	if err := admin.AddGroupMember(ctx, "WebApp01Hosts", "NODE1$"); err != nil {
		b.Fatal(err)
	}
	if _, err := admin.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		AllowedPrincipals: []string{"WebApp01Hosts"}}); err != nil {
		b.Fatal(err)
	}
	return tl
}

// BenchmarkPasswordReadLDAPS: msDS-ManagedPassword read by an allowed
// computer over an open, bound LDAPS connection — the lab and Samba 4.22.
func BenchmarkPasswordReadLDAPS(b *testing.B) {
	ctx := context.Background()
	b.Run("lab", func(b *testing.B) {
		tl := benchLab(b)
		c := tl.dial(b, "NODE1$@contoso.com", "Node1-Pa55-word")
		a, err := c.FindAccount(ctx, "WebApp01")
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.ManagedPassword(ctx, a.DN); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
	})
	b.Run("samba", func(b *testing.B) {
		s := testpeer.StartSamba(b, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/lab/samba")})
		s.CreateComputer(b, "node1", "Node1-Pa55-word")
		dn := s.CreateGMSA(b, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
		c, err := directory.Dial(ctx, directory.Options{Server: "ldaps://" + s.Addr, CAFile: s.CAFile})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if err := c.BindSimple(ctx, "node1$@"+s.Domain, "Node1-Pa55-word"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.ManagedPassword(ctx, dn); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
	})
}

// BenchmarkSimpleBindLDAPS: binds per second on one open LDAPS connection
// (the password check is an NT-hash comparison; the token is computed at
// each bind).
func BenchmarkSimpleBindLDAPS(b *testing.B) {
	tl := benchLab(b)
	l, err := ldap.DialURL(tl.info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	for b.Loop() {
		if err := l.Bind("NODE1$@contoso.com", "Node1-Pa55-word"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "binds/s")
}

// BenchmarkSearch10000Accounts: a lab with 10,000 computer accounts in 100
// groups: an indexed lookup (sAMAccountName), an unindexed filter that
// walks the whole domain, and the heap the server holds.
func BenchmarkSearch10000Accounts(b *testing.B) {
	dir := b.TempDir()
	d, err := Init(dir, InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		b.Fatal(err)
	}
	const n, groups = 10000, 100
	dom := d.Domain()
	for start := 0; start < n; start += 1000 {
		err := d.db.Update(func(tx *store.Tx) error {
			for i := start; i < start+1000; i++ {
				name := fmt.Sprintf("host%05d", i)
				e := newEntry("CN="+name+",CN=Computers,"+dom.DN(), "objectClass", []string{"top", "person", "organizationalPerson", "user", "computer"},
					"cn", name, "sAMAccountName", name+"$", "dNSHostName", name+".contoso.com",
					"servicePrincipalName", []string{"host/" + name, "host/" + name + ".contoso.com"},
					"objectSid", dom.SID.WithRID(uint32(10000+i)).Bytes(), "userAccountControl", 4096,
					"description", "bench host "+strconv.Itoa(i))
				if err := tx.Add(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	err = d.db.Update(func(tx *store.Tx) error {
		for g := 0; g < groups; g++ {
			e := newEntry(fmt.Sprintf("CN=group%03d,CN=Users,%s", g, dom.DN()), "objectClass", []string{"top", "group"},
				"sAMAccountName", fmt.Sprintf("group%03d", g), "objectSid", dom.SID.WithRID(uint32(30000+g)).Bytes(),
				"groupType", strconv.Itoa(groupTypeGlobal|groupTypeSecurity))
			for i := g; i < n; i += groups {
				e.Add("member", []byte(fmt.Sprintf("CN=host%05d,CN=Computers,%s", i, dom.DN())))
			}
			if err := tx.Add(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	d.Close()
	tl := serveLab(b, dir, testpeer.Loopback("internal/lab"), -1)
	c := tl.dial(b, "", "")
	ctx := context.Background()
	b.Run("indexed-lookup", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := c.FindAccount(ctx, fmt.Sprintf("host%05d", i%n)); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
	})
	l, err := ldap.DialURL(tl.info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.Bind("Administrator@contoso.com", testAdminPassword); err != nil {
		b.Fatal(err)
	}
	b.Run("unindexed-walk", func(b *testing.B) {
		for b.Loop() {
			res, err := l.Search(ldap.NewSearchRequest(dom.DN(), ldap.ScopeWholeSubtree, 0, 0, 0, false,
				"(description=bench host 9999)", []string{"dn"}, nil))
			if err != nil || len(res.Entries) != 1 {
				b.Fatalf("%v %v", err, res)
			}
		}
	})
	b.Run("member-of-in-chain", func(b *testing.B) {
		for b.Loop() {
			res, err := l.Search(ldap.NewSearchRequest(dom.DN(), ldap.ScopeWholeSubtree, 0, 0, 0, false,
				"(&(sAMAccountName=host00042$)(memberOf:1.2.840.113556.1.4.1941:=CN=group042,CN=Users,"+dom.DN()+"))", []string{"dn"}, nil))
			if err != nil || len(res.Entries) != 1 {
				b.Fatalf("%v %v", err, res)
			}
		}
	})
	b.Run("heap", func(b *testing.B) {
		for b.Loop() {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	})
}
