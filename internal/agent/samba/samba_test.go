// Package samba_test holds gmsad's proof against a real Active Directory
// implementation: a Samba 4.22 AD DC with its default strict LDAP settings.
// The agent binds as a domain-joined host would (the machine keytab, SASL
// GSSAPI sealed over ldap://) and as a non-domain-joined host would (the
// portable identity's account, a simple bind over LDAPS), and MIT klist and
// kvno use the lease it writes. It lives apart from internal/agent so that
// the slow Samba start does not weigh on that package's tests.
package samba_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const node1Password = "Node1-Pw-Xy7!abc"

// machineKeytab writes node1$'s keytab as `net ads join` would: AES keys
// from the password with AD's computer salt.
func machineKeytab(t *testing.T, s *testpeer.Samba, path string) {
	t.Helper()
	salt, err := managedpassword.Salt(s.Realm, "node1$", s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	p := keytab.Principal{Components: []string{"node1$"}, Realm: s.Realm, NameType: keytab.NameTypePrincipal}
	var kt keytab.Keytab
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(e, node1Password, salt, nil)
		if err != nil {
			t.Fatal(err)
		}
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, KVNO: 1, Key: k})
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAgentAgainstSamba(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "klist", "kvno")
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/agent/samba")})
	s.CreateComputer(t, "node1", node1Password)
	s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
	s.Tool(t, "spn", "add", "http/mysite."+s.Domain, "WebApp01$")

	spec, err := credspec.Marshal(&credspec.Spec{CmsPlugins: []string{"ActiveDirectory"},
		DomainJoinConfig: credspec.DomainJoinConfig{Sid: "S-1-5-21-1-2-3", MachineAccountName: "WebApp01", Guid: "5a8a8a4e-0b1c-4c33-9f44-6b8a4d8b9e11",
			DnsTreeName: s.Domain, DnsName: s.Domain, NetBiosName: s.NetBIOS},
		ActiveDirectoryConfig: credspec.ActiveDirectoryConfig{GroupManagedServiceAccounts: []credspec.Account{{Name: "WebApp01", Scope: s.Domain}}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kt := filepath.Join(dir, "krb5.keytab")
	machineKeytab(t, s, kt)
	kdc := net.JoinHostPort(s.Addr, "88")

	for _, tc := range []struct {
		name string
		dc   agent.DC
		host agent.HostCredentials
	}{
		{"a domain-joined host: machine keytab, GSSAPI sealed over ldap://", agent.DC{LDAP: "ldap://" + s.Addr, KDC: kdc},
			agent.HostCredentials{Keytab: kt}},
		{"a non-domain-joined host: the portable identity over ldaps://", agent.DC{LDAP: "ldaps://" + s.Addr, KDC: kdc},
			agent.HostCredentials{User: "node1$@" + s.Domain, Password: node1Password}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			a, err := agent.New(agent.Options{Domain: s.Domain, DCs: []agent.DC{tc.dc}, CAFile: s.CAFile, Host: tc.host,
				StateDir: filepath.Join(state, "state"), LeaseRoot: filepath.Join(state, "leases"), CreateGroup: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			l, err := a.Create(context.Background(), agent.Caller{}, agent.CreateRequest{CredentialSpec: spec, Keytab: true})
			if err != nil {
				t.Fatal(err)
			}
			run := func(bin string, args ...string) string {
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "KRB5CCNAME=FILE:"+filepath.Join(l.Dir, agent.CCacheFile), "KRB5_CONFIG="+filepath.Join(l.Dir, agent.ConfFile))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			out := run(bins[0])
			if !strings.Contains(out, fmt.Sprintf("Default principal: WebApp01$@%s", s.Realm)) || !strings.Contains(out, "krbtgt/"+s.Realm) {
				t.Fatalf("klist:\n%s", out)
			}
			out = run(bins[1], "http/mysite."+s.Domain+"@"+s.Realm)
			if !strings.Contains(out, "kvno = ") {
				t.Fatalf("kvno:\n%s", out)
			}
			// The keytab's kvno is the one Samba's ticket carries.
			kvno := strings.TrimSpace(out[strings.Index(out, "kvno = ")+len("kvno = "):])
			out = run(bins[0], "-k", filepath.Join(l.Dir, agent.KeytabFile))
			if !strings.Contains(out, "   "+kvno+" WebApp01$@"+s.Realm) {
				t.Fatalf("klist -k (want kvno %s):\n%s", kvno, out)
			}
		})
	}
}
