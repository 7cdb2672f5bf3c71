package cli

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const (
	newNode1Password = "Node1-Pw-Xy7!abc"
	newBobPassword   = "Bob-Pw-Qz8!xyz"
)

// attr returns the first value of an attribute of an ldapsearch entry,
// matching the name case-insensitively.
func attr(t *testing.T, e map[string][][]byte, name string) []byte {
	t.Helper()
	for k, v := range e {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	t.Fatalf("entry %s has no %s", e["dn"], name)
	return nil
}

func writePasswordFile(t *testing.T, password string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// expectedSpec builds the spec for account (and the additional accounts)
// from ldapsearch's view of the domain, not from package directory.
func expectedSpec(t *testing.T, s *testpeer.Samba, account string, additional ...string) *credspec.Spec {
	t.Helper()
	dse := s.LDAPSearch(t, "", "base", "", "defaultNamingContext", "configurationNamingContext", "rootDomainNamingContext")[0]
	defNC, confNC, rootNC := string(attr(t, dse, "defaultNamingContext")), string(attr(t, dse, "configurationNamingContext")), string(attr(t, dse, "rootDomainNamingContext"))
	head := s.LDAPSearch(t, defNC, "base", "", "objectSid", "objectGUID")[0]
	sid, err := adtypes.SIDFromBytes(attr(t, head, "objectSid"))
	if err != nil {
		t.Fatal(err)
	}
	guid, err := adtypes.GUIDFromBytes(attr(t, head, "objectGUID"))
	if err != nil {
		t.Fatal(err)
	}
	ref := func(nc string) map[string][][]byte {
		refs := s.LDAPSearch(t, "CN=Partitions,"+confNC, "one", fmt.Sprintf("(&(objectClass=crossRef)(nCName=%s))", nc), "dnsRoot", "nETBIOSName")
		if len(refs) != 1 {
			t.Fatalf("crossRef for %s: %d entries", nc, len(refs))
		}
		return refs[0]
	}
	dom := ref(defNC)
	dnsName, netbios := strings.ToLower(string(attr(t, dom, "dnsRoot"))), string(attr(t, dom, "nETBIOSName"))
	forest := strings.ToLower(string(attr(t, ref(rootNC), "dnsRoot")))
	stored := func(name string) string {
		es := s.LDAPSearch(t, defNC, "sub", "(sAMAccountName="+name+"$)", "sAMAccountName")
		if len(es) != 1 {
			t.Fatalf("%s$: %d entries", name, len(es))
		}
		return strings.TrimSuffix(string(attr(t, es[0], "sAMAccountName")), "$")
	}
	spec := &credspec.Spec{
		CmsPlugins: []string{"ActiveDirectory"},
		DomainJoinConfig: credspec.DomainJoinConfig{
			Sid: sid.String(), MachineAccountName: stored(account), Guid: guid.String(),
			DnsTreeName: forest, DnsName: dnsName, NetBiosName: netbios,
		},
	}
	for _, a := range append([]string{account}, additional...) {
		n := stored(a)
		spec.ActiveDirectoryConfig.GroupManagedServiceAccounts = append(spec.ActiveDirectoryConfig.GroupManagedServiceAccounts,
			credspec.Account{Name: n, Scope: dnsName}, credspec.Account{Name: n, Scope: netbios})
	}
	return spec
}

// TestCredspecNewWithSamba: `gmsa credspec new` against Samba 4.22 writes
// what New-CredentialSpec writes, byte for byte, from the domain's own data.
func TestCredspecNewWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_CREDSPECS_DIR"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/samba")})
	s.CreateComputer(t, "node1", newNode1Password)
	s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
	s.CreateGMSA(t, "LogAgentSvc", "logagentsvc."+s.Domain, 30)
	s.Tool(t, "user", "create", "bob", "--random-password")
	s.LDAPModify(t, fmt.Sprintf("dn: CN=bob,CN=Users,%s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n",
		s.BaseDN, unicodePwdB64(newBobPassword)))

	adminPW := writePasswordFile(t, s.AdminPassword)
	nodePW := writePasswordFile(t, newNode1Password)
	bobPW := writePasswordFile(t, newBobPassword)
	ldaps := "ldaps://" + s.Addr
	conn := func(user, pwFile string) []string {
		return []string{"--server", ldaps, "--ca-file", s.CAFile, "--user", user, "--password-file", pwFile}
	}
	admin := conn("Administrator@"+s.Domain, adminPW)

	t.Run("the spec is New-CredentialSpec's, byte for byte", func(t *testing.T) {
		dir := t.TempDir()
		args := append([]string{"credspec", "new", "WebApp01", "--additional-accounts", "LogAgentSvc", "--credspecs-dir", dir, "-o", "json"}, admin...)
		stdout, stderr, code := runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		want := expectedSpec(t, s, "WebApp01", "LogAgentSvc")
		wantBytes, err := credspec.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Name     string          `json:"name"`
			Path     string          `json:"path"`
			Spec     json.RawMessage `json:"spec"`
			Warnings []string        `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		wantName := credspec.DefaultFileName(want.DomainJoinConfig.NetBiosName, "WebApp01")
		if out.Name != wantName || out.Path != filepath.Join(dir, wantName) {
			t.Errorf("name %q path %q, want %q in %s", out.Name, out.Path, wantName, dir)
		}
		file, err := os.ReadFile(filepath.Join(dir, wantName))
		if err != nil {
			t.Fatal(err)
		}
		if string(file) != string(wantBytes) {
			t.Errorf("file:\n%s\nwant:\n%s", file, wantBytes)
		}
		got, _, err := credspec.Parse(file)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.DomainJoinConfig, want.DomainJoinConfig) {
			t.Errorf("DomainJoinConfig %+v, want %+v", got.DomainJoinConfig, want.DomainJoinConfig)
		}
		if !reflect.DeepEqual(got.ActiveDirectoryConfig, want.ActiveDirectoryConfig) {
			t.Errorf("ActiveDirectoryConfig %+v, want %+v", got.ActiveDirectoryConfig, want.ActiveDirectoryConfig)
		}
		if !reflect.DeepEqual(got.CmsPlugins, want.CmsPlugins) {
			t.Errorf("CmsPlugins %v", got.CmsPlugins)
		}
		if got.DomainJoinConfig.Sid == "" || strings.Count(got.DomainJoinConfig.Sid, "-") != 6 {
			t.Errorf("Sid %q is not a domain SID (S-1-5-21-a-b-c)", got.DomainJoinConfig.Sid)
		}
		var outSpec, fileSpec any
		json.Unmarshal(out.Spec, &outSpec)
		json.Unmarshal(file, &fileSpec)
		if !reflect.DeepEqual(outSpec, fileSpec) {
			t.Errorf("JSON output spec %s differs from the file", out.Spec)
		}
		if fi, err := os.Stat(filepath.Join(dir, wantName)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("file mode: %v %v", fi.Mode(), err)
		}
		// Samba lets Administrator read any gMSA's password: no warning,
		// and the list is there, empty.
		if out.Warnings == nil || len(out.Warnings) != 0 || stderr != "" {
			t.Errorf("warnings %q, stderr %q", out.Warnings, stderr)
		}
		if strings.Contains(stdout+stderr, s.AdminPassword) {
			t.Error("the password was printed")
		}
	})

	t.Run("an allowed identity gets no warning; table output names the file", func(t *testing.T) {
		dir := t.TempDir()
		args := append([]string{"credspec", "new", "WebApp01$", "--credspecs-dir", dir, "--name", "web"}, conn("node1$@"+s.Domain, nodePW)...)
		stdout, stderr, code := runCLI(t, "", args...)
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		if !strings.Contains(stdout, "web.json") || !strings.Contains(stdout, filepath.Join(dir, "web.json")) {
			t.Errorf("stdout %q", stdout)
		}
		want, _ := credspec.Marshal(expectedSpec(t, s, "WebApp01"))
		if b, err := os.ReadFile(filepath.Join(dir, "web.json")); err != nil || string(b) != string(want) {
			t.Errorf("file %s (%v), want %s", b, err, want)
		}
	})

	t.Run("an identity not allowed gets the warning and the spec", func(t *testing.T) {
		for _, who := range []struct{ user, pw, account string }{
			{"bob@" + s.Domain, bobPW, "WebApp01"},
			{"node1$@" + s.Domain, nodePW, "LogAgentSvc"},
		} {
			p := filepath.Join(t.TempDir(), "sub", "spec.json")
			args := append([]string{"credspec", "new", who.account, "--path", p, "-o", "json"}, conn(who.user, who.pw)...)
			stdout, stderr, code := runCLI(t, "", args...)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s", who.user, code, stderr)
			}
			wantW := fmt.Sprintf("this identity (%s) is not allowed to retrieve the password of %s: add it (or its group) to PrincipalsAllowedToRetrieveManagedPassword", who.user, who.account)
			if !strings.Contains(stderr, "warning: "+wantW) {
				t.Errorf("%s: stderr %q", who.user, stderr)
			}
			var out struct{ Warnings []string }
			json.Unmarshal([]byte(stdout), &out)
			if len(out.Warnings) != 1 || out.Warnings[0] != wantW {
				t.Errorf("%s: warnings %q", who.user, out.Warnings)
			}
			want, _ := credspec.Marshal(expectedSpec(t, s, who.account))
			if b, err := os.ReadFile(p); err != nil || string(b) != string(want) {
				t.Errorf("%s: file %s (%v)", who.user, b, err)
			}
		}
	})

	t.Run("StartTLS, and another domain's account keeps its NetBIOS scope only", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.json")
		_, stderr, code := runCLI(t, "", "credspec", "new", "WebApp01", "--path", p,
			"--additional-accounts", `FABRIKAM\SqlSvc$,`+s.NetBIOS+`\LogAgentSvc`,
			"--server", "ldap://"+s.Addr, "--start-tls", "--ca-file", s.CAFile,
			"--user", "Administrator@"+s.Domain, "--password-file", adminPW)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		want := expectedSpec(t, s, "WebApp01")
		want.ActiveDirectoryConfig.GroupManagedServiceAccounts = append(want.ActiveDirectoryConfig.GroupManagedServiceAccounts,
			credspec.Account{Name: "SqlSvc", Scope: "FABRIKAM"},
			credspec.Account{Name: "LogAgentSvc", Scope: s.Domain}, credspec.Account{Name: "LogAgentSvc", Scope: s.NetBIOS})
		wantBytes, _ := credspec.Marshal(want)
		if b, err := os.ReadFile(p); err != nil || string(b) != string(wantBytes) {
			t.Errorf("file:\n%s\nwant:\n%s", b, wantBytes)
		}
	})

	t.Run("the environment stands in for the flags, and flags win", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("GMSA_SERVER", "ldap://"+s.Addr) // overridden by --server
		t.Setenv("GMSA_CA_FILE", s.CAFile)
		t.Setenv("GMSA_USER", "Administrator@"+s.Domain)
		t.Setenv("GMSA_PASSWORD_FILE", adminPW)
		t.Setenv("GMSA_CREDSPECS_DIR", dir)
		t.Setenv("GMSA_DOMAIN", s.Domain)
		_, stderr, code := runCLI(t, "", "credspec", "new", "LogAgentSvc", "--server", ldaps)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, credspec.DefaultFileName(s.NetBIOS, "LogAgentSvc"))); err != nil {
			t.Error(err)
		}
		_, stderr, code = runCLI(t, "", "credspec", "new", "LogAgentSvc", "--server", ldaps, "--domain", "fabrikam.com")
		if code != 1 || !strings.Contains(stderr, "not fabrikam.com") {
			t.Errorf("--domain mismatch: exit %d\n%s", code, stderr)
		}
	})

	t.Run("host account config is written and checked", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "portable.json")
		args := append([]string{"credspec", "new", "WebApp01", "--path", p, "--host-account-config", "opengmsa",
			"--plugin-input", `{"file": "/etc/gmsa/portable-user.json"}`}, admin...)
		if _, stderr, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		b, _ := os.ReadFile(p)
		got, _, err := credspec.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		h := got.ActiveDirectoryConfig.HostAccountConfig
		if h == nil || h.PortableCcgVersion != "1" || h.PluginGUID != credspec.PortableIdentityPluginGUID || h.PluginInput.String != `{"file": "/etc/gmsa/portable-user.json"}` {
			t.Errorf("HostAccountConfig %+v", h)
		}
		args = append([]string{"credspec", "new", "WebApp01", "--path", p + "2", "--host-account-config", "opengmsa",
			"--plugin-input", `{"file": "relative"}`}, admin...)
		if _, stderr, code := runCLI(t, "", args...); code != 1 || !strings.Contains(stderr, "PluginInput") {
			t.Errorf("bad plugin input: exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(p + "2"); err == nil {
			t.Error("an invalid spec was written")
		}
		args = append([]string{"credspec", "new", "WebApp01", "--path", p + "3", "--host-account-config", "7885b1b5-9c4f-456e-b0f2-536da771ae3e",
			"--plugin-input", `{"file": "/etc/gmsa/portable-user.json"}`}, admin...)
		if _, stderr, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("GUID: exit %d\n%s", code, stderr)
		}
		b, _ = os.ReadFile(p + "3")
		if !strings.Contains(string(b), `"PluginGUID": "`+credspec.PortableIdentityPluginGUID+`"`) {
			t.Errorf("GUID not braced upper-case:\n%s", b)
		}
	})

	t.Run("Kerberos binds: a keytab over sealed ldap://, a ccache over ldaps:// with channel bindings", func(t *testing.T) {
		for _, kv := range s.Env() {
			if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
				t.Setenv("KRB5_CONFIG", v)
			}
		}
		t.Setenv("KRB5CCNAME", "")
		e := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=node1$)", "msDS-KeyVersionNumber")[0]
		kvno := string(attr(t, e, "msDS-KeyVersionNumber"))
		dir := t.TempDir()
		kt := filepath.Join(dir, "node1.keytab")
		if _, stderr, code := runCLI(t, newNode1Password+"\n", "keytab", "add", "--principal", "node1$@"+s.Realm, "--password-stdin", "--kvno", kvno, "-f", kt); code != 0 {
			t.Fatalf("keytab add: %s", stderr)
		}
		want, err := credspec.Marshal(expectedSpec(t, s, "WebApp01"))
		if err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runCLI(t, "", "credspec", "new", "WebApp01", "--server", "ldap://"+s.Addr, "--keytab", kt, "--credspecs-dir", dir, "-o", "json")
		if code != 0 || strings.Contains(stdout, "not allowed") {
			t.Fatalf("keytab bind: exit %d\n%s\n%s", code, stdout, stderr)
		}
		got, err := os.ReadFile(filepath.Join(dir, credspec.DefaultFileName(s.NetBIOS, "WebApp01")))
		if err != nil || string(got) != string(want) {
			t.Fatalf("spec written over a Kerberos bind differs (%v):\n%s", err, got)
		}
		cc := filepath.Join(dir, "cc")
		if _, stderr, code := runCLI(t, "", "kinit", "-k", "-t", kt, "-c", cc, "node1$@"+s.Realm); code != 0 {
			t.Fatalf("kinit -k: %s", stderr)
		}
		if _, stderr, code := runCLI(t, "", "credspec", "new", "WebApp01", "--server", "ldaps://"+s.Addr, "--ca-file", s.CAFile,
			"--ccache", cc, "--path", filepath.Join(dir, "cb.json")); code != 0 {
			t.Fatalf("ccache bind over ldaps: exit %d: %s", code, stderr)
		}
	})

	t.Run("failures", func(t *testing.T) {
		dir := t.TempDir()
		existing := filepath.Join(dir, "webapp.json")
		if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			args     []string
			code     int
			contains string
		}{
			{"a missing account", append([]string{"credspec", "new", "NoSuchSvc", "--credspecs-dir", dir}, admin...), 1, `"NoSuchSvc"`},
			{"a missing additional account", append([]string{"credspec", "new", "WebApp01", "--additional-accounts", "LogAgentSvc,Ghost01", "--credspecs-dir", dir}, admin...), 1, `"Ghost01"`},
			{"a computer is not a gMSA", append([]string{"credspec", "new", "node1", "--credspecs-dir", dir}, admin...), 1, `"node1"`},
			{"--no-clobber keeps an existing file", append([]string{"credspec", "new", "WebApp01", "--path", existing, "--no-clobber"}, admin...), 1, "exists"},
			{"a simple bind over plain ldap:// is refused", append([]string{"credspec", "new", "WebApp01", "--credspecs-dir", dir},
				"--server", "ldap://"+s.Addr, "--user", "Administrator@"+s.Domain, "--password-file", adminPW), 2, "never sent without TLS"},
			{"a host name means ldap:// too", append([]string{"credspec", "new", "WebApp01", "--credspecs-dir", dir},
				"--server", s.Addr, "--user", "Administrator@"+s.Domain, "--password-file", adminPW), 2, "never sent without TLS"},
			{"a --keytab that does not exist", []string{"credspec", "new", "WebApp01", "--server", ldaps, "--keytab", filepath.Join(dir, "nope.keytab"), "--credspecs-dir", dir}, 2, "nope.keytab: no such file"},
			{"--name and --path", append([]string{"credspec", "new", "WebApp01", "--name", "a", "--path", "/tmp/b"}, admin...), 2, "exclude"},
			{"--host-account-config without --plugin-input", append([]string{"credspec", "new", "WebApp01", "--host-account-config", "aws"}, admin...), 2, "--plugin-input"},
			{"a wrong password", append([]string{"credspec", "new", "WebApp01", "--credspecs-dir", dir}, conn("Administrator@"+s.Domain, bobPW)...), 1, "simple bind"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, stderr, code := runCLI(t, "", tc.args...)
				if code != tc.code || !strings.Contains(stderr, tc.contains) {
					t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tc.code, stderr, tc.contains)
				}
			})
		}
		if b, _ := os.ReadFile(existing); string(b) != "keep me" {
			t.Errorf("--no-clobber changed the file: %q", b)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("failures wrote files: %v", entries)
		}
	})
}

// unicodePwdB64 encodes a password as AD's unicodePwd wants it (the quoted
// password in UTF-16LE), base64-encoded for LDIF.
func unicodePwdB64(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}
