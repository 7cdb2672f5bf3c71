package testpeer

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestSamba starts one DC and checks what the gMSA tests rely on: the 2016
// functional level, the KDS root key made at provisioning, and that a
// computer allowed to a gMSA reads msDS-ManagedPassword over ldaps only.
func TestSamba(t *testing.T) {
	s := StartSamba(t, SambaOptions{Addr: Loopback("internal/testpeer")})

	t.Run("the rootDSE shows the 2016 domain functional level", func(t *testing.T) {
		root := s.LDAPSearch(t, "", "base", "(objectClass=*)", "domainFunctionality", "defaultNamingContext")
		if len(root) != 1 {
			t.Fatalf("rootDSE: %d entries, want 1", len(root))
		}
		if got := string(first(root[0], "domainFunctionality")); got != "7" {
			t.Errorf("domainFunctionality = %q, want 7 (2016)", got)
		}
		if got := string(first(root[0], "defaultNamingContext")); got != s.BaseDN {
			t.Errorf("defaultNamingContext = %q, want %q", got, s.BaseDN)
		}
	})

	t.Run("provisioning made one KDS root key with 64 bytes of key data", func(t *testing.T) {
		keys := s.LDAPSearch(t, "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,CN=Configuration,"+s.BaseDN,
			"one", "(objectClass=msKds-ProvRootKey)", "msKds-RootKeyData", "msKds-KDFAlgorithmID")
		if len(keys) != 1 {
			t.Fatalf("found %d root keys, want 1", len(keys))
		}
		if data := first(keys[0], "msKds-RootKeyData"); len(data) != 64 {
			t.Errorf("%s: msKds-RootKeyData has %d bytes, want 64", first(keys[0], "dn"), len(data))
		}
	})

	t.Run("a computer allowed to a gMSA reads its password over ldaps only", func(t *testing.T) {
		const pw = "Node1-Pw-Xy7!abc"
		s.CreateComputer(t, "node1", pw)
		dn := s.CreateGMSA(t, "gmsa1", "gmsa1."+s.Domain, 30, "node1$")
		node := LDAPConn{BindDN: "node1$@" + s.Domain, Password: pw}

		got, err := s.Search(node, dn, "base", "", "msDS-ManagedPassword")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d entries, want 1", len(got))
		}
		blob := first(got[0], "msDS-ManagedPassword")
		if len(blob) != 290 || !bytes.HasPrefix(blob, []byte{1, 0, 0, 0, 0x22, 1, 0, 0}) {
			t.Errorf("msDS-ManagedPassword = %d bytes starting % x, want 290 bytes starting 01 00 00 00 22 01 00 00",
				len(blob), blob[:min(8, len(blob))])
		}

		// Samba's default "ldap server require strong auth = yes" already
		// refuses the simple bind on plain LDAP.
		node.URL = "ldap://" + s.Addr
		got, err = s.Search(node, dn, "base", "", "msDS-ManagedPassword")
		var cerr *CommandError
		if !errors.As(err, &cerr) || cerr.ExitCode != 8 {
			t.Errorf("over ldap:// got %q, %v; want ldapsearch to fail with 8 (strongerAuthRequired)", got, err)
		}
	})

	t.Run("MIT kinit gets a TGT from the KDC with Env", func(t *testing.T) {
		kinit, err := lookPath("kinit")
		if err != nil {
			Missing(t, "krb5-user", "\"kinit\" not found")
		}
		cmd := exec.Command(kinit, "Administrator@"+s.Realm)
		cmd.Env = append(cleanEnv(), s.Env()...)
		cmd.Stdin = strings.NewReader(s.AdminPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kinit: %v: %s", err, out)
		}
	})
}

func first(e map[string][][]byte, attr string) []byte {
	if v := e[attr]; len(v) > 0 {
		return v[0]
	}
	return nil
}
