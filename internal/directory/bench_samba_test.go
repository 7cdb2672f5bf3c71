package directory_test

// Benchmarks against the package's Samba 4.22 DC (skipped without Samba,
// like the tests): the absolute latencies docs/benchmarks.md records, which
// the lab domain is later compared to as ratios. Run them with
//
//	go test ./internal/directory -run '^$' -bench Samba -benchtime=50x

import (
	"context"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// sambaB is samba() for benchmarks: the same DC and fixture.
func sambaB(b *testing.B) *testpeer.Samba {
	b.Helper()
	testpeer.Check(b, dcErr)
	fixtureOnce.Do(func() {
		dc.CreateComputer(b, "node1", node1Password)
		dc.CreateGMSA(b, "WebApp01", "webapp01."+dc.Domain, 30, "node1$")
		dc.Tool(b, "user", "create", "bob", "--random-password")
		dc.LDAPModify(b, "dn: CN=bob,CN=Users,"+dc.BaseDN+"\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: "+unicodePwd(bobPassword)+"\n-\n")
	})
	return dc
}

func benchCtx(b *testing.B) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	b.Cleanup(cancel)
	return c
}

// dialNode1LDAPS connects over ldaps:// and binds simply as node1$.
func dialNode1LDAPS(ctx context.Context, s *testpeer.Samba) (*directory.Conn, error) {
	c, err := directory.Dial(ctx, directory.Options{Server: "ldaps://" + s.Addr, CAFile: s.CAFile, ServerName: "dc1." + s.Domain})
	if err != nil {
		return nil, err
	}
	if err := c.BindSimple(ctx, "node1$@"+s.Domain, node1Password); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// node1Keytab is node1$'s machine keytab (AES256, AES128 with the AD salt
// and its kvno), as `gmsa computer create --keytab` writes one.
func node1Keytab(b *testing.B, s *testpeer.Samba) *keytab.Keytab {
	b.Helper()
	c, err := dialNode1LDAPS(benchCtx(b), s)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	a, err := c.FindAccount(benchCtx(b), "node1$")
	if err != nil {
		b.Fatal(err)
	}
	salt, err := managedpassword.Salt(s.Realm, "node1$", s.Domain)
	if err != nil {
		b.Fatal(err)
	}
	p, err := keytab.ParsePrincipal("node1$@" + s.Realm)
	if err != nil {
		b.Fatal(err)
	}
	kt := &keytab.Keytab{}
	for _, t := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(t, node1Password, salt, nil)
		if err != nil {
			b.Fatal(err)
		}
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, KVNO: a.KeyVersionNumber, Key: k})
	}
	return kt
}

// BenchmarkSambaConnectBind: dial, bind and close, one connection per op.
func BenchmarkSambaConnectBind(b *testing.B) {
	s := sambaB(b)
	ctx := benchCtx(b)
	b.Run("simple over ldaps", func(b *testing.B) {
		for b.Loop() {
			c, err := dialNode1LDAPS(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	kt := node1Keytab(b, s)
	kc := &client.Client{Transport: kdcTransport{s.Realm: net.JoinHostPort(s.Addr, "88")}, Now: time.Now, Rand: rand.Reader}
	gssapi := func(b *testing.B, tgt *client.Credentials) {
		c, err := directory.Dial(ctx, directory.Options{Server: "ldap://" + s.Addr})
		if err != nil {
			b.Fatal(err)
		}
		if tgt == nil {
			tgt, err = kc.Login(ctx, client.LoginRequest{Principal: "node1$@" + s.Realm, Keys: client.Keytab{Keytab: kt, Principal: "node1$@" + s.Realm}})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := c.BindGSSAPI(ctx, directory.GSSAPIOptions{Client: kc, TGT: tgt, SPN: "ldap/dc1." + s.Domain}); err != nil {
			b.Fatal(err)
		}
		if !c.Confidential() {
			b.Fatal("the GSSAPI bind over ldap:// did not seal")
		}
		c.Close()
	}
	b.Run("GSSAPI sealed over ldap, AS from the machine keytab each time", func(b *testing.B) {
		for b.Loop() {
			gssapi(b, nil)
		}
	})
	b.Run("GSSAPI sealed over ldap, TGT reused", func(b *testing.B) {
		tgt, err := kc.Login(ctx, client.LoginRequest{Principal: "node1$@" + s.Realm, Keys: client.Keytab{Keytab: kt, Principal: "node1$@" + s.Realm}})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			gssapi(b, tgt)
		}
	})
}

// BenchmarkSambaFindAccount: one FindAccount (a paged subtree search by
// sAMAccountName) on a bound ldaps:// connection.
func BenchmarkSambaFindAccount(b *testing.B) {
	s := sambaB(b)
	ctx := benchCtx(b)
	c, err := dialNode1LDAPS(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if _, err := c.FindAccount(ctx, "WebApp01"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSambaManagedPassword: msDS-ManagedPassword read by the allowed
// computer node1$ over ldaps://, by DN (one base search, the DC computing
// the password) and by name (FindAccount first).
func BenchmarkSambaManagedPassword(b *testing.B) {
	s := sambaB(b)
	ctx := benchCtx(b)
	c, err := dialNode1LDAPS(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	dn := "CN=WebApp01,CN=Managed Service Accounts," + s.BaseDN
	for _, target := range []struct{ name, account string }{{"by DN", dn}, {"by name", "WebApp01"}} {
		b.Run(target.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.ManagedPassword(ctx, target.account); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
