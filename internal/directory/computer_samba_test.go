package directory_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// loginAs gets a TGT for name$ with password and the AD machine salt we
// compute (not the KDC's ETYPE-INFO2): it works only if the DC stored the
// password and our salt is the DC's.
func loginAs(t *testing.T, s *testpeer.Samba, name, password string) *client.Credentials {
	t.Helper()
	kc, _ := node1TGT(t, s)
	salt, err := managedpassword.Salt(s.Realm, name+"$", s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := kc.Login(ctx(t), client.LoginRequest{Principal: name + "$@" + s.Realm, Keys: client.Password{Password: password, Salt: salt}})
	if err != nil {
		t.Fatalf("login as %s$ with the password we set: %v", name, err)
	}
	return tgt
}

// TestCreateComputerAgainstSamba: computer accounts as `net ads join` makes
// them, with the password in the add or set afterwards, and the refusals.
func TestCreateComputerAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})

	t.Run("with the password in the add", func(t *testing.T) {
		const pw = "Join1-Pw-8sKq!x2Lm#Zt"
		a, err := c.CreateComputer(ctx(t), directory.ComputerOptions{Name: "JOIN1", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if want := "CN=JOIN1,CN=Computers," + s.BaseDN; !strings.EqualFold(a.DN, want) || a.SAMAccountName != "JOIN1$" || a.SID.IsZero() {
			t.Fatalf("got %s %s %s, want %s JOIN1$", a.DN, a.SAMAccountName, a.SID, want)
		}
		e := one(t, s.LDAPSearch(t, a.DN, "base", "", "objectClass", "userAccountControl", "msDS-SupportedEncryptionTypes",
			"dNSHostName", "servicePrincipalName", "msDS-KeyVersionNumber"))
		for _, f := range []struct{ attr, want string }{
			{"userAccountControl", "4096"},
			{"msDS-SupportedEncryptionTypes", "24"},
			{"dNSHostName", "join1." + s.Domain},
			{"msDS-KeyVersionNumber", strconv.FormatUint(uint64(a.KeyVersionNumber), 10)},
		} {
			if got := string(first(t, e, f.attr)); got != f.want {
				t.Errorf("%s = %s, want %s", f.attr, got, f.want)
			}
		}
		var spns []string
		for _, v := range e["servicePrincipalName"] {
			spns = append(spns, string(v))
		}
		slices.Sort(spns)
		if want := []string{"host/JOIN1", "host/join1." + s.Domain}; !slices.Equal(spns, want) {
			t.Errorf("SPNs %q, want %q", spns, want)
		}
		if !slices.ContainsFunc(e["objectClass"], func(v []byte) bool { return string(v) == "computer" }) {
			t.Errorf("objectClass %q", e["objectClass"])
		}
		t.Logf("kvno after an add with a password: %d", a.KeyVersionNumber)
		loginAs(t, s, "JOIN1", pw)

		t.Run("a second set bumps the kvno, and the new password works", func(t *testing.T) {
			const pw2 = "Join1-Pw2-Rt5!vB9#qWe"
			kvno, err := c.SetPassword(ctx(t), "join1", pw2)
			if err != nil {
				t.Fatal(err)
			}
			if kvno != a.KeyVersionNumber+1 {
				t.Errorf("kvno %d after the reset, was %d", kvno, a.KeyVersionNumber)
			}
			if got := string(first(t, one(t, s.LDAPSearch(t, a.DN, "base", "", "msDS-KeyVersionNumber")), "msDS-KeyVersionNumber")); got != strconv.FormatUint(uint64(kvno), 10) {
				t.Errorf("SetPassword says kvno %d, ldapsearch %s", kvno, got)
			}
			loginAs(t, s, "JOIN1", pw2)
		})
	})

	t.Run("without a password, then SetPassword by DN", func(t *testing.T) {
		a, err := c.CreateComputer(ctx(t), directory.ComputerOptions{Name: "join2$", DNSHostName: "j2.example.test",
			SPNs: []string{"host/j2.example.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if a.SAMAccountName != "join2$" || a.DNSHostName != "j2.example.test" || len(a.SPNs) != 1 {
			t.Errorf("%+v", a)
		}
		const pw = "Join2-Pw-Hh3!kL7#pQz"
		kvno, err := c.SetPassword(ctx(t), a.DN, pw)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kvno %d before, %d after the first SetPassword", a.KeyVersionNumber, kvno)
		if kvno <= a.KeyVersionNumber && a.KeyVersionNumber != 0 {
			t.Errorf("kvno %d not above %d", kvno, a.KeyVersionNumber)
		}
		loginAs(t, s, "join2", pw)
	})

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name    string
			o       directory.ComputerOptions
			wantErr error
			wantMsg string
		}{
			{name: "a taken name is ErrExists", o: directory.ComputerOptions{Name: "node1"}, wantErr: directory.ErrExists, wantMsg: "node1$"},
			{name: "a taken name in another case with $ is ErrExists", o: directory.ComputerOptions{Name: "JOIN2$"}, wantErr: directory.ErrExists},
			{name: "an SPN on another account is ErrSPNInUse", o: directory.ComputerOptions{Name: "join3", SPNs: []string{"HOST/join1." + s.Domain}},
				wantErr: directory.ErrSPNInUse, wantMsg: "JOIN1$"},
			{name: "a name with a slash is refused", o: directory.ComputerOptions{Name: "a/b"}, wantMsg: "invalid computer name"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.CreateComputer(ctx(t), tt.o)
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %v, want %v naming %q", err, tt.wantErr, tt.wantMsg)
				}
				t.Logf("%v (hint: %s)", err, hintOf(err))
			})
		}
		if _, err := c.FindAccount(ctx(t), "join3"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("join3 exists after a refused create: %v", err)
		}
		if _, err := c.SetPassword(ctx(t), "ghost7", "Xx1!xxxxxxxxxxxx"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("SetPassword of a missing account: %v", err)
		}
	})

	t.Run("a sign-only Kerberos connection never carries a password", func(t *testing.T) {
		kc, tgt := node1TGT(t, s)
		signed := connect(t, s, bind{url: "ldap", user: "-"})
		if err := signed.BindGSSAPI(ctx(t), directory.GSSAPIOptions{Client: kc, TGT: tgt, SPN: "ldap/dc1." + s.Domain, Layer: sasl.LayerIntegrity}); err != nil {
			t.Fatal(err)
		}
		_, err := signed.SetPassword(ctx(t), "CN=JOIN1,CN=Computers,"+s.BaseDN, "Secret-Never-Sent-1!")
		if !errors.Is(err, directory.ErrConfidentialityRequired) || !strings.Contains(hintOf(err), "sealed") {
			t.Fatalf("SetPassword: got %v, want ErrConfidentialityRequired", err)
		}
		t.Logf("%v\nhint: %s", err, hintOf(err))
		if strings.Contains(err.Error(), "Secret-Never-Sent") {
			t.Error("the error carries the password")
		}
		_, err = signed.CreateComputer(ctx(t), directory.ComputerOptions{Name: "join4", Password: "Secret-Never-Sent-1!"})
		if !errors.Is(err, directory.ErrConfidentialityRequired) {
			t.Fatalf("CreateComputer: got %v, want ErrConfidentialityRequired", err)
		}
	})
}

// TestFindGMSAAgainstSamba: the non-secret gMSA attributes, against
// ldapsearch.
func TestFindGMSAAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	g, err := c.FindGMSA(ctx(t), "webapp01")
	if err != nil {
		t.Fatal(err)
	}
	if g.SAMAccountName != "WebApp01$" || g.PasswordIntervalDays != 30 || g.PasswordID == nil {
		t.Fatalf("%+v", g)
	}
	node, err := c.FindAccount(ctx(t), "node1")
	if err != nil {
		t.Fatal(err)
	}
	// samba-tool service-account create also allows its caller,
	// Administrator.
	if !slices.ContainsFunc(g.Allowed, node.SID.Equal) {
		t.Errorf("allowed %s, want node1$ %s among them", g.Allowed, node.SID)
	}
	mp, err := connect(t, s, bind{user: "node1$@" + s.Domain, password: node1Password}).ManagedPassword(context.Background(), "webapp01")
	if err != nil {
		t.Fatal(err)
	}
	if mp.Account.PasswordID.RootKeyID != g.PasswordID.RootKeyID || mp.Account.PasswordID.GKID != g.PasswordID.GKID {
		t.Errorf("password id %+v, ManagedPassword read %+v", g.PasswordID, mp.Account.PasswordID)
	}
	if _, err := c.FindGMSA(ctx(t), "node1"); !errors.Is(err, directory.ErrNotGMSA) {
		t.Errorf("node1: %v", err)
	}
	if _, err := c.FindGMSA(ctx(t), "ghost8"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("ghost8: %v", err)
	}
}
