package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// doctorLab is a lab domain served in-process on the package's loopback
// address, on the standard ports (so that reach-* checks the ports a
// client would use) and with its DNS responder on port 53.
type doctorLab struct {
	dir, addr string
	info      *lab.Info
	stop      func()
}

const doctorAdminPassword = "Doctor-Admin-Pa55"

// serve starts (or restarts) the lab on dir with the given clock.
func (l *doctorLab) serve(t *testing.T, now func() time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *lab.Info, 1)
	done := make(chan error, 1)
	go func() {
		done <- lab.Serve(ctx, lab.ServeOptions{Dir: l.dir, Listen: l.addr, LDAPPort: 389, LDAPSPort: 636, KDCPort: 88, DNSPort: 53,
			Now: now, Ready: func(i *lab.Info) { ready <- i }})
	}()
	select {
	case l.info = <-ready:
	case err := <-done:
		cancel()
		// The standard ports need root (or a low ip_unprivileged_port_start).
		if errors.Is(err, syscall.EACCES) {
			testpeer.Missing(t, "root (the lab on ports 389, 636, 88 and 53)", fmt.Sprintf("serving on %s: %v", l.addr, err))
		}
		t.Fatalf("lab serve: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("the lab did not start")
	}
	stopped := false
	l.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lab serve: %v", err)
		}
	}
	t.Cleanup(l.stop)
}

// doctorJSON runs gmsa doctor -o json and returns its checks by name,
// failing the test unless it exits with wantCode.
func doctorJSON(t *testing.T, wantCode int, args ...string) (map[string]doctorCheck, []doctorCheck, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, "", append([]string{"doctor", "-o", "json"}, args...)...)
	if code != wantCode {
		t.Fatalf("doctor %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
	}
	var list []doctorCheck
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	byName := map[string]doctorCheck{}
	for _, c := range list {
		byName[c.Name] = c
	}
	return byName, list, stderr
}

// expectStatuses checks every named check's status and that no other
// check failed.
func expectStatuses(t *testing.T, got map[string]doctorCheck, want map[string]string) {
	t.Helper()
	for name, status := range want {
		c, found := got[name]
		if !found {
			t.Errorf("no check %s", name)
			continue
		}
		if c.Status != status {
			t.Errorf("%s: %s (%s; hint %q), want %s", name, c.Status, c.Detail, c.Hint, status)
		}
		if c.Status == statusFail && c.Hint == "" {
			t.Errorf("%s failed without a hint: %s", name, c.Detail)
		}
	}
	for name, c := range got {
		if _, named := want[name]; !named && c.Status == statusFail {
			t.Errorf("%s failed unexpectedly: %s (hint %q)", name, c.Detail, c.Hint)
		}
	}
}

// TestDoctorWithLab: gmsa doctor against the lab domain, healthy and with
// each fault it claims to detect — a host outside the allowed group, a
// missing SPN, AES missing, the DC unreachable, the DC's clock off — each
// with its own ✗ and hint.
func TestDoctorWithLab(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB", "GMSA_DNS_SERVER", "KRB5CCNAME"} {
		t.Setenv(k, "")
	}
	emptyConf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(emptyConf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", emptyConf)

	l := &doctorLab{dir: filepath.Join(t.TempDir(), "lab"), addr: testpeer.Loopback("internal/cli/doctor")}
	d, err := lab.Init(l.dir, lab.InitOptions{AdminPassword: doctorAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	l.serve(t, nil)

	cli := func(t *testing.T, args ...string) {
		t.Helper()
		if stdout, stderr, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	ca := l.info.CAFile
	adminPW := writePasswordFile(t, doctorAdminPassword)
	admin := []string{"--server", l.info.LDAPSURL(), "--ca-file", ca, "--user", "Administrator@contoso.com", "--password-file", adminPW}
	adminBind := []string{"--server", l.info.LDAPSURL(), "--ca-file", ca, "--user", "Administrator@contoso.com", "--bind-password-file", adminPW}
	node1PW, node2PW := writePasswordFile(t, "Node1-Doctor-Pa55"), writePasswordFile(t, "Node2-Doctor-Pa55")
	cli(t, append([]string{"group", "create", "WebApp01Hosts"}, admin...)...)
	node1KT := filepath.Join(t.TempDir(), "node1.keytab")
	cli(t, append([]string{"computer", "create", "NODE1", "--password-file", node1PW, "--keytab", node1KT}, adminBind...)...)
	cli(t, append([]string{"computer", "create", "NODE2", "--password-file", node2PW}, adminBind...)...)
	cli(t, append([]string{"group", "add-member", "WebApp01Hosts", "node1"}, admin...)...)
	cli(t, append([]string{"account", "create", "WebApp01", "--dns-host-name", "WebApp01.contoso.com", "--spn", "host/WebApp01",
		"--spn", "host/WebApp01.contoso.com", "--spn", "http/mysite.contoso.com", "--allowed-principals", "WebApp01Hosts"}, admin...)...)
	cli(t, append([]string{"account", "create", "NoSpn01", "--dns-host-name", "nospn01.contoso.com", "--spn", "http/nospn01.contoso.com",
		"--allowed-principals", "WebApp01Hosts"}, admin...)...)
	cli(t, append([]string{"account", "create", "DupSvc", "--dns-host-name", "dupsvc.contoso.com", "--spn", "host/DupSvc",
		"--spn", "host/dupsvc.contoso.com", "--spn", "http/dup.contoso.com", "--allowed-principals", "WebApp01Hosts"}, admin...)...)
	cli(t, append([]string{"account", "create", "Rc4Svc", "--dns-host-name", "rc4svc.contoso.com", "--spn", "host/Rc4Svc",
		"--spn", "host/rc4svc.contoso.com", "--enctypes", "rc4", "--allowed-principals", "WebApp01Hosts"}, admin...)...)

	dns := []string{"--domain", "contoso.com", "--dns-server", l.addr + ":53", "--ca-file", ca}
	node1 := append(append([]string{}, dns...), "--user", "NODE1$@contoso.com", "--password-file", node1PW)
	node2 := append(append([]string{}, dns...), "--user", "NODE2$@contoso.com", "--password-file", node2PW)
	healthy := map[string]string{
		checkDNSLDAP: statusOK, checkDNSKerberos: statusOK, checkReachKDC: statusOK, checkReachLDAP: statusOK, checkReachLDAPS: statusOK,
		checkClock: statusOK, checkLogin: statusSkip, checkBind: statusOK, checkChannel: statusOK,
		checkPassword: statusOK, checkSPNs: statusOK, checkSPNUnique: statusOK, checkEncTypes: statusOK,
	}
	with := func(base map[string]string, name, status string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = status
		return m
	}

	t.Run("a healthy host", func(t *testing.T) {
		got, list, _ := doctorJSON(t, 0, append([]string{"--account", "WebApp01"}, node1...)...)
		expectStatuses(t, got, healthy)
		var order []string
		for _, c := range list {
			order = append(order, c.Name)
		}
		if want := "dns-ldap-srv dns-kerberos-srv reach-kdc reach-ldap reach-ldaps clock-skew kerberos-login ldap-bind ldap-channel gmsa-password gmsa-spns gmsa-spn-unique gmsa-enctypes"; strings.Join(order, " ") != want {
			t.Errorf("order %s\nwant  %s", strings.Join(order, " "), want)
		}
		for name, want := range map[string]string{
			checkDNSLDAP:     "_ldap._tcp.dc._msdcs.contoso.com: dc1.contoso.com:389",
			checkDNSKerberos: "dc1.contoso.com:88",
			checkReachKDC:    "(from DNS SRV): TCP dc1.contoso.com:88 (" + l.addr + ":88) answers",
			checkClock:       "dc1.contoso.com's clock",
			checkBind:        "simple bind over TLS as NODE1$@contoso.com",
			checkChannel:     "TLS 1.",
			checkPassword:    "Test-ADServiceAccount WebApp01: True for NODE1$@contoso.com",
			checkSPNs:        "host/WebApp01.contoso.com",
			checkSPNUnique:   "none of 3 SPNs",
			checkEncTypes:    "AES256, AES128 (msDS-SupportedEncryptionTypes 24)",
		} {
			if !strings.Contains(got[name].Detail, want) {
				t.Errorf("%s: %q does not say %q", name, got[name].Detail, want)
			}
		}
		table, stderr, code := runCLI(t, "", append([]string{"doctor", "--account", "WebApp01"}, node1...)...)
		if code != 0 || stderr != "" || !strings.Contains(table, "✓  gmsa-password") || !strings.Contains(table, "–  kerberos-login") ||
			strings.Contains(table, "✗") || strings.Contains(table, "Node1-Doctor-Pa55") {
			t.Errorf("exit %d\n%s%s", code, table, stderr)
		}
		t.Logf("\n%s", table)
	})

	t.Run("a host outside the allowed group is told which group to join", func(t *testing.T) {
		got, _, stderr := doctorJSON(t, 1, append([]string{"--account", "WebApp01"}, node2...)...)
		expectStatuses(t, got, with(healthy, checkPassword, statusFail))
		c := got[checkPassword]
		if !strings.Contains(c.Detail, "NODE2$@contoso.com") || !strings.Contains(c.Detail, "msDS-GroupMSAMembership") || !strings.Contains(c.Detail, "False") {
			t.Errorf("detail: %s", c.Detail)
		}
		if !strings.Contains(c.Hint, "allowed: WebApp01Hosts") || !strings.Contains(c.Hint, "gmsa group add-member WebApp01Hosts NODE2$") {
			t.Errorf("hint: %s", c.Hint)
		}
		if !strings.Contains(stderr, "error: 1 of 13 checks failed: gmsa-password") {
			t.Errorf("stderr: %s", stderr)
		}
		table, _, _ := runCLI(t, "", append([]string{"doctor", "--account", "WebApp01"}, node2...)...)
		if !strings.Contains(table, "✗  gmsa-password") || !strings.Contains(table, "hint: join NODE2$") {
			t.Errorf("table:\n%s", table)
		}
		t.Logf("\n%s", table)
	})

	t.Run("a gMSA without its host/ SPNs", func(t *testing.T) {
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "NoSpn01"}, node1...)...)
		expectStatuses(t, got, with(healthy, checkSPNs, statusFail))
		c := got[checkSPNs]
		if !strings.Contains(c.Detail, "NoSpn01$ has no SPN host/NoSpn01, host/nospn01.contoso.com (registered: http/nospn01.contoso.com)") ||
			!strings.Contains(c.Hint, "Set-ADServiceAccount NoSpn01 -ServicePrincipalNames @{Add='host/NoSpn01','host/nospn01.contoso.com'}") ||
			!strings.Contains(c.Hint, "setspn -S host/NoSpn01 NoSpn01$") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a gMSA without AES", func(t *testing.T) {
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "Rc4Svc"}, node1...)...)
		expectStatuses(t, got, with(healthy, checkEncTypes, statusFail))
		if c := got[checkEncTypes]; !strings.Contains(c.Detail, "RC4 only") || !strings.Contains(c.Hint, "-KerberosEncryptionType AES128,AES256") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("host credentials the DC refuses", func(t *testing.T) {
		bad := append(append([]string{}, dns...), "--user", "NODE1$@contoso.com", "--password-file", node2PW)
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "WebApp01"}, bad...)...)
		want := with(healthy, checkBind, statusFail)
		for _, n := range []string{checkChannel, checkPassword, checkSPNs, checkSPNUnique, checkEncTypes} {
			want[n] = statusSkip
		}
		expectStatuses(t, got, want)
		if c := got[checkBind]; !strings.Contains(c.Detail, "NODE1$@contoso.com") || strings.Contains(c.Detail, "Node2-Doctor-Pa55") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a DC certificate the host does not trust", func(t *testing.T) {
		var noCA []string
		for i := 0; i < len(node1); i++ {
			if node1[i] == "--ca-file" {
				i++
				continue
			}
			noCA = append(noCA, node1[i])
		}
		got, _, _ := doctorJSON(t, 1, noCA...)
		expectStatuses(t, got, map[string]string{checkReachLDAPS: statusOK, checkClock: statusOK, checkBind: statusFail, checkChannel: statusSkip})
		if c := got[checkBind]; !strings.Contains(c.Hint, "--ca-file") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a host with its keytab: an AS exchange and a sealed GSSAPI bind", func(t *testing.T) {
		conf := filepath.Join(t.TempDir(), "krb5.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n[realms]\n CONTOSO.COM = {\n  kdc = %s:88\n }\n", l.addr)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("KRB5_CONFIG", conf)
		got, _, _ := doctorJSON(t, 0, "--server", "ldap://"+l.addr, "--keytab", node1KT, "--account", "WebApp01")
		expectStatuses(t, got, with(with(with(healthy, checkDNSLDAP, statusSkip), checkDNSKerberos, statusSkip), checkLogin, statusOK))
		if c := got[checkLogin]; !strings.Contains(c.Detail, "AS exchange with keytab "+node1KT+": TGT for NODE1$@CONTOSO.COM") {
			t.Errorf("%+v", c)
		}
		if c := got[checkReachKDC]; !strings.Contains(c.Detail, "(from krb5.conf)") {
			t.Errorf("%+v", c)
		}
		if c := got[checkChannel]; !strings.Contains(c.Detail, "sealed") {
			t.Errorf("%+v", c)
		}
		if c := got[checkPassword]; !strings.Contains(c.Detail, "True for NODE1$@CONTOSO.COM") {
			t.Errorf("%+v", c)
		}
	})

	server := []string{"--server", l.info.LDAPSURL(), "--ca-file", ca, "--user", "NODE1$@contoso.com", "--password-file", node1PW}
	t.Run("an explicit --server skips DNS", func(t *testing.T) {
		got, _, _ := doctorJSON(t, 0, server...)
		want := map[string]string{checkDNSLDAP: statusSkip, checkDNSKerberos: statusSkip, checkReachKDC: statusOK, checkReachLDAP: statusOK,
			checkReachLDAPS: statusOK, checkClock: statusOK, checkLogin: statusSkip, checkBind: statusOK, checkChannel: statusOK}
		expectStatuses(t, got, want)
		if len(got) != len(want) {
			t.Errorf("%d checks without --account, want %d", len(got), len(want))
		}
		if c := got[checkDNSLDAP]; !strings.Contains(c.Detail, "--server") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a DC that does not answer", func(t *testing.T) {
		l.stop()
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "WebApp01"}, server...)...)
		expectStatuses(t, got, map[string]string{checkDNSLDAP: statusSkip, checkDNSKerberos: statusSkip,
			checkReachKDC: statusFail, checkReachLDAP: statusFail, checkReachLDAPS: statusFail,
			checkClock: statusSkip, checkLogin: statusSkip, checkBind: statusSkip, checkChannel: statusSkip,
			checkPassword: statusSkip, checkSPNs: statusSkip, checkSPNUnique: statusSkip, checkEncTypes: statusSkip})
		if c := got[checkReachLDAPS]; !strings.Contains(c.Detail, "TCP "+l.addr+":636") || !strings.Contains(c.Detail, "refused") ||
			!strings.Contains(c.Hint, "TCP port 636 of "+l.addr) {
			t.Errorf("%+v", c)
		}
		if c := got[checkBind]; !strings.Contains(c.Detail, "reach-ldaps") {
			t.Errorf("%+v", c)
		}
		table, _, _ := runCLI(t, "", append([]string{"doctor", "--account", "WebApp01"}, server...)...)
		t.Logf("\n%s", table)
	})

	t.Run("an SPN registered on two accounts", func(t *testing.T) {
		// The lab refuses a duplicate SPN over LDAP, as AD does; a DC can
		// still end up with one (replication, direct database edits), so
		// the test writes it into the stopped lab's database.
		l.stop()
		dir, err := lab.Open(l.dir, lab.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = dir.Store().Update(func(tx *store.Tx) error {
			e, err := tx.Get("CN=Rc4Svc,CN=Managed Service Accounts,DC=contoso,DC=com")
			if err != nil {
				return err
			}
			e.Add("servicePrincipalName", []byte("HTTP/dup.contoso.com"))
			return tx.Put(e)
		})
		dir.Close()
		if err != nil {
			t.Fatal(err)
		}
		l.serve(t, nil)
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "DupSvc"}, node1...)...)
		expectStatuses(t, got, with(healthy, checkSPNUnique, statusFail))
		if c := got[checkSPNUnique]; c.Detail != "http/dup.contoso.com of DupSvc$ is also registered on Rc4Svc$" ||
			!strings.Contains(c.Hint, "setspn -D http/dup.contoso.com Rc4Svc$") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a DC whose clock is 7 minutes behind", func(t *testing.T) {
		l.stop()
		l.serve(t, func() time.Time { return time.Now().Add(-7 * time.Minute) })
		got, _, _ := doctorJSON(t, 1, append([]string{"--account", "WebApp01"}, node1...)...)
		expectStatuses(t, got, with(healthy, checkClock, statusFail))
		if c := got[checkClock]; !strings.Contains(c.Detail, "dc1.contoso.com's clock is 7m0s behind this host's") || !strings.Contains(c.Hint, "synchronize") {
			t.Errorf("%+v", c)
		}
		table, _, _ := runCLI(t, "", append([]string{"doctor"}, node1...)...)
		t.Logf("\n%s", table)

		// With the keytab: the client learns the KDC's offset and says so.
		conf := filepath.Join(t.TempDir(), "krb5.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n[realms]\n CONTOSO.COM = {\n  kdc = %s:88\n }\n", l.addr)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("KRB5_CONFIG", conf)
		got, _, _ = doctorJSON(t, 1, "--server", "ldap://"+l.addr, "--keytab", node1KT)
		expectStatuses(t, got, map[string]string{checkClock: statusFail, checkLogin: statusOK, checkBind: statusOK})
		if c := got[checkLogin]; !strings.Contains(c.Detail, "the KDC's clock is 7m0s behind this host's (the client compensates") {
			t.Errorf("%+v", c)
		}
	})
}

// TestDoctorWithSamba: the host checks with a machine keytab (an AS
// exchange, a sealed GSSAPI bind) and the --container checks with a gMSA
// ccache from MIT kinit, against Samba 4.22.
func TestDoctorWithSamba(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB", "GMSA_DNS_SERVER"} {
		t.Setenv(k, "")
	}
	kinit := testpeer.Binaries(t, "mit-krb5-user", "kinit")[0]
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/cli/doctor")})
	s.CreateComputer(t, "node1", newNode1Password)
	webDN := s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 30, "node1$")
	s.LDAPModify(t, fmt.Sprintf("dn: %s\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: host/WebApp01\nservicePrincipalName: host/webapp01.%s\n-\n", webDN, s.Domain))
	for _, kv := range s.Env() {
		if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
			t.Setenv("KRB5_CONFIG", v)
		}
	}
	t.Setenv("KRB5CCNAME", "")
	dir := t.TempDir()

	t.Run("a host with its keytab, over sealed ldap://", func(t *testing.T) {
		e := s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=node1$)", "msDS-KeyVersionNumber")[0]
		kt := filepath.Join(dir, "node1.keytab")
		if _, stderr, code := runCLI(t, newNode1Password+"\n", "keytab", "add", "--principal", "node1$@"+s.Realm, "--password-stdin",
			"--kvno", string(attr(t, e, "msDS-KeyVersionNumber")), "-f", kt); code != 0 {
			t.Fatalf("keytab add: %s", stderr)
		}
		got, _, _ := doctorJSON(t, 0, "--server", "ldap://"+s.Addr, "--keytab", kt, "--account", "WebApp01")
		expectStatuses(t, got, map[string]string{checkDNSLDAP: statusSkip, checkDNSKerberos: statusSkip, checkReachKDC: statusOK,
			checkReachLDAP: statusOK, checkReachLDAPS: statusOK, checkClock: statusOK, checkLogin: statusOK, checkBind: statusOK,
			checkChannel: statusOK, checkPassword: statusOK, checkSPNs: statusOK, checkSPNUnique: statusOK, checkEncTypes: statusOK})
		if c := got[checkLogin]; !strings.Contains(c.Detail, "AS exchange with keytab "+kt+": TGT for node1$@"+s.Realm) {
			t.Errorf("%+v", c)
		}
		if c := got[checkReachKDC]; !strings.Contains(c.Detail, "(from krb5.conf)") {
			t.Errorf("%+v", c)
		}
		table, _, _ := runCLI(t, "", "doctor", "--server", "ldap://"+s.Addr, "--keytab", kt, "--account", "WebApp01")
		t.Logf("\n%s", table)
		if c := got[checkChannel]; !strings.Contains(c.Detail, "sealed") {
			t.Errorf("%+v", c)
		}
		if c := got[checkSPNUnique]; !strings.Contains(c.Detail, "another account of the domain") {
			t.Errorf("%+v", c)
		}
	})

	// A ccache for WebApp01$ as a lease holds it: MIT kinit with the
	// gMSA's keys, exported by samba-tool.
	gkt := filepath.Join(dir, "webapp01.keytab")
	s.Tool(t, "domain", "exportkeytab", gkt, "--principal=WebApp01$")
	cc := filepath.Join(dir, "krb5cc")
	cmd := exec.Command(kinit, "-k", "-t", gkt, "-c", "FILE:"+cc, "WebApp01$@"+s.Realm)
	cmd.Env = append(os.Environ(), s.Env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("MIT kinit: %v\n%s", err, out)
	}

	t.Run("a container with its lease", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		before, err := os.ReadFile(cc)
		if err != nil {
			t.Fatal(err)
		}
		got, list, _ := doctorJSON(t, 0, "--container")
		expectStatuses(t, got, map[string]string{checkCCache: statusOK, checkTGT: statusOK, checkServiceTicket: statusOK})
		if len(list) != 3 {
			t.Errorf("%d checks, want 3 (no DC named): %+v", len(list), list)
		}
		if c := got[checkTGT]; !strings.HasPrefix(c.Detail, "WebApp01$@"+s.Realm+", for krbtgt/"+s.Realm+"@"+s.Realm+", valid until") {
			t.Errorf("%+v", c)
		}
		if c := got[checkServiceTicket]; !strings.HasPrefix(strings.ToLower(c.Detail), strings.ToLower("host/WebApp01@"+s.Realm)) || !strings.Contains(c.Detail, "aes256") {
			t.Errorf("%+v", c)
		}
		table, _, _ := runCLI(t, "", "doctor", "--container")
		t.Logf("\n%s", table)
		if after, _ := os.ReadFile(cc); string(after) != string(before) {
			t.Error("doctor --container wrote to the (read-only) lease ccache")
		}
		// With the DC named, the network checks run too, without credentials.
		got, _, _ = doctorJSON(t, 0, "--container", "--server", "ldap://"+s.Addr)
		expectStatuses(t, got, map[string]string{checkReachKDC: statusOK, checkReachLDAP: statusOK, checkClock: statusOK,
			checkCCache: statusOK, checkTGT: statusOK, checkServiceTicket: statusOK})
		if _, found := got[checkBind]; found {
			t.Error("--container bound with credentials")
		}
	})

	t.Run("a lease whose TGT has expired", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		// The host's clock is a parameter: 11 hours on, the 10-hour TGT
		// has expired.
		var out, errb strings.Builder
		e := &env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, now: func() time.Time { return time.Now().Add(11 * time.Hour) }}
		if code := run(context.Background(), []string{"doctor", "--container", "-o", "json"}, e); code != 1 {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
		}
		var list []doctorCheck
		if err := json.Unmarshal([]byte(out.String()), &list); err != nil || len(list) != 3 {
			t.Fatalf("%v\n%s", err, out.String())
		}
		if c := list[1]; c.Name != checkTGT || c.Status != statusFail || !strings.Contains(c.Detail, "expired at") || !strings.Contains(c.Hint, "gmsad renews") {
			t.Errorf("%+v", c)
		}
		if c := list[2]; c.Status != statusSkip {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a gMSA the KDC has no host/ SPN for", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		got, _, _ := doctorJSON(t, 1, "--container", "--account", "Ghost01")
		expectStatuses(t, got, map[string]string{checkCCache: statusOK, checkTGT: statusOK, checkServiceTicket: statusFail})
		if c := got[checkServiceTicket]; !strings.Contains(c.Detail, "host/Ghost01") || !strings.Contains(c.Hint, "register host/Ghost01 on Ghost01$") {
			t.Errorf("%+v", c)
		}
	})

	t.Run("a container without its lease", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "missing", "krb5cc"))
		got, _, _ := doctorJSON(t, 1, "--container")
		expectStatuses(t, got, map[string]string{checkCCache: statusFail, checkTGT: statusSkip, checkServiceTicket: statusSkip})
		if c := got[checkCCache]; !strings.Contains(c.Detail, "does not exist") || !strings.Contains(c.Hint, "not mounted") {
			t.Errorf("%+v", c)
		}
		t.Setenv("KRB5CCNAME", "")
		got, _, _ = doctorJSON(t, 1, "--container")
		if c := got[checkCCache]; c.Status != statusFail || !strings.Contains(c.Hint, "KRB5CCNAME=FILE:/var/run/gmsa/krb5cc") {
			t.Errorf("%+v", c)
		}
	})
}

func TestMissingSPNsAndEncTypes(t *testing.T) {
	t.Parallel()
	a := &directory.Account{SAMAccountName: "WebApp01$", DNSHostName: "webapp01.contoso.com", SPNs: []string{"HOST/webapp01"}}
	if got := missingSPNs(a); len(got) != 1 || got[0] != "host/webapp01.contoso.com" {
		t.Errorf("missingSPNs = %v", got)
	}
	for _, tc := range []struct {
		enc    uint32
		status string
		detail string
	}{
		{0, statusFail, "assumes RC4"},
		{4, statusFail, "RC4 only"},
		{24, statusOK, "AES256, AES128"},
		{28, statusOK, "AES256, AES128, RC4"},
		{8, statusOK, "AES128 (msDS-SupportedEncryptionTypes 8)"},
	} {
		a.SupportedEncryptionTypes = tc.enc
		o := encTypesOutcome(a)
		if o.status != tc.status || !strings.Contains(o.detail, tc.detail) {
			t.Errorf("enctypes %d: %+v", tc.enc, o)
		}
	}
}

func TestDoctorHelpers(t *testing.T) {
	t.Parallel()
	if got := realmOfDN("DC=contoso, DC=com"); got != "CONTOSO.COM" {
		t.Errorf("realmOfDN = %q", got)
	}
	for skew, want := range map[time.Duration]string{
		0:                                     "dc1's clock agrees with this host's",
		7 * time.Minute:                       "dc1's clock is 7m0s ahead of this host's",
		-(90*time.Second + time.Nanosecond*3): "dc1's clock is 1m30s behind this host's",
	} {
		if got := describeSkew("dc1", skew); got != want {
			t.Errorf("describeSkew(%s) = %q, want %q", skew, got, want)
		}
	}
	var b strings.Builder
	doctorReport{{Name: "reach-ldap", Status: statusFail, Detail: "refused", Hint: "open it", DurationMS: 3},
		{Name: "tgt", Status: statusSkip, Detail: "no cache"}}.table(&b)
	if want := "✗\treach-ldap\t3ms\trefused\n\t\t\thint: open it\n–\ttgt\t0ms\tskipped: no cache\n"; b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
}
