package cli

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

type rootKeyJSON struct {
	ID                    string `json:"id"`
	Created               string `json:"created"`
	UseStart              string `json:"use_start"`
	UsableForNewGMSAs     bool   `json:"usable_for_new_gmsas"`
	UsableForNewGMSAsFrom string `json:"usable_for_new_gmsas_from"`
	KDFHash               string `json:"kdf_hash"`
	Version               uint32 `json:"version"`
}

func parseRFC3339(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// near reports whether got is within a second (plus the output's
// truncation to whole seconds) of want.
func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -2*time.Second && d < 2*time.Second
}

// TestRootKeyVerbsWithSamba: `gmsa kds root-key add` and `list` against
// Samba 4.22, checked against ldapsearch and samba-tool.
func TestRootKeyVerbsWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/rootkey")})
	s.Tool(t, "user", "create", "bob", "--random-password")
	s.LDAPModify(t, fmt.Sprintf("dn: CN=bob,CN=Users,%s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n",
		s.BaseDN, unicodePwdB64(newBobPassword)))

	ldaps := "ldaps://" + s.Addr
	conn := func(user, pwFile string) []string {
		return []string{"--server", ldaps, "--ca-file", s.CAFile, "--user", user, "--password-file", pwFile}
	}
	admin := conn("Administrator@"+s.Domain, writePasswordFile(t, s.AdminPassword))
	bob := conn("bob@"+s.Domain, writePasswordFile(t, newBobPassword))

	dse := s.LDAPSearch(t, "", "base", "", "configurationNamingContext")[0]
	container := "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services," + string(attr(t, dse, "configurationNamingContext"))

	var outputs []string // every stdout and stderr, searched for key data at the end
	cli := func(t *testing.T, wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		outputs = append(outputs, stdout, stderr)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args[:3], " "), code, wantCode, stdout, stderr)
		}
		if wantCode != 0 {
			return stderr
		}
		return stdout
	}
	list := func(t *testing.T) []rootKeyJSON {
		t.Helper()
		var out struct {
			Keys []rootKeyJSON `json:"keys"`
		}
		stdout := cli(t, 0, append([]string{"kds", "root-key", "list", "-o", "json"}, admin...)...)
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return out.Keys
	}
	find := func(t *testing.T, id string) rootKeyJSON {
		t.Helper()
		for _, k := range list(t) {
			if k.ID == id {
				return k
			}
		}
		t.Fatalf("list does not show key %s", id)
		return rootKeyJSON{}
	}
	add := func(t *testing.T, flags ...string) rootKeyJSON {
		t.Helper()
		var k rootKeyJSON
		stdout := cli(t, 0, append(append([]string{"kds", "root-key", "add", "-o", "json"}, flags...), admin...)...)
		if err := json.Unmarshal([]byte(stdout), &k); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return k
	}
	var added []string

	t.Run("list shows the provisioned key as ldapsearch does", func(t *testing.T) {
		entries := s.LDAPSearch(t, container, "one", "(objectClass=msKds-ProvRootKey)", "cn", "msKds-CreateTime", "msKds-UseStartTime")
		if len(entries) != 1 {
			t.Fatalf("ldapsearch: %d root keys, want the provisioned one", len(entries))
		}
		ft := func(name string) string {
			n, err := strconv.ParseUint(string(attr(t, entries[0], name)), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return rfc3339(adtypes.FileTime(n).Time())
		}
		keys := list(t)
		if len(keys) != 1 {
			t.Fatalf("list: %d keys, want 1: %+v", len(keys), keys)
		}
		k := keys[0]
		if !strings.EqualFold(k.ID, string(attr(t, entries[0], "cn"))) || k.Created != ft("msKds-CreateTime") || k.UseStart != ft("msKds-UseStartTime") {
			t.Errorf("list: %+v; ldapsearch: cn %s created %s use-start %s", k, attr(t, entries[0], "cn"), ft("msKds-CreateTime"), ft("msKds-UseStartTime"))
		}
		if !k.UsableForNewGMSAs || k.KDFHash == "" || k.Version != 1 {
			t.Errorf("list: %+v, want usable for new gMSAs (Samba backdates it 10h05m), a KDF hash and version 1", k)
		}
		table := cli(t, 0, append([]string{"kds", "root-key", "list"}, admin...)...)
		lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "FOR NEW GMSAS") ||
			!strings.Contains(lines[1], k.ID) || !strings.Contains(lines[1], " yes ") {
			t.Errorf("table:\n%s", table)
		}
	})

	t.Run("add --effective-time -10h: listed, not yet for new gMSAs", func(t *testing.T) {
		before := time.Now()
		k := add(t, "--effective-time", "-10h")
		added = append(added, k.ID)
		want := before.Add(-10 * time.Hour)
		if !near(parseRFC3339(t, k.UseStart), want) || k.UsableForNewGMSAs ||
			!near(parseRFC3339(t, k.UsableForNewGMSAsFrom), before.Add(5*time.Minute)) || !near(parseRFC3339(t, k.Created), before) {
			t.Errorf("add: %+v; want use-start %s, for new gMSAs from %s", k, rfc3339(want), rfc3339(before.Add(5*time.Minute)))
		}
		if got := find(t, k.ID); got != k {
			t.Errorf("list: %+v; add printed %+v", got, k)
		}
		table := cli(t, 0, append([]string{"kds", "root-key", "list"}, admin...)...)
		if !strings.Contains(table, k.UseStart+"  from "+k.UsableForNewGMSAsFrom) {
			t.Errorf("table lacks the key's use-start and \"from %s\":\n%s", k.UsableForNewGMSAsFrom, table)
		}
		text := cli(t, 0, append([]string{"kds", "root-key", "add", "--effective-time", "-10h"}, admin...)...)
		for _, w := range []string{"ID:", "Created:", "Usable from:", "For new gMSAs:", "from ", "10h05m"} {
			if !strings.Contains(text, w) {
				t.Errorf("add's table lacks %q:\n%s", w, text)
			}
		}
		t.Logf("add:\n%s\nlist:\n%s", text, table)
	})

	t.Run("add --effective-immediately: for new gMSAs from now+10h05m", func(t *testing.T) {
		before := time.Now()
		k := add(t, "--effective-immediately")
		added = append(added, k.ID)
		got := find(t, k.ID)
		if !near(parseRFC3339(t, got.UseStart), before) || got.UsableForNewGMSAs || !near(parseRFC3339(t, got.UsableForNewGMSAsFrom), before.Add(10*time.Hour+5*time.Minute)) {
			t.Errorf("list: %+v", got)
		}
	})

	t.Run("add without flags: effective 10 days from now", func(t *testing.T) {
		before := time.Now()
		k := add(t)
		added = append(added, k.ID)
		if got := find(t, k.ID); !near(parseRFC3339(t, got.UseStart), before.Add(240*time.Hour)) || got.UsableForNewGMSAs {
			t.Errorf("list: %+v", got)
		}
	})

	t.Run("samba-tool lists our keys", func(t *testing.T) {
		out := s.Tool(t, "domain", "kds", "root-key", "list")
		for _, id := range added {
			if !strings.Contains(out, id) {
				t.Errorf("samba-tool does not list %s:\n%s", id, out)
			}
		}
	})

	t.Run("a bad --effective-time exits 2 naming it", func(t *testing.T) {
		stderr := cli(t, 2, append([]string{"kds", "root-key", "add", "--effective-time", "next-tuesday"}, admin...)...)
		if !strings.Contains(stderr, "next-tuesday") {
			t.Errorf("stderr: %s", stderr)
		}
		stderr = cli(t, 2, append([]string{"kds", "root-key", "add", "--effective-time", "-1h", "--effective-immediately"}, admin...)...)
		if !strings.Contains(stderr, "exclude") {
			t.Errorf("stderr: %s", stderr)
		}
	})

	t.Run("a user who is not a Domain Admin gets the hint", func(t *testing.T) {
		stderr := cli(t, 1, append([]string{"kds", "root-key", "list"}, bob...)...)
		if !strings.Contains(stderr, "Domain Admins") {
			t.Errorf("stderr lacks the hint naming Domain Admins:\n%s", stderr)
		}
		t.Logf("as bob:\n%s", stderr)
	})

	t.Run("the key data is never printed", func(t *testing.T) {
		keys := list(t)
		if len(keys) < 2 {
			t.Fatalf("%d keys listed", len(keys))
		}
		all := strings.ToLower(strings.Join(outputs, "\n"))
		for _, k := range keys { // the provisioned key's too
			id := k.ID
			e := s.LDAPSearch(t, "CN="+id+","+container, "base", "", "msKds-RootKeyData")
			data := attr(t, e[0], "msKds-RootKeyData")
			if len(data) != 64 {
				t.Fatalf("key %s: %d bytes of data", id, len(data))
			}
			for _, form := range []string{hex.EncodeToString(data), hex.EncodeToString(data[:16]), strings.ToLower(base64.StdEncoding.EncodeToString(data)[:20])} {
				if strings.Contains(all, form) {
					t.Errorf("key %s: its data (%s…) appears in the output", id, form[:8])
				}
			}
			if strings.Contains(strings.Join(outputs, ""), string(data)) {
				t.Errorf("key %s: its raw data appears in the output", id)
			}
		}
	})
}
