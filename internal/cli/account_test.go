package cli

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

type accountTestJSON struct {
	Account           string `json:"account"`
	DN                string `json:"dn"`
	Identity          string `json:"identity"`
	Result            bool   `json:"result"`
	Reason            string `json:"reason"`
	QueryInterval     string `json:"query_interval"`
	UnchangedInterval string `json:"unchanged_interval"`
}

// TestAccountTestWithSamba: `gmsa account test` against Samba 4.22 answers
// as Test-ADServiceAccount would for node1$, bound with its password over
// ldaps:// and with its keytab over sealed ldap://.
func TestAccountTestWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/account")})
	s.CreateComputer(t, "node1", newNode1Password)
	webDN := s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
	s.CreateGMSA(t, "LogAgentSvc", "logagentsvc."+s.Domain, 30)
	offDN := s.CreateGMSA(t, "OffSvc", "offsvc."+s.Domain, 30, "node1$")
	s.LDAPModify(t, fmt.Sprintf("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 4098\n-\n", offDN))

	node := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "node1$@" + s.Domain,
		"--password-file", writePasswordFile(t, newNode1Password)}
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
	asJSON := func(t *testing.T, stdout string) accountTestJSON {
		t.Helper()
		var r accountTestJSON
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return r
	}

	t.Run("an allowed gMSA is true", func(t *testing.T) {
		stdout, stderr := cli(t, 0, append([]string{"account", "test", "WebApp01", "-o", "json"}, node...)...)
		r := asJSON(t, stdout)
		if !r.Result || r.Reason != "" || !strings.EqualFold(r.Account, "WebApp01$") || !strings.EqualFold(r.DN, webDN) ||
			r.Identity != "node1$@"+s.Domain || r.QueryInterval == "" || r.UnchangedInterval == "" || stderr != "" {
			t.Errorf("%+v\nstderr: %s", r, stderr)
		}
		table, _ := cli(t, 0, append([]string{"account", "test", "webapp01$"}, node...)...)
		if !strings.HasPrefix(table, "true\n") || !strings.Contains(table, "Query interval:") {
			t.Errorf("table:\n%s", table)
		}
		t.Logf("table:\n%s", table)
	})

	t.Run("a gMSA that does not allow node1$ is false, naming it", func(t *testing.T) {
		stdout, stderr := cli(t, 1, append([]string{"account", "test", "LogAgentSvc", "-o", "json"}, node...)...)
		r := asJSON(t, stdout)
		if r.Result || !strings.Contains(r.Reason, "node1$@"+s.Domain) || !strings.Contains(r.Reason, "msDS-GroupMSAMembership") || r.QueryInterval != "" {
			t.Errorf("%+v", r)
		}
		if !strings.Contains(stderr, "error: "+r.Reason) || !strings.Contains(stderr, "PrincipalsAllowedToRetrieveManagedPassword") ||
			!strings.Contains(stderr, "add node1$") || !strings.Contains(stderr, "gmsa group add-member") {
			t.Errorf("stderr:\n%s", stderr)
		}
		table, _ := cli(t, 1, append([]string{"account", "test", "LogAgentSvc"}, node...)...)
		if !strings.HasPrefix(table, "false\n") || !strings.Contains(table, "Reason:") {
			t.Errorf("table:\n%s", table)
		}
		t.Logf("table:\n%s\nstderr:\n%s", table, stderr)
	})

	t.Run("a computer is not a gMSA", func(t *testing.T) {
		stdout, _ := cli(t, 1, append([]string{"account", "test", "node1", "-o", "json"}, node...)...)
		if r := asJSON(t, stdout); r.Result || !strings.Contains(r.Reason, "not a gMSA") {
			t.Errorf("%+v", r)
		}
	})

	t.Run("a disabled gMSA is false", func(t *testing.T) {
		stdout, _ := cli(t, 1, append([]string{"account", "test", "OffSvc", "-o", "json"}, node...)...)
		if r := asJSON(t, stdout); r.Result || !strings.Contains(r.Reason, "disabled") {
			t.Errorf("%+v", r)
		}
	})

	t.Run("a missing account is false, naming it", func(t *testing.T) {
		stdout, stderr := cli(t, 1, append([]string{"account", "test", "Ghost01", "-o", "json"}, node...)...)
		if r := asJSON(t, stdout); r.Result || !strings.Contains(r.Reason, `"Ghost01"`) || !strings.Contains(stderr, "Ghost01") {
			t.Errorf("%+v\n%s", r, stderr)
		}
	})

	t.Run("usage errors exit 2", func(t *testing.T) {
		cli(t, 2, append([]string{"account", "test"}, node...)...)
		cli(t, 2, append([]string{"account", "test", "a", "b"}, node...)...)
		cli(t, 2, append([]string{"account", "test", `CONTOSO\WebApp01`}, node...)...)
		cli(t, 2, "account", "test", "WebApp01", "--server", "ldap://"+s.Addr, "--user", "node1$@"+s.Domain, "--password-file", node[len(node)-1])
	})

	t.Run("with node1$'s keytab over sealed ldap://", func(t *testing.T) {
		for _, kv := range s.Env() {
			if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
				t.Setenv("KRB5_CONFIG", v)
			}
		}
		t.Setenv("KRB5CCNAME", "")
		e := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=node1$)", "msDS-KeyVersionNumber")[0]
		kt := filepath.Join(t.TempDir(), "node1.keytab")
		if _, stderr, code := runCLI(t, newNode1Password+"\n", "keytab", "add", "--principal", "node1$@"+s.Realm, "--password-stdin",
			"--kvno", string(attr(t, e, "msDS-KeyVersionNumber")), "-f", kt); code != 0 {
			t.Fatalf("keytab add: %s", stderr)
		}
		stdout, _ := cli(t, 0, "account", "test", "WebApp01", "--server", "ldap://"+s.Addr, "--keytab", kt, "-o", "json")
		if r := asJSON(t, stdout); !r.Result || !strings.HasPrefix(strings.ToLower(r.Identity), "node1$@") {
			t.Errorf("%+v", r)
		}
		stdout, stderr := cli(t, 1, "account", "test", "LogAgentSvc", "--server", "ldap://"+s.Addr, "--keytab", kt, "-o", "json")
		if r := asJSON(t, stdout); r.Result || !strings.Contains(strings.ToLower(r.Reason), "node1$@") || !strings.Contains(stderr, "add node1$") {
			t.Errorf("%+v\n%s", r, stderr)
		}
	})

	t.Run("the password is never printed", func(t *testing.T) {
		e := s.LDAPSearch(t, webDN, "base", "", "msDS-ManagedPassword")
		blob := attr(t, e[0], "msDS-ManagedPassword")
		if len(blob) < 16+256 {
			t.Fatalf("blob of %d bytes", len(blob))
		}
		pw := hex.EncodeToString(blob[16 : 16+256])
		all := strings.ToLower(strings.Join(outputs, "\n"))
		for i := 0; i+16 <= len(pw); i += 2 {
			if strings.Contains(all, pw[i:i+16]) {
				t.Fatalf("16 hex characters of the password (at %d) appear in the output", i/2)
			}
		}
		if b64 := base64.StdEncoding.EncodeToString(blob[16 : 16+256]); strings.Contains(strings.Join(outputs, ""), b64[:20]) {
			t.Error("the password's base64 appears in the output")
		}
		if strings.Contains(strings.Join(outputs, ""), string(blob[16:16+32])) {
			t.Error("raw password bytes appear in the output")
		}
	})
}
