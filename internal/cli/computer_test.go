package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

type computerCreateJSON struct {
	Account     string   `json:"account"`
	DN          string   `json:"dn"`
	SID         string   `json:"sid"`
	DNSHostName string   `json:"dns_host_name"`
	SPNs        []string `json:"spns"`
	KVNO        uint32   `json:"kvno"`
	Keytab      string   `json:"keytab"`
	Principals  []string `json:"principals"`
}

func TestRandomPassword(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		pw, err := randomPassword(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != randomPasswordLen || strings.Trim(pw, passwordAlphabet) != "" || seen[pw] {
			t.Fatalf("password of %d characters, outside the alphabet or repeated", len(pw))
		}
		seen[pw] = true
	}
	// A reader that ends is an error, not a short password.
	if _, err := randomPassword(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Fatal("a short random source gave a password")
	}
}

// TestComputerCreateWithSamba: `gmsa computer create` joins test hosts to
// Samba 4.22: MIT kinit gets a TGT with the keytab it writes, and the new
// computer, put in a group allowed on a gMSA, passes `gmsa account test`
// with that keytab.
func TestComputerCreateWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	kinit := testpeer.Binaries(t, "mit-krb5-user", "kinit")[0]
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/computer")})
	for _, kv := range s.Env() {
		if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
			t.Setenv("KRB5_CONFIG", v)
		}
	}
	t.Setenv("KRB5CCNAME", "")
	adminPW := writePasswordFile(t, s.AdminPassword)
	admin := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "Administrator@" + s.Domain, "--bind-password-file", adminPW}
	// The other verbs name the bind's password file --password-file.
	adminOther := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "Administrator@" + s.Domain, "--password-file", adminPW}
	dir := t.TempDir()
	var outputs []string
	cli := func(t *testing.T, wantCode int, args ...string) (string, string) {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		outputs = append(outputs, stdout, stderr)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	create := func(t *testing.T, args ...string) computerCreateJSON {
		t.Helper()
		stdout, _ := cli(t, 0, append(append([]string{"computer", "create", "-o", "json"}, args...), admin...)...)
		var r computerCreateJSON
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return r
	}
	mitKinit := func(t *testing.T, kt, principal string) {
		t.Helper()
		cmd := exec.Command(kinit, "-k", "-t", kt, "-c", "FILE:"+filepath.Join(dir, "mitcc"), principal)
		cmd.Env = append(os.Environ(), s.Env()...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("MIT kinit -k -t %s %s: %v\n%s", kt, principal, err, out)
		}
	}

	kt1 := filepath.Join(dir, "join1.keytab")
	var r1 computerCreateJSON
	t.Run("a random password and a keytab MIT kinit uses", func(t *testing.T) {
		r1 = create(t, "join1", "--keytab", kt1)
		want := []string{"join1$@" + s.Realm, "host/join1@" + s.Realm, "host/join1." + s.Domain + "@" + s.Realm}
		if r1.Account != "join1$" || !strings.EqualFold(r1.DN, "CN=join1,CN=Computers,"+s.BaseDN) || r1.SID == "" ||
			r1.DNSHostName != "join1."+s.Domain || r1.KVNO == 0 || r1.Keytab != kt1 || !slices.Equal(r1.Principals, want) {
			t.Fatalf("%+v", r1)
		}
		st, err := os.Stat(kt1)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("keytab mode %v, %v", st.Mode(), err)
		}
		b, _ := os.ReadFile(kt1)
		kt, err := keytab.Parse(b)
		if err != nil || len(kt.Entries) != 6 {
			t.Fatalf("keytab: %v, %d entries", err, len(kt.Entries))
		}
		for _, e := range kt.Entries {
			if e.KVNO != r1.KVNO || (e.Key.Type != crypto.AES256CTSHMACSHA196 && e.Key.Type != crypto.AES128CTSHMACSHA196) {
				t.Errorf("entry %s kvno %d %s", e.Principal, e.KVNO, e.Key.Type)
			}
		}
		e := s.LDAPSearch(t, r1.DN, "base", "", "userAccountControl", "msDS-KeyVersionNumber", "msDS-SupportedEncryptionTypes")[0]
		if string(attr(t, e, "userAccountControl")) != "4096" || string(attr(t, e, "msDS-SupportedEncryptionTypes")) != "24" ||
			string(attr(t, e, "msDS-KeyVersionNumber")) != strconv.FormatUint(uint64(r1.KVNO), 10) {
			t.Errorf("ldapsearch: %q", e)
		}
		mitKinit(t, kt1, "join1$@"+s.Realm)
		table, _ := cli(t, 0, append([]string{"computer", "create", "join5", "--keytab", filepath.Join(dir, "join5.keytab")}, admin...)...)
		if !strings.Contains(table, "Key version (kvno):") || !strings.Contains(table, "join5.keytab") {
			t.Errorf("table:\n%s", table)
		}
	})

	t.Run("put in a group allowed on a gMSA, the computer passes account test with its keytab", func(t *testing.T) {
		if r1.Keytab == "" {
			t.Skip("no keytab")
		}
		cli(t, 0, append([]string{"group", "create", "Web7Hosts"}, adminOther...)...)
		cli(t, 0, append([]string{"account", "create", "Web7", "--dns-host-name", "web7." + s.Domain, "--allowed-principals", "Web7Hosts"}, adminOther...)...)
		node := []string{"account", "test", "Web7", "--server", "ldap://" + s.Addr, "--keytab", kt1, "-o", "json"}
		stdout, _ := cli(t, 1, node...)
		if !strings.Contains(stdout, `"result": false`) {
			t.Fatalf("before add-member: %s", stdout)
		}
		cli(t, 0, append([]string{"group", "add-member", "Web7Hosts", "join1"}, adminOther...)...)
		stdout, _ = cli(t, 0, node...)
		if !strings.Contains(stdout, `"result": true`) || !strings.Contains(strings.ToLower(stdout), `"identity": "join1$@`) {
			t.Fatalf("after add-member: %s", stdout)
		}
	})

	t.Run("a password from a file, and a keytab too", func(t *testing.T) {
		const pw = "Join2-File-Pw-4tR!mK8#"
		kt2 := filepath.Join(dir, "join2.keytab")
		r := create(t, "JOIN2$", "--password-file", writePasswordFile(t, pw), "--keytab", kt2, "--dns-host-name", "j2.lab."+s.Domain)
		if r.Account != "JOIN2$" || r.DNSHostName != "j2.lab."+s.Domain || !slices.Contains(r.SPNs, "host/j2.lab."+s.Domain) {
			t.Fatalf("%+v", r)
		}
		b, _ := os.ReadFile(kt2)
		kt, err := keytab.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		want, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, pw, s.Realm+"hostjoin2."+s.Domain, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kt.Find("JOIN2$@"+s.Realm, "", r.KVNO, crypto.AES256CTSHMACSHA196)
		if err != nil || !bytes.Equal(got.Key.Bytes(), want.Bytes()) {
			t.Fatalf("aes256 key in the keytab is not the password's with the AD salt (%v)", err)
		}
		mitKinit(t, kt2, "JOIN2$@"+s.Realm)
		if strings.Contains(strings.Join(outputs, "\n"), pw) {
			t.Error("the password is in the output")
		}
	})

	t.Run("a password file alone, in another container", func(t *testing.T) {
		r := create(t, "join3", "--password-file", writePasswordFile(t, "Join3-File-Pw-9zQ!"), "--container", "CN=Users,"+s.BaseDN)
		if !strings.EqualFold(r.DN, "CN=join3,CN=Users,"+s.BaseDN) || r.Keytab != "" {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		cli(t, 2, append([]string{"computer", "create", "join4"}, admin...)...)
		cli(t, 2, append([]string{"computer", "create"}, admin...)...)
		_, stderr := cli(t, 1, append([]string{"computer", "create", "join1", "--keytab", filepath.Join(dir, "dup.keytab")}, admin...)...)
		if !strings.Contains(stderr, "already exists") {
			t.Errorf("duplicate: %s", stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "dup.keytab")); err == nil {
			t.Error("a keytab was written for a refused create")
		}
		bad := filepath.Join(dir, "bad.keytab")
		os.WriteFile(bad, []byte("not a keytab"), 0o600)
		cli(t, 1, append([]string{"computer", "create", "join6", "--keytab", bad}, admin...)...)
		if out := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=join6$)", "dn"); len(out) != 0 {
			t.Error("join6$ was created although its keytab could not be written")
		}
		_, stderr = cli(t, 2, "computer", "create", "join7", "--keytab", filepath.Join(dir, "j7.keytab"), "--server", "ldap://"+s.Addr,
			"--user", "Administrator@"+s.Domain, "--bind-password-file", admin[len(admin)-1])
		if !strings.Contains(stderr, "never sent without TLS") {
			t.Errorf("plain ldap simple bind: %s", stderr)
		}
	})
}
