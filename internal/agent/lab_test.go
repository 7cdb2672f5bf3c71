package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const (
	labAdminPassword = "Lab-Admin-Pa55!"
	node1Password    = "Node1-Pa55-word"
)

// testLab is an in-process lab domain with the walkthrough's objects: the
// host NODE1$ in WebApp01Hosts, which may read the passwords of the gMSAs
// WebApp01 (SPN http/mysite.contoso.com) and LogAgentSvc.
type testLab struct {
	dir  string
	info *lab.Info
}

func startLab(t testing.TB) *testLab {
	t.Helper()
	return startLabDNS(t, 0)
}

// startLabDNS also answers DNS (SRV records for DC and KDC discovery) on
// dnsPort when it is not 0.
func startLabDNS(t testing.TB, dnsPort int) *testLab {
	t.Helper()
	dir := t.TempDir()
	d, err := lab.Init(dir, lab.InitOptions{AdminPassword: labAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan *lab.Info, 1)
	go func() {
		done <- lab.Serve(ctx, lab.ServeOptions{Dir: dir, Listen: testpeer.Loopback("internal/agent"), DNSPort: dnsPort,
			Ready: func(i *lab.Info) { ready <- i }})
	}()
	tl := &testLab{dir: dir}
	select {
	case tl.info = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("lab.Serve: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("the lab did not start")
	}
	t.Cleanup(func() { cancel(); <-done })

	admin := tl.dial(t, "Administrator@contoso.com", labAdminPassword)
	defer admin.Close()
	ctx = context.Background()
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateComputer(ctx, directory.ComputerOptions{Name: "NODE1", Password: node1Password}); err != nil {
		t.Fatal(err)
	}
	if err := admin.AddGroupMember(ctx, "WebApp01Hosts", "NODE1$"); err != nil {
		t.Fatal(err)
	}
	for _, g := range []directory.GMSAOptions{
		{Name: "WebApp01", DNSHostName: "webapp01.contoso.com", SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}},
		{Name: "LogAgentSvc", DNSHostName: "logagentsvc.contoso.com", SPNs: []string{"http/logs.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}},
	} {
		if _, err := admin.CreateGMSA(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	return tl
}

func (tl *testLab) dial(t testing.TB, user, password string) *directory.Conn {
	t.Helper()
	c, err := directory.Dial(context.Background(), directory.Options{Server: tl.info.LDAPSURL(), CAFile: tl.info.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.BindSimple(context.Background(), user, password); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// options are an agent's options against the lab, bound as NODE1$ with a
// simple bind over LDAPS (the lab has no SASL GSSAPI yet).
func (tl *testLab) options(t testing.TB, state string) Options {
	return Options{
		Domain:      "contoso.com",
		DCs:         []DC{{LDAP: tl.info.LDAPSURL(), KDC: tl.info.Listen + ":" + strconv.Itoa(tl.info.KDCPort)}},
		CAFile:      tl.info.CAFile,
		Host:        HostCredentials{User: "NODE1$@contoso.com", Password: node1Password},
		StateDir:    filepath.Join(state, "state"),
		LeaseRoot:   filepath.Join(state, "leases"),
		CreateGroup: -1,
	}
}

// spec is the credential spec `gmsa credspec new WebApp01
// --additional-accounts LogAgentSvc` writes, with the fields the agent reads.
func spec(t testing.TB, primary string, additional ...string) json.RawMessage {
	t.Helper()
	s := &credspec.Spec{
		CmsPlugins: []string{"ActiveDirectory"},
		DomainJoinConfig: credspec.DomainJoinConfig{Sid: "S-1-5-21-1-2-3", MachineAccountName: primary,
			Guid: "5a8a8a4e-0b1c-4c33-9f44-6b8a4d8b9e11", DnsTreeName: "contoso.com", DnsName: "contoso.com", NetBiosName: "CONTOSO"},
		ActiveDirectoryConfig: credspec.ActiveDirectoryConfig{GroupManagedServiceAccounts: []credspec.Account{
			{Name: primary, Scope: "contoso.com"}, {Name: primary, Scope: "CONTOSO"}}},
	}
	for _, a := range additional {
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts = append(s.ActiveDirectoryConfig.GroupManagedServiceAccounts,
			credspec.Account{Name: a, Scope: "contoso.com"}, credspec.Account{Name: a, Scope: "CONTOSO"})
	}
	b, err := credspec.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newAgent(t testing.TB, o Options) *Agent {
	t.Helper()
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// mit runs an MIT tool on a lease: KRB5CCNAME and KRB5_CONFIG point into
// its directory, as in a container.
func mit(t *testing.T, bin, dir, ccache string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KRB5CCNAME=FILE:"+filepath.Join(dir, ccache), "KRB5_CONFIG="+filepath.Join(dir, ConfFile))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

var root = Caller{UID: 0, GID: 0}

// tgtOf returns the ticket of the TGT in a lease's krb5cc.
func tgtOf(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, CCacheFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ccache.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := c.TGT("")
	if err != nil {
		t.Fatal(err)
	}
	return string(tgt.Ticket)
}

// TestLeaseWithMIT: a lease for WebApp01 (+ LogAgentSvc) against the lab
// DC; MIT klist sees WebApp01$'s TGT in krb5cc and LogAgentSvc$'s in
// krb5cc_logagentsvc; MIT kvno gets the gMSA's SPN with the lease's
// krb5.conf; files belong to the lease owner with mode 0600 in a 0700
// directory. A second lease of the same gMSA costs no password read, no key
// derivation and no AS exchange.
func TestLeaseWithMIT(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "klist", "kvno")
	tl := startLab(t)
	a := newAgent(t, tl.options(t, t.TempDir()))
	ctx := context.Background()
	uid, gid := 4321, 4322
	l, err := a.Create(ctx, root, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01", "LogAgentSvc"), UID: &uid, GID: &gid})
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"": 0o700 | os.ModeDir, CCacheFile: 0o600, "krb5cc_logagentsvc": 0o600, ConfFile: 0o600} {
		fi, err := os.Stat(filepath.Join(l.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Join(l.Dir, name), fi.Mode(), mode)
		}
		if u, g := owner(fi); u != uid || g != gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", filepath.Join(l.Dir, name), u, g, uid, gid)
		}
	}
	out := mit(t, bins[0], l.Dir, CCacheFile)
	if !strings.Contains(out, "Default principal: WebApp01$@CONTOSO.COM") || !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
		t.Fatalf("klist krb5cc:\n%s", out)
	}
	out = mit(t, bins[0], l.Dir, "krb5cc_logagentsvc")
	if !strings.Contains(out, "Default principal: LogAgentSvc$@CONTOSO.COM") {
		t.Fatalf("klist krb5cc_logagentsvc:\n%s", out)
	}
	out = mit(t, bins[1], l.Dir, CCacheFile, "http/mysite.contoso.com@CONTOSO.COM")
	if !strings.Contains(out, "kvno = 1") {
		t.Fatalf("kvno:\n%s", out)
	}

	reads, derivations, logins := a.metrics.passwordReads.Load(), a.metrics.keyDerivations.Load(), a.metrics.logins.Load()
	if reads != 2 || logins != 2 || derivations != 2 {
		t.Errorf("first lease: %d password reads, %d key derivations, %d AS exchanges; want 2, 2 and 2 (one per gMSA)", reads, derivations, logins)
	}
	l2, err := a.Create(ctx, root, CreateRequest{CredentialSpec: spec(t, "WebApp01")})
	if err != nil {
		t.Fatal(err)
	}
	if a.metrics.passwordReads.Load() != reads || a.metrics.keyDerivations.Load() != derivations || a.metrics.logins.Load() != logins {
		t.Errorf("a second lease of WebApp01 read the password, derived keys or logged in again")
	}
	if tgtOf(t, l.Dir) != tgtOf(t, l2.Dir) {
		t.Error("the two leases of WebApp01 hold different TGTs")
	}

	// Idempotent create; a different request under the same id conflicts.
	again, err := a.Create(ctx, root, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01", "LogAgentSvc"), UID: &uid, GID: &gid})
	if err != nil || again.Created != l.Created {
		t.Fatalf("create again: %v", err)
	}
	if _, err := a.Create(ctx, root, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01")}); !errorsIs(err, ErrConflict) {
		t.Fatalf("create with the same id and another spec: %v, want ErrConflict", err)
	}

	st, err := a.Show(root, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Identities) != 2 || st.Identities[0].Principal != "WebApp01$@CONTOSO.COM" || st.Identities[0].End.IsZero() ||
		st.Identities[0].NextRenewal.IsZero() || st.Identities[1].File != "krb5cc_logagentsvc" {
		t.Errorf("status: %+v", st.Identities)
	}
	if err := a.Delete(root, l2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l2.Dir); !os.IsNotExist(err) {
		t.Errorf("the deleted lease's directory is still there: %v", err)
	}
}

// TestRestoreAndRotation: leases survive a restart of the agent, even a
// reboot that emptied the lease root; the restarted agent's loop reads the
// password, logs in and writes the lease directory again. Then the lab's KDS clock jumps 31 days: the password re-read
// finds the new password, the next AS exchange uses it, and MIT kvno sees
// the gMSA's kvno go up.
func TestRestoreAndRotation(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "klist", "kvno")
	tl := startLab(t)
	o := tl.options(t, t.TempDir())
	a := newAgent(t, o)
	ctx := context.Background()
	l, err := a.Create(ctx, root, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01"), Keytab: true})
	if err != nil {
		t.Fatal(err)
	}
	before := tgtOf(t, l.Dir)
	a.Close()
	// A reboot empties /run: the lease directory is gone, the state stays.
	if err := os.RemoveAll(o.LeaseRoot); err != nil {
		t.Fatal(err)
	}

	a = newAgent(t, o)
	if ls := a.List(root); len(ls) != 1 || ls[0].ID != "web-1" {
		t.Fatalf("restored leases: %+v", ls)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for a.metrics.logins.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	if after := tgtOf(t, l.Dir); a.metrics.logins.Load() != 1 || after == before {
		t.Fatalf("after restart: %d logins; new TGT in the ccache: %v", a.metrics.logins.Load(), after != before)
	}
	out := mit(t, bins[0], l.Dir, CCacheFile)
	if !strings.Contains(out, "WebApp01$@CONTOSO.COM") {
		t.Fatalf("klist after restart:\n%s", out)
	}
	if out := mit(t, bins[1], l.Dir, CCacheFile, "http/mysite.contoso.com@CONTOSO.COM"); !strings.Contains(out, "kvno = 1") {
		t.Fatalf("kvno before the rotation:\n%s", out)
	}

	if err := lab.WriteClockOffset(filepath.Join(tl.dir, lab.ClockOffsetFile), 31*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the lab re-reads the offset file on change
	a.mu.Lock()
	id := a.ids["webapp01$"]
	a.mu.Unlock()
	logins, derivations := a.metrics.logins.Load(), a.metrics.keyDerivations.Load()
	if err := a.act(ctx, id, ActionReadPassword); err != nil {
		t.Fatal(err)
	}
	if a.metrics.logins.Load() != logins+1 {
		t.Fatalf("the rotated password brought no new AS exchange")
	}
	// One derivation per rotation: the new password's keys; the previous
	// password's are the keys already held.
	if d := a.metrics.keyDerivations.Load(); d != derivations+1 {
		t.Errorf("%d key derivations for one rotation", d-derivations)
	}
	out = mit(t, bins[1], l.Dir, CCacheFile, "http/mysite.contoso.com@CONTOSO.COM")
	if !strings.Contains(out, "kvno = 2") {
		t.Fatalf("kvno after the rotation:\n%s", out)
	}
	// The keytab follows: the current keys at kvno 2, the previous at 1.
	out = mit(t, bins[0], l.Dir, CCacheFile, "-k", filepath.Join(l.Dir, KeytabFile))
	if !strings.Contains(out, "   2 WebApp01$@CONTOSO.COM") || !strings.Contains(out, "   1 WebApp01$@CONTOSO.COM") {
		t.Fatalf("klist -k:\n%s", out)
	}
}

// TestReadOnlyMountWithMIT: mounted read-only, as in a container, the
// lease still serves MIT kvno (which then does not cache the service
// ticket in the ccache).
func TestReadOnlyMountWithMIT(t *testing.T) {
	bins := testpeer.Binaries(t, "util-linux", "unshare", "mount")
	kvno := testpeer.Binaries(t, "mit-krb5-user", "kvno")[0]
	if os.Getuid() != 0 {
		testpeer.Missing(t, "root", "a read-only bind mount needs root")
	}
	tl := startLab(t)
	a := newAgent(t, tl.options(t, t.TempDir()))
	l, err := a.Create(context.Background(), root, CreateRequest{CredentialSpec: spec(t, "WebApp01")})
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`%s --bind -o ro %[2]s %[2]s && ! touch %[2]s/probe 2>/dev/null && KRB5CCNAME=FILE:%[2]s/krb5cc KRB5_CONFIG=%[2]s/krb5.conf %[3]s http/mysite.contoso.com@CONTOSO.COM`,
		bins[1], l.Dir, kvno)
	out, err := exec.Command(bins[0], "-m", "sh", "-c", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "kvno = 1") {
		t.Fatalf("kvno on a read-only lease: %v\n%s", err, out)
	}
}
