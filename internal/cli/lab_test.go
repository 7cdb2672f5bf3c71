package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// startCLILab runs `gmsa lab init` and `gmsa lab serve` (in-process) on
// addr and returns the data directory and lab.json.
func startCLILab(t *testing.T, addr string, serveArgs ...string) (string, *lab.Info) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lab")
	if stdout, stderr, code := runCLI(t, "", "lab", "init", "--data", dir); code != 0 {
		t.Fatalf("lab init: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		e := &env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, now: time.Now}
		done <- run(ctx, append([]string{"lab", "serve", "--data", dir, "--listen", addr}, serveArgs...), e)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("lab serve exited %d\n%s", code, errb.String())
		}
		if _, err := os.Stat(filepath.Join(dir, lab.InfoFile)); err == nil {
			t.Error("lab.json left behind after shutdown")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if i, err := lab.ReadInfo(dir); err == nil {
			return dir, i
		}
		select {
		case code := <-done:
			t.Fatalf("lab serve exited %d\n%s", code, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("lab did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWalkthroughVerbsWithLab: the [directory] verbs of the walkthrough run
// against `gmsa lab` as they do against Samba (write_test.go,
// account_test.go, computer_test.go), bound with simple binds over TLS, with
// the settings `gmsa lab env` prints.
func TestWalkthroughVerbsWithLab(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB", "GMSA_LAB_DATA"} {
		t.Setenv(k, "")
	}
	dir, info := startCLILab(t, testpeer.Loopback("internal/cli/lab"))
	cli := func(t *testing.T, wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout
	}

	// gmsa lab env gives the settings; use them as a user would.
	var envOut labEnvResult
	if err := json.Unmarshal([]byte(cli(t, 0, "lab", "env", "--data", dir, "-o", "json")), &envOut); err != nil {
		t.Fatal(err)
	}
	if envOut.Server != info.LDAPSURL() || envOut.Domain != "contoso.com" || envOut.PasswordFile == "" || envOut.User != "Administrator@contoso.com" {
		t.Fatalf("lab env: %+v", envOut)
	}
	shell := cli(t, 0, "lab", "env", "--data", dir)
	if info.KDCPort == 0 || !strings.Contains(envOut.Krb5Conf, fmt.Sprintf("kdc = %s:%d", info.Listen, info.KDCPort)) {
		t.Fatalf("lab env krb5.conf has no KDC:\n%s", envOut.Krb5Conf)
	}
	if !strings.Contains(shell, "export GMSA_SERVER="+info.LDAPSURL()+"\n") || !strings.Contains(shell, "default_realm = CONTOSO.COM") {
		t.Fatalf("lab env shell output:\n%s", shell)
	}
	admin := []string{"--server", envOut.Server, "--ca-file", envOut.CAFile, "--user", envOut.User, "--password-file", envOut.PasswordFile}
	with := func(creds []string, args ...string) []string { return append(args, creds...) }

	// Get-KdsRootKey / Add-KdsRootKey -EffectiveTime ((Get-Date).AddHours(-10)).
	var keys []struct {
		ID     string `json:"id"`
		ForNew bool   `json:"usable_for_new_gmsas"`
	}
	listKeys := func() {
		t.Helper()
		var out struct {
			Keys *[]struct {
				ID     string `json:"id"`
				ForNew bool   `json:"usable_for_new_gmsas"`
			} `json:"keys"`
		}
		out.Keys = &keys
		if err := json.Unmarshal([]byte(cli(t, 0, with(admin, "kds", "root-key", "list", "-o", "json")...)), &out); err != nil {
			t.Fatal(err)
		}
	}
	listKeys()
	if len(keys) != 1 {
		t.Fatalf("a new lab has %d root keys, want 1", len(keys))
	}
	cli(t, 0, with(admin, "kds", "root-key", "add", "--effective-time", "-10h")...)
	listKeys()
	if len(keys) != 2 {
		t.Fatalf("after root-key add: %d keys", len(keys))
	}

	// New-ADGroup, a joined host, Add-ADGroupMember.
	cli(t, 0, with(admin, "group", "create", "WebApp01Hosts")...)
	cli(t, 1, with(admin, "group", "create", "WebApp01Hosts")...)
	nodePW := writePasswordFile(t, "Node1-Lab-Pa55")
	adminBind := []string{"--server", envOut.Server, "--ca-file", envOut.CAFile, "--user", envOut.User, "--bind-password-file", envOut.PasswordFile}
	keytabPath := filepath.Join(t.TempDir(), "node1.keytab")
	var comp computerCreateJSON
	if err := json.Unmarshal([]byte(cli(t, 0, with(adminBind, "computer", "create", "NODE1", "--password-file", nodePW,
		"--keytab", keytabPath, "-o", "json")...)), &comp); err != nil {
		t.Fatal(err)
	}
	if comp.KVNO != 1 || !strings.EqualFold(comp.Account, "NODE1$") || len(comp.Principals) != 3 {
		t.Fatalf("computer create: %+v", comp)
	}
	cli(t, 0, with(adminBind, "computer", "create", "NODE2", "--password-file", writePasswordFile(t, "Node2-Lab-Pa55"))...)
	cli(t, 0, with(admin, "group", "add-member", "WebApp01Hosts", "node1")...)

	// New-ADServiceAccount.
	cli(t, 0, with(admin, "account", "create", "WebApp01", "--dns-host-name", "WebApp01.contoso.com",
		"--spn", "host/WebApp01", "--spn", "host/WebApp01.contoso.com", "--spn", "http/mysite.contoso.com",
		"--allowed-principals", "WebApp01Hosts")...)
	cli(t, 1, with(admin, "account", "create", "Dup", "--dns-host-name", "dup.contoso.com",
		"--spn", "HTTP/MySite.contoso.com", "--allowed-principals", "WebApp01Hosts")...)
	list := cli(t, 0, with(admin, "account", "list")...)
	if !strings.Contains(list, "WebApp01$") || !strings.Contains(list, "WebApp01Hosts") {
		t.Fatalf("account list:\n%s", list)
	}

	// Get-ADServiceAccount: the password derives from the provisioning
	// root key, as the new one is still within its 10 h 05 min wait.
	var show struct {
		PasswordID struct {
			RootKeyID string `json:"root_key_id"`
		} `json:"password_id"`
		KVNO uint32 `json:"kvno"`
		Keys *struct {
			Current []struct{ Key string } `json:"current"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(cli(t, 0, with(admin, "account", "show", "WebApp01", "-o", "json")...)), &show); err != nil {
		t.Fatal(err)
	}
	var usable []string
	for _, k := range keys {
		if k.ForNew {
			usable = append(usable, k.ID)
		}
	}
	if len(usable) != 1 || !strings.EqualFold(show.PasswordID.RootKeyID, usable[0]) {
		t.Fatalf("password ID names root key %s; the keys usable for new gMSAs are %v (want the provisioning key only)", show.PasswordID.RootKeyID, usable)
	}
	if show.Keys != nil || show.KVNO != 1 {
		t.Fatalf("account show without --show-keys: %+v", show)
	}

	// Test-ADServiceAccount as the host, with its password and its keytab's
	// password file; and false for a host outside the group.
	node1 := []string{"--server", envOut.Server, "--ca-file", envOut.CAFile, "--user", `CONTOSO\NODE1$`, "--password-file", nodePW}
	if out := cli(t, 0, with(node1, "account", "test", "WebApp01")...); !strings.HasPrefix(out, "true\n") {
		t.Fatalf("account test as NODE1$:\n%s", out)
	}
	node2 := []string{"--server", envOut.Server, "--ca-file", envOut.CAFile, "--user", "NODE2$@contoso.com", "--password-file", writePasswordFile(t, "Node2-Lab-Pa55")}
	if out := cli(t, 1, with(node2, "account", "test", "WebApp01")...); !strings.HasPrefix(out, "false\n") || !strings.Contains(out, "msDS-GroupMSAMembership") {
		t.Fatalf("account test as NODE2$:\n%s", out)
	}
	// account show --show-keys as the allowed host, and a keytab made from
	// its AES256 key with gmsa keytab add: MIT kinit -k logs in as the gMSA
	// at the lab's KDC.
	var withKeys struct {
		KVNO uint32 `json:"kvno"`
		Keys *struct {
			Current []struct {
				EncType string `json:"enctype"`
				Key     string `json:"key"`
			} `json:"current"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(cli(t, 0, with(node1, "account", "show", "WebApp01", "--show-keys", "-o", "json")...)), &withKeys); err != nil {
		t.Fatal(err)
	}
	if withKeys.Keys == nil || len(withKeys.Keys.Current) < 2 {
		t.Fatalf("--show-keys gave no keys: %+v", withKeys)
	}
	gmsaKeytab := filepath.Join(t.TempDir(), "webapp01.keytab")
	for _, k := range withKeys.Keys.Current {
		if strings.HasPrefix(k.EncType, "aes256") {
			cli(t, 0, "keytab", "add", "--principal", "WebApp01$@CONTOSO.COM", "--key", k.Key, "--enctype", k.EncType,
				"--kvno", fmt.Sprint(withKeys.KVNO), "-f", gmsaKeytab)
		}
	}
	if kinit, err := exec.LookPath("kinit"); err == nil {
		conf := filepath.Join(t.TempDir(), "krb5.conf")
		if err := os.WriteFile(conf, []byte(envOut.Krb5Conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(kinit, "-k", "-t", gmsaKeytab, "WebApp01$@CONTOSO.COM")
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "cc"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("MIT kinit -k with the keytab from gmsa keytab add: %v\n%s", err, out)
		}
	} else {
		testpeer.Binaries(t, "mit-krb5-user", "kinit")
	}

	// clock-offset: past the interval, the kvno went up by one.
	cli(t, 0, "lab", "clock-offset", "--data", dir, "31d")
	cli(t, 0, with(node1, "account", "test", "WebApp01")...)
	if err := json.Unmarshal([]byte(cli(t, 0, with(admin, "account", "show", "WebApp01", "-o", "json")...)), &show); err != nil {
		t.Fatal(err)
	}
	if show.KVNO != 2 {
		t.Fatalf("kvno after 31 days = %d, want 2", show.KVNO)
	}
	cli(t, 0, with(admin, "account", "delete", "WebApp01")...)
	cli(t, 1, with(admin, "account", "show", "WebApp01")...)
}

// TestDiscoveryThroughDNSServerWithLab: with no --server and no KDC in
// krb5.conf, a host finds the lab's DC (LDAP SRV) and KDC (Kerberos SRV)
// through --dns-server alone, logs in with its keytab and passes
// Test-ADServiceAccount.
func TestDiscoveryThroughDNSServerWithLab(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB", "GMSA_LAB_DATA", "GMSA_DNS_SERVER", "KRB5CCNAME"} {
		t.Setenv(k, "")
	}
	addr := testpeer.Loopback("internal/cli/lab")
	pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	dnsPort := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	dir, info := startCLILab(t, addr, "--dns-port", strconv.Itoa(dnsPort))
	if info.DNSPort != dnsPort {
		t.Fatalf("lab.json dnsPort %d, want %d", info.DNSPort, dnsPort)
	}
	cli := func(t *testing.T, wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout
	}
	admin := []string{"--server", info.LDAPSURL(), "--ca-file", info.CAFile, "--user", "Administrator@contoso.com",
		"--password-file", filepath.Join(dir, lab.AdminPasswordFile)}
	cli(t, 0, append([]string{"group", "create", "WebApp01Hosts"}, admin...)...)
	kt := filepath.Join(t.TempDir(), "node1.keytab")
	cli(t, 0, "computer", "create", "NODE1", "--keytab", kt, "--server", info.LDAPSURL(), "--ca-file", info.CAFile,
		"--user", "Administrator@contoso.com", "--bind-password-file", filepath.Join(dir, lab.AdminPasswordFile))
	cli(t, 0, append([]string{"group", "add-member", "WebApp01Hosts", "NODE1"}, admin...)...)
	cli(t, 0, append([]string{"account", "create", "WebApp01", "--dns-host-name", "webapp01.contoso.com", "--allowed-principals", "WebApp01Hosts"}, admin...)...)

	// A krb5.conf that names no KDC: discovery must find it.
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n\tdefault_realm = CONTOSO.COM\n\trdns = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", conf)
	out := cli(t, 0, "account", "test", "WebApp01", "--keytab", kt, "--domain", "contoso.com", "--dns-server", net.JoinHostPort(addr, strconv.Itoa(dnsPort)))
	if !strings.HasPrefix(out, "true\n") {
		t.Fatalf("account test through discovery:\n%s", out)
	}
}
