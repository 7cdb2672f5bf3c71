package cli

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// accountShowJSON is the documented JSON of `gmsa account show`
// (docs/gmsa_account_show.md), spelled out here so that a renamed field
// fails the test.
type accountShowJSON struct {
	Account              string   `json:"account"`
	DN                   string   `json:"dn"`
	SID                  string   `json:"sid"`
	GUID                 string   `json:"guid"`
	DNSHostName          string   `json:"dns_host_name"`
	SPNs                 []string `json:"spns"`
	EncTypes             []string `json:"enctypes"`
	EncTypesValue        uint32   `json:"enctypes_value"`
	PasswordIntervalDays int      `json:"password_interval_days"`
	AllowedPrincipals    []string `json:"allowed_principals"`
	PasswordID           *struct {
		RootKeyID  string `json:"root_key_id"`
		L0, L1, L2 int32
	} `json:"password_id"`
	PreviousPasswordID *json.RawMessage `json:"previous_password_id"`
	KVNO               uint32           `json:"kvno"`
	Created            string           `json:"created"`
	Enabled            bool             `json:"enabled"`
	Keys               *struct {
		KVNO    uint32 `json:"kvno"`
		Salt    string `json:"salt"`
		Current []struct {
			EncType string `json:"enctype"`
			Key     string `json:"key"`
		} `json:"current"`
		Previous []json.RawMessage `json:"previous"`
	} `json:"keys"`
}

// TestAccountShowWithSamba: `gmsa account show` says what ldapsearch says
// of a gMSA, and with --show-keys the keys samba-tool exports for it.
func TestAccountShowWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/account")})
	s.CreateComputer(t, "node1", newNode1Password)
	s.CreateComputer(t, "node2", newBobPassword)
	webDN := s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
	s.LDAPModify(t, "dn: "+webDN+"\nchangetype: modify\nreplace: servicePrincipalName\nservicePrincipalName: http/webapp01."+s.Domain+"\n-\n")

	base := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile}
	admin := append(base, "--user", "Administrator@"+s.Domain, "--password-file", writePasswordFile(t, s.AdminPassword))
	node1 := append(base, "--user", "node1$@"+s.Domain, "--password-file", writePasswordFile(t, newNode1Password))
	node2 := append(base, "--user", "node2$@"+s.Domain, "--password-file", writePasswordFile(t, newBobPassword))
	show := func(t *testing.T, wantCode int, args ...string) (string, string) {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", append([]string{"account", "show"}, args...)...)
		if code != wantCode {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	decode := func(t *testing.T, stdout string) accountShowJSON {
		t.Helper()
		var r accountShowJSON
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return r
	}

	// The keys samba-tool exports for the gMSA: the oracle.
	ktPath := filepath.Join(t.TempDir(), "webapp01.keytab")
	s.Tool(t, "domain", "exportkeytab", ktPath, "--principal=WebApp01$")
	b, err := os.ReadFile(ktPath)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	sambaKey := map[string]string{}
	var sambaKVNO uint32
	for _, e := range kt.Entries {
		if e.KVNO > sambaKVNO {
			sambaKVNO = e.KVNO
		}
	}
	for _, e := range kt.Entries {
		if e.KVNO == sambaKVNO {
			sambaKey[e.Key.Type.String()] = hex.EncodeToString(e.Key.Bytes())
		}
	}
	if len(sambaKey) < 2 {
		t.Fatalf("samba-tool exported %d keys at kvno %d: %+v", len(sambaKey), sambaKVNO, kt.Entries)
	}
	var outputs []string

	t.Run("without --show-keys: the attributes, as ldapsearch reads them, and no key", func(t *testing.T) {
		stdout, _ := show(t, 0, append([]string{"webapp01", "-o", "json"}, admin...)...)
		outputs = append(outputs, stdout)
		r := decode(t, stdout)
		e := s.LDAPSearch(t, webDN, "base", "", "objectSid", "objectGUID", "msDS-ManagedPasswordId", "msDS-KeyVersionNumber", "whenCreated")[0]
		sid, _ := adtypes.SIDFromBytes(attr(t, e, "objectSid"))
		guid, _ := adtypes.GUIDFromBytes(attr(t, e, "objectGUID"))
		id, err := gkdi.ParseKeyEnvelope(attr(t, e, "msDS-ManagedPasswordId"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Account != "WebApp01$" || !strings.EqualFold(r.DN, webDN) || r.SID != sid.String() || r.GUID != guid.String() ||
			r.DNSHostName != "webapp01."+s.Domain || strings.Join(r.SPNs, ",") != "http/webapp01."+s.Domain ||
			strings.Join(r.EncTypes, ",") != "aes128-cts-hmac-sha1-96,aes256-cts-hmac-sha1-96" || r.EncTypesValue != 24 ||
			r.PasswordIntervalDays != 30 || !r.Enabled || string(attr(t, e, "msDS-KeyVersionNumber")) != strconv.FormatUint(uint64(r.KVNO), 10) ||
			!strings.HasPrefix(r.Created, string(attr(t, e, "whenCreated"))[:4]) {
			t.Errorf("%+v", r)
		}
		if r.PasswordID == nil || r.PasswordID.RootKeyID != id.RootKeyID.String() || r.PasswordID.L0 != id.GKID.L0 ||
			r.PasswordID.L1 != id.GKID.L1 || r.PasswordID.L2 != id.GKID.L2 {
			t.Errorf("password id %+v, ldapsearch %+v", r.PasswordID, id)
		}
		if !strings.Contains(strings.Join(r.AllowedPrincipals, ","), "node1$") {
			t.Errorf("allowed %q", r.AllowedPrincipals)
		}
		if r.Keys != nil || strings.Contains(stdout, `"keys"`) {
			t.Error("keys printed without --show-keys")
		}
		table, _ := show(t, 0, append([]string{"WebApp01$"}, admin...)...)
		outputs = append(outputs, table)
		for _, want := range []string{"Password ID:", "root key " + id.RootKeyID.String(), "Allowed:", "Enabled:", "true"} {
			if !strings.Contains(table, want) {
				t.Errorf("table lacks %q:\n%s", want, table)
			}
		}
		t.Logf("table:\n%s", table)
		yaml, _ := show(t, 0, append([]string{"WebApp01", "-o", "yaml"}, admin...)...)
		outputs = append(outputs, yaml)
		if !strings.Contains(yaml, "root_key_id: "+id.RootKeyID.String()) {
			t.Errorf("yaml:\n%s", yaml)
		}
		all := strings.Join(outputs, "\n")
		for typ, k := range sambaKey {
			if strings.Contains(all, k[:16]) {
				t.Errorf("part of the %s key is in the output without --show-keys", typ)
			}
		}
	})

	t.Run("with --show-keys, as the allowed node1$: samba-tool's keys", func(t *testing.T) {
		stdout, _ := show(t, 0, append([]string{"WebApp01", "--show-keys", "-o", "json"}, node1...)...)
		r := decode(t, stdout)
		if r.Keys == nil || r.Keys.KVNO != sambaKVNO || r.Keys.Salt != s.Realm+"hostwebapp01."+s.Domain || len(r.Keys.Current) != 3 {
			t.Fatalf("keys %+v; samba-tool's kvno %d", r.Keys, sambaKVNO)
		}
		for _, k := range r.Keys.Current {
			want, ok := sambaKey[k.EncType]
			if !ok {
				t.Logf("samba-tool exported no %s key", k.EncType)
				continue
			}
			if k.Key != want {
				t.Errorf("%s: %s, samba-tool %s", k.EncType, k.Key, want)
			}
			delete(sambaKey, k.EncType)
		}
		delete(sambaKey, crypto.RC4HMAC.String())
		if len(sambaKey) != 0 {
			t.Errorf("samba-tool's keys %v are not shown", sambaKey)
		}
		if len(r.Keys.Previous) != 0 {
			t.Errorf("a previous password on a fresh gMSA: %s", r.Keys.Previous)
		}
		table, _ := show(t, 0, append([]string{"WebApp01", "--show-keys"}, node1...)...)
		if !strings.Contains(table, "Current aes256-cts-hmac-sha1-96:") || !strings.Contains(table, "Salt:") {
			t.Errorf("table:\n%s", table)
		}
	})

	t.Run("with --show-keys, as node2$ which is not allowed: a clear error", func(t *testing.T) {
		stdout, stderr := show(t, 1, append([]string{"WebApp01", "--show-keys", "-o", "json"}, node2...)...)
		if stdout != "" || !strings.Contains(stderr, "not allowed to read") || !strings.Contains(stderr, "msDS-GroupMSAMembership") ||
			!strings.Contains(stderr, "node2$@") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		t.Logf("stderr:\n%s", stderr)
	})

	t.Run("a computer is not a gMSA; a missing account is not found", func(t *testing.T) {
		if _, stderr := show(t, 1, append([]string{"node1"}, admin...)...); !strings.Contains(stderr, "not a group managed service account") {
			t.Errorf("stderr:\n%s", stderr)
		}
		if _, stderr := show(t, 1, append([]string{"ghost9"}, admin...)...); !strings.Contains(stderr, "not found") {
			t.Errorf("stderr:\n%s", stderr)
		}
		show(t, 2, admin...)
	})
	// Last: the DC stays on the shifted clock until the test ends.
	t.Run("after a rotation (Samba under faketime +31d) the previous keys are the old current ones", func(t *testing.T) {
		before := map[string]string{}
		stdout, _ := show(t, 0, append([]string{"WebApp01", "--show-keys", "-o", "json"}, node1...)...)
		for _, k := range decode(t, stdout).Keys.Current {
			before[k.EncType] = k.Key
		}
		start := time.Now()
		s.Restart(t, "+31d")
		t.Logf("restarted under faketime in %v", time.Since(start).Round(time.Millisecond))
		stdout, _ = show(t, 0, append([]string{"WebApp01", "--show-keys", "-o", "json"}, node1...)...)
		t.Logf("first show under faketime after %v", time.Since(start).Round(time.Millisecond))
		r := decode(t, stdout)
		if r.Keys == nil || len(r.Keys.Previous) != 3 {
			t.Fatalf("no previous keys after 31 days:\n%s", stdout)
		}
		var prev []struct {
			EncType string `json:"enctype"`
			Key     string `json:"key"`
		}
		for _, raw := range r.Keys.Previous {
			var k struct {
				EncType string `json:"enctype"`
				Key     string `json:"key"`
			}
			if err := json.Unmarshal(raw, &k); err != nil {
				t.Fatal(err)
			}
			prev = append(prev, k)
		}
		for i, k := range prev {
			if k.Key != before[k.EncType] {
				t.Errorf("previous %s key is not the current one of 31 days before", k.EncType)
			}
			if r.Keys.Current[i].Key == before[r.Keys.Current[i].EncType] {
				t.Errorf("current %s key did not change in 31 days", r.Keys.Current[i].EncType)
			}
		}
		table, _ := show(t, 0, append([]string{"WebApp01", "--show-keys"}, node1...)...)
		if !strings.Contains(table, "Previous aes256-cts-hmac-sha1-96:") {
			t.Errorf("table:\n%s", table)
		}
		t.Logf("password id %+v, previous id %s", r.PasswordID, stringOf(r.PreviousPasswordID))
	})
}

func stringOf(m *json.RawMessage) string {
	if m == nil {
		return "none"
	}
	return string(*m)
}
