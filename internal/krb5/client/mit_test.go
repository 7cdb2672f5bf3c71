package client

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const mitAlicePassword = "Alice-Passw0rd!"

// startMIT starts an MIT KDC with alice, two HTTP services, and keytabs for
// alice and HTTP/web.contoso.com that ktadd wrote.
func startMIT(t testing.TB, enctypes []string) (*testpeer.MITKDC, tcpTransport) {
	t.Helper()
	k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/krb5/client"), Enctypes: enctypes})
	k.AddPrincipal(t, "alice", mitAlicePassword)
	k.Admin(t, "", "modprinc -maxrenewlife 7d alice")
	k.Admin(t, "", "modprinc -maxrenewlife 7d krbtgt/"+k.Realm)
	k.AddRandKey(t, "HTTP/web.contoso.com")
	k.AddRandKey(t, "HTTP/other.contoso.com")
	k.ExportKeytab(t, "HTTP/web.contoso.com", filepath.Join(k.Dir, "http.keytab"))
	k.ExportKeytab(t, "alice", filepath.Join(k.Dir, "alice.keytab"))
	return k, tcpTransport{k.Realm: net.JoinHostPort(k.Addr, strconv.Itoa(k.Port))}
}

func readKeytab(t testing.TB, path string) *keytab.Keytab {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return kt
}

func TestMITKDC(t *testing.T) {
	configs := []struct {
		name      string
		kdc       []string
		client    []crypto.EncType
		expectKey crypto.EncType // the TGT session key's type
	}{
		{
			name:      "AES-SHA1 only",
			kdc:       []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"},
			expectKey: crypto.AES256CTSHMACSHA196,
		},
		{
			name:      "SHA2 preferred",
			kdc:       []string{"aes256-cts-hmac-sha384-192", "aes128-cts-hmac-sha256-128", "aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"},
			client:    []crypto.EncType{crypto.AES256CTSHMACSHA384192, crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196},
			expectKey: crypto.AES256CTSHMACSHA384192,
		},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			k, tr := startMIT(t, cfg.kdc)
			ctx := context.Background()
			c := &Client{Transport: tr, Now: time.Now, Rand: rand.Reader, EncTypes: cfg.client}

			start := time.Now()
			tgt, err := c.Login(ctx, LoginRequest{Principal: "alice@CONTOSO.COM", Keys: Password{Password: mitAlicePassword}, RenewLifetime: 48 * time.Hour, Forwardable: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("password login: %v", time.Since(start))
			if tgt.SessionKey.Type != cfg.expectKey {
				t.Errorf("TGT session key %s, want %s", tgt.SessionKey.Type, cfg.expectKey)
			}
			if tgt.Flags&msg.TicketFlagRenewable == 0 || tgt.RenewTill.IsZero() {
				t.Errorf("TGT not renewable: flags %s, renew-till %v", tgt.Flags, tgt.RenewTill)
			}
			if tgt.Flags&msg.TicketFlagPreAuthent == 0 {
				t.Errorf("TGT flags %s lack pre-authent", tgt.Flags)
			}

			t.Run("a keytab that ktadd wrote logs in", func(t *testing.T) {
				cr, err := c.Login(ctx, LoginRequest{Principal: "alice@CONTOSO.COM", Keys: Keytab{Keytab: readKeytab(t, filepath.Join(k.Dir, "alice.keytab"))}})
				if err != nil {
					t.Fatal(err)
				}
				if cr.ClientName() != "alice@CONTOSO.COM" {
					t.Errorf("client %s", cr.ClientName())
				}
			})
			t.Run("raw keys made with the default salt log in", func(t *testing.T) {
				key, err := crypto.StringToKey(cfg.expectKey, mitAlicePassword, "CONTOSO.COMalice", nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Login(ctx, LoginRequest{Principal: "alice@CONTOSO.COM", Keys: Keys{key}}); err != nil {
					t.Fatal(err)
				}
			})
			t.Run("a wrong password is ErrPreauthFailed", func(t *testing.T) {
				_, err := c.Login(ctx, LoginRequest{Principal: "alice@CONTOSO.COM", Keys: Password{Password: "wrong"}})
				var ke *KDCError
				if !errors.Is(err, ErrPreauthFailed) || !errors.As(err, &ke) {
					t.Fatalf("err = %v, want ErrPreauthFailed", err)
				}
				t.Logf("error: %v; hint: %s", err, ke.Hint())
			})
			t.Run("an unknown principal is ErrPrincipalUnknown", func(t *testing.T) {
				_, err := c.Login(ctx, LoginRequest{Principal: "nobody@CONTOSO.COM", Keys: Password{Password: "x"}})
				if !errors.Is(err, ErrPrincipalUnknown) {
					t.Fatalf("err = %v, want ErrPrincipalUnknown", err)
				}
			})

			start = time.Now()
			st, err := c.ServiceTicket(ctx, tgt, "HTTP/web.contoso.com", TGSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("service ticket: %v", time.Since(start))
			t.Run("the service ticket decrypts with the service's keytab key", func(t *testing.T) {
				tkt, err := msg.ParseTicket(st.Ticket)
				if err != nil {
					t.Fatal(err)
				}
				ent, err := readKeytab(t, filepath.Join(k.Dir, "http.keytab")).Find("HTTP/web.contoso.com", k.Realm, 0, tkt.EncPart.EType)
				if err != nil {
					t.Fatal(err)
				}
				etp, err := tkt.Decrypt(ent.Key)
				if err != nil {
					t.Fatal(err)
				}
				if etp.CName.WithRealm(etp.CRealm) != "alice@CONTOSO.COM" {
					t.Errorf("ticket client %s", etp.CName.WithRealm(etp.CRealm))
				}
				sk, _ := etp.Key.Key()
				if string(sk.Bytes()) != string(st.SessionKey.Bytes()) {
					t.Error("the ticket's session key is not the reply's")
				}
			})

			t.Run("a renewable TGT renews", func(t *testing.T) {
				r, err := c.Renew(ctx, tgt)
				if err != nil {
					t.Fatal(err)
				}
				if !r.AuthTime.Equal(tgt.AuthTime) || !r.RenewTill.Equal(tgt.RenewTill) || r.EndTime.Before(tgt.EndTime) {
					t.Errorf("renewed: authtime %v endtime %v renew-till %v; before: %v %v %v", r.AuthTime, r.EndTime, r.RenewTill, tgt.AuthTime, tgt.EndTime, tgt.RenewTill)
				}
				if !strings.EqualFold(r.ServerName(), tgt.ServerName()) {
					t.Errorf("renewed server %s", r.ServerName())
				}
				if _, err := c.ServiceTicket(ctx, r, "HTTP/other.contoso.com", TGSOptions{}); err != nil {
					t.Errorf("service ticket with the renewed TGT: %v", err)
				}
			})

			t.Run("MIT klist reads the ccache and kvno and kinit -R use it", func(t *testing.T) {
				b, err := NewCache(tgt, st).Marshal()
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(k.Dir, "ours.cc")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				out := k.Run(t, "klist", "-f", "-e", "-c", "FILE:"+path)
				for _, want := range []string{"Default principal: alice@CONTOSO.COM", "krbtgt/CONTOSO.COM@CONTOSO.COM", "HTTP/web.contoso.com@CONTOSO.COM", cfg.expectKey.String()} {
					if !strings.Contains(out, want) {
						t.Errorf("klist output lacks %q:\n%s", want, out)
					}
				}
				out = k.Run(t, "kvno", "-c", "FILE:"+path, "HTTP/other.contoso.com")
				if !strings.Contains(out, "HTTP/other.contoso.com@CONTOSO.COM: kvno = ") {
					t.Errorf("kvno: %s", out)
				}
				k.Run(t, "kinit", "-R", "-c", "FILE:"+path)
				t.Logf("klist after kinit -R:\n%s", k.Run(t, "klist", "-f", "-c", "FILE:"+path))
			})
		})
	}
}

func BenchmarkASAndTGS(b *testing.B) {
	k, tr := startMIT(b, []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"})
	key, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, mitAlicePassword, "CONTOSO.COMalice", nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = k
	c := &Client{Transport: tr, Now: time.Now, Rand: rand.Reader}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		tgt, err := c.Login(ctx, LoginRequest{Principal: "alice@CONTOSO.COM", Keys: Keys{key}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.ServiceTicket(ctx, tgt, "HTTP/web.contoso.com", TGSOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
