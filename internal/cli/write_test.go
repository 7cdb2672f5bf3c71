package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestWriteVerbsWithSamba: group create/add-member and account
// create/list/delete against Samba 4.22, as Administrator over ldaps; the
// created gMSA works: node1$, a member of the allowed group, reads its
// password.
func TestWriteVerbsWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/write")})
	s.CreateComputer(t, "node1", newNode1Password)
	admin := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "Administrator@" + s.Domain,
		"--password-file", writePasswordFile(t, s.AdminPassword)}
	node := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "node1$@" + s.Domain,
		"--password-file", writePasswordFile(t, newNode1Password)}
	cli := func(t *testing.T, wantCode int, args ...string) (string, string) {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	with := func(creds []string, args ...string) []string { return append(args, creds...) }

	// The group, with node1 in it (the second add is a no-op).
	cli(t, 0, with(admin, "group", "create", "WebApp01Hosts", "--scope", "global")...)
	cli(t, 1, with(admin, "group", "create", "WebApp01Hosts")...)
	cli(t, 0, with(admin, "group", "add-member", "WebApp01Hosts", "node1")...)
	cli(t, 0, with(admin, "group", "add-member", "WebApp01Hosts", "node1$")...)
	g := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=WebApp01Hosts)", "objectSid", "groupType", "member")
	if len(g) != 1 || string(attr(t, g[0], "groupType")) != "-2147483646" || len(g[0]["member"]) != 1 ||
		!strings.HasPrefix(strings.ToLower(string(g[0]["member"][0])), "cn=node1,") {
		t.Fatalf("group: %q", g)
	}
	groupSID, err := adtypes.SIDFromBytes(attr(t, g[0], "objectSid"))
	if err != nil {
		t.Fatal(err)
	}

	// The gMSA.
	spns := []string{"host/WebApp01", "host/WebApp01." + s.Domain, "http/mysite." + s.Domain}
	create := []string{"account", "create", "WebApp01", "--dns-host-name", "webapp01." + s.Domain,
		"--spn", spns[0], "--spn", spns[1], "--spn", spns[2], "--allowed-principals", "WebApp01Hosts",
		"--password-interval-days", "20", "--enctypes", "aes256,aes128"}
	cli(t, 0, with(admin, create...)...)
	e := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=WebApp01$)", "objectClass", "sAMAccountName", "userAccountControl",
		"msDS-SupportedEncryptionTypes", "msDS-ManagedPasswordInterval", "servicePrincipalName", "msDS-GroupMSAMembership", "dNSHostName")
	if len(e) != 1 {
		t.Fatalf("%d entries", len(e))
	}
	a := e[0]
	classes := ""
	for _, c := range a["objectClass"] {
		classes += string(c) + " "
	}
	if !strings.Contains(classes, "msDS-GroupManagedServiceAccount") || string(attr(t, a, "sAMAccountName")) != "WebApp01$" ||
		string(attr(t, a, "userAccountControl")) != "4096" || string(attr(t, a, "msDS-SupportedEncryptionTypes")) != "24" ||
		string(attr(t, a, "msDS-ManagedPasswordInterval")) != "20" || !strings.EqualFold(string(attr(t, a, "dNSHostName")), "webapp01."+s.Domain) {
		t.Errorf("attributes: %q", a)
	}
	got := map[string]bool{}
	for _, v := range a["servicePrincipalName"] {
		got[strings.ToLower(string(v))] = true
	}
	for _, spn := range spns {
		if !got[strings.ToLower(spn)] {
			t.Errorf("SPN %s missing: %q", spn, a["servicePrincipalName"])
		}
	}
	sd, err := adtypes.ParseSecurityDescriptor(attr(t, a, "msDS-GroupMSAMembership"))
	if err != nil {
		t.Fatal(err)
	}
	if sd.DACL == nil || len(sd.DACL.ACEs) != 1 || sd.DACL.ACEs[0].Type != adtypes.ACETypeAccessAllowed ||
		sd.DACL.ACEs[0].SID.String() != groupSID.String() {
		t.Errorf("msDS-GroupMSAMembership: %+v", sd)
	}

	// It works: node1$, through the group, reads the password.
	out, _ := cli(t, 0, with(node, "account", "test", "WebApp01")...)
	if !strings.HasPrefix(out, "true\n") {
		t.Errorf("account test:\n%s", out)
	}

	// Refusals: an SPN held by WebApp01, a duplicate.
	_, stderr := cli(t, 1, with(admin, "account", "create", "WebApp02", "--dns-host-name", "webapp02."+s.Domain,
		"--spn", "host/WebApp02", "--spn", spns[2], "--allowed-principals", "WebApp01Hosts")...)
	if !strings.Contains(stderr, spns[2]) || !strings.Contains(stderr, "WebApp01$") {
		t.Errorf("SPN clash:\n%s", stderr)
	}
	if r := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=WebApp02$)", "cn"); len(r) != 0 {
		t.Errorf("WebApp02 was created")
	}
	_, stderr = cli(t, 1, with(admin, create...)...)
	if !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate:\n%s", stderr)
	}
	cli(t, 2, with(admin, "account", "create", "WebApp03", "--enctypes", "des")...)

	// list
	out, _ = cli(t, 0, with(admin, "account", "list", "-o", "json")...)
	var l struct {
		Accounts []accountListEntry `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	found := false
	for _, x := range l.Accounts {
		if x.Name == "WebApp01$" {
			found = true
			if len(x.SPNs) != 3 || len(x.Allowed) != 1 || x.Allowed[0] != "WebApp01Hosts" || x.PasswordIntervalDays != 20 {
				t.Errorf("list entry: %+v", x)
			}
		}
	}
	if !found {
		t.Errorf("list:\n%s", out)
	}
	table, _ := cli(t, 0, with(admin, "account", "list")...)
	if !strings.HasPrefix(table, "NAME") || !strings.Contains(table, "WebApp01$") || !strings.Contains(table, "WebApp01Hosts") {
		t.Errorf("list table:\n%s", table)
	}
	t.Logf("list:\n%s", table)

	// delete
	cli(t, 0, with(admin, "account", "delete", "WebApp01")...)
	out, _ = cli(t, 1, with(node, "account", "test", "WebApp01", "-o", "json")...)
	if !strings.Contains(out, "no account") {
		t.Errorf("after delete:\n%s", out)
	}
	cli(t, 1, with(admin, "account", "delete", "WebApp01")...)
}

// TestAccountCreateWithoutRootKey: a domain without a usable KDS root key
// refuses new gMSAs, and the CLI says why.
func TestAccountCreateWithoutRootKey(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB"} {
		t.Setenv(k, "")
	}
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/write")})
	keys := s.LDAPSearch(t, "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,CN=Configuration,"+s.BaseDN,
		"one", "(objectClass=msKds-ProvRootKey)", "cn")
	if len(keys) == 0 {
		t.Fatal("the DC has no root key to remove")
	}
	for _, k := range keys {
		s.LDAPModify(t, "dn: "+string(attr(t, k, "dn"))+"\nchangetype: delete\n")
	}
	admin := []string{"--server", "ldaps://" + s.Addr, "--ca-file", s.CAFile, "--user", "Administrator@" + s.Domain,
		"--password-file", writePasswordFile(t, s.AdminPassword)}
	refused := func(t *testing.T) {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", append([]string{"account", "create", "WebApp01", "--dns-host-name", "webapp01." + s.Domain}, admin...)...)
		t.Logf("stderr:\n%s", stderr)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "KDS root key") || !strings.Contains(stderr, "gmsa kds root-key add") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	}
	t.Run("no root key", refused)
	// A key taking effect in 10 days (Add-KdsRootKey's default) is not usable yet.
	if _, stderr, code := runCLI(t, "", append([]string{"kds", "root-key", "add"}, admin...)...); code != 0 {
		t.Fatalf("root-key add: %s", stderr)
	}
	t.Run("a root key not yet effective", refused)
}
