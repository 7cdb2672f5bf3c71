package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// agentLab is a lab domain where NODE1$ may read WebApp01's password, a
// CredentialSpecs directory with contoso_webapp01.json, and a gmsad
// configuration file for the host NODE1 (portable identity over LDAPS).
type agentLab struct {
	info      *lab.Info
	specsDir  string
	config    string
	agentOpts agent.Options
}

func startAgentLab(t *testing.T) *agentLab {
	t.Helper()
	dir := t.TempDir()
	d, err := lab.Init(filepath.Join(dir, "lab"), lab.InitOptions{AdminPassword: "Lab-Admin-Pa55!"})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan *lab.Info, 1)
	go func() {
		done <- lab.Serve(ctx, lab.ServeOptions{Dir: filepath.Join(dir, "lab"), Listen: testpeer.Loopback("internal/cli/run"),
			Ready: func(i *lab.Info) { ready <- i }})
	}()
	al := &agentLab{}
	select {
	case al.info = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("lab.Serve: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("the lab did not start")
	}
	t.Cleanup(func() { cancel(); <-done })
	c, err := directory.Dial(ctx, directory.Options{Server: al.info.LDAPSURL(), CAFile: al.info.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.BindSimple(ctx, "Administrator@contoso.com", "Lab-Admin-Pa55!"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateComputer(ctx, directory.ComputerOptions{Name: "NODE1", Password: "Node1-Pa55-word"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddGroupMember(ctx, "WebApp01Hosts", "NODE1$"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}}); err != nil {
		t.Fatal(err)
	}
	info, err := c.DomainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := &credspec.Spec{CmsPlugins: []string{"ActiveDirectory"},
		DomainJoinConfig: credspec.DomainJoinConfig{Sid: info.SID.String(), MachineAccountName: "WebApp01", Guid: info.GUID.String(),
			DnsTreeName: info.ForestDNSName, DnsName: info.DNSName, NetBiosName: info.NetBIOSName},
		ActiveDirectoryConfig: credspec.ActiveDirectoryConfig{GroupManagedServiceAccounts: []credspec.Account{
			{Name: "WebApp01", Scope: info.DNSName}, {Name: "WebApp01", Scope: info.NetBIOSName}}}}
	b, err := credspec.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	al.specsDir = filepath.Join(dir, "specs")
	os.Mkdir(al.specsDir, 0o755)
	if err := os.WriteFile(filepath.Join(al.specsDir, "contoso_webapp01.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "host.json")
	if err := os.WriteFile(creds, []byte(`{"domain":"contoso.com","username":"NODE1$","password":"Node1-Pa55-word"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	kdc := al.info.Listen + ":" + strconv.Itoa(al.info.KDCPort)
	al.config = filepath.Join(dir, "gmsad.yaml")
	cfg := fmt.Sprintf("domain: contoso.com\ndcs:\n  - ldap: %s\n    kdc: %s\ncaFile: %s\nhost:\n  credentialsFile: %s\nstateDir: %s\nleaseRoot: %s\nsocket: %s\n",
		al.info.LDAPSURL(), kdc, al.info.CAFile, creds, filepath.Join(dir, "state"), filepath.Join(dir, "leases"), filepath.Join(dir, "gmsad.sock"))
	if err := os.WriteFile(al.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return al
}

// startDaemon runs gmsad in-process from the lab's configuration and
// returns its socket.
func (al *agentLab) startDaemon(t *testing.T) string {
	t.Helper()
	c, err := loadAgentConfig(al.config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.RunDaemon(ctx, c, discardLogger()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gmsad: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(c.Socket); err == nil {
			return c.Socket
		}
		if time.Now().After(deadline) {
			t.Fatal("gmsad did not listen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunWithMIT: `gmsa run --direct -- klist` and `gmsa run -- klist`
// (through an in-process gmsad) run MIT klist on WebApp01$'s TGT; the
// command's exit status comes through and the lease is gone afterwards.
func TestRunWithMIT(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "klist", "kvno")
	al := startAgentLab(t)
	ref := "file://contoso_webapp01.json"

	stdout, stderr, code := runCLI(t, "", "run", "--direct", "--config", al.config, "--credspecs-dir", al.specsDir, "--credential-spec", ref, "--", bins[0])
	if code != 0 || !strings.Contains(stdout, "Default principal: WebApp01$@CONTOSO.COM") || !strings.Contains(stdout, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
		t.Fatalf("run --direct -- klist: exit %d\n%s\n%s", code, stdout, stderr)
	}

	socket := al.startDaemon(t)
	stdout, stderr, code = runCLI(t, "", "run", "--socket", socket, "--credspecs-dir", al.specsDir, "--credential-spec", ref, "--", bins[0])
	if code != 0 || !strings.Contains(stdout, "Default principal: WebApp01$@CONTOSO.COM") {
		t.Fatalf("run -- klist: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, "", "run", "--socket", socket, "--credspecs-dir", al.specsDir, "--credential-spec", ref, "--", bins[1], "http/mysite.contoso.com@CONTOSO.COM")
	if code != 0 || !strings.Contains(stdout, "kvno = 1") {
		t.Fatalf("run -- kvno: exit %d\n%s\n%s", code, stdout, stderr)
	}
	_, stderr, code = runCLI(t, "", "run", "--socket", socket, "--credspecs-dir", al.specsDir, "--credential-spec", ref, "--", "sh", "-c", "exit 3")
	if code != 3 || !strings.Contains(stderr, "exited with status 3") {
		t.Fatalf("run -- sh -c 'exit 3': exit %d\n%s", code, stderr)
	}
	stdout, _, code = runCLI(t, "", "lease", "list", "--socket", socket, "-o", "json")
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("leases left after gmsa run: %s", stdout)
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--credential-spec", "raw://{}"}, "needs a command after --"},
		{[]string{"run", "--", "klist"}, "--credential-spec is required"},
		{[]string{"run", "--credential-spec", "registry://x", "--", "klist"}, "--credential-spec"},
		{[]string{"run", "--credential-spec", "file://x.json", "--user", "bob", "--", "klist"}, `--user "bob"`},
	} {
		_, stderr, code := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("gmsa %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}

// TestRunAsAnotherUser: as root, `gmsa run --user 65534:65534` gives the
// lease's files to that user and runs the command as it (as docker run
// --user does): it is uid 65534 and MIT klist reads the gMSA's TGT.
func TestRunAsAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		testpeer.Missing(t, "root", "running a command as another user")
	}
	klist := testpeer.Binaries(t, "mit-krb5-user", "klist")[0]
	al := startAgentLab(t)
	// The lease root lies under the test's temporary directory: let the
	// other user through its parents (they stay unreadable to it).
	for d := filepath.Dir(al.config); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	socket := al.startDaemon(t)
	stdout, stderr, code := runCLI(t, "", "run", "--socket", socket, "--credspecs-dir", al.specsDir, "--credential-spec", "file://contoso_webapp01.json",
		"--user", "65534:65534", "--", "sh", "-c", `id -u; id -g; "$0"`, klist)
	if code != 0 || !strings.HasPrefix(stdout, "65534\n65534\n") || !strings.Contains(stdout, "Default principal: WebApp01$@CONTOSO.COM") {
		t.Fatalf("run --user 65534:65534: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
