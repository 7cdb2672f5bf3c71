package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestHelperLabProcess is not a test: TestKill9LosesNoAcknowledgedWrite runs
// the test binary with it to serve a lab in a child process.
func TestHelperLabProcess(t *testing.T) {
	dir := os.Getenv("GMSA_LAB_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKill9LosesNoAcknowledgedWrite")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := Serve(ctx, ServeOptions{Dir: dir, Listen: os.Getenv("GMSA_LAB_HELPER_LISTEN"), KDCPort: -1}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func startChildLab(t *testing.T, dir, listen string) (*exec.Cmd, *Info) {
	t.Helper()
	os.Remove(filepath.Join(dir, InfoFile)) // a killed lab leaves it behind
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLabProcess$")
	cmd.Env = append(os.Environ(), "GMSA_LAB_HELPER_DIR="+dir, "GMSA_LAB_HELPER_LISTEN="+listen)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if i, err := ReadInfo(dir); err == nil && i.PID == cmd.Process.Pid {
			return cmd, i
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child lab did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKill9LosesNoAcknowledgedWrite: a lab killed with SIGKILL during a
// burst of adds keeps every add it acknowledged, and the restarted lab
// serves the same domain.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	listen := testpeer.Loopback("internal/lab")
	dir := t.TempDir()
	d, err := Init(dir, InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	sid := d.Domain().SID
	d.Close()
	child, info := startChildLab(t, dir, listen)
	tl := &testLab{dir: dir, info: info, password: testAdminPassword}

	l, err := ldap.DialURL(info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Bind("Administrator@contoso.com", testAdminPassword); err != nil {
		t.Fatal(err)
	}
	var acked []string
	killAt := 60
	for i := 0; i < 10000; i++ {
		if i == killAt {
			go func() { child.Process.Signal(syscall.SIGKILL) }()
		}
		dn := fmt.Sprintf("CN=crash%04d,CN=Users,DC=contoso,DC=com", i)
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"group"})
		req.Attribute("sAMAccountName", []string{fmt.Sprintf("crash%04d", i)})
		if err := l.Add(req); err != nil {
			break // the lab died
		}
		acked = append(acked, dn)
	}
	l.Close()
	child.Wait()
	if len(acked) < killAt || len(acked) == 10000 {
		t.Fatalf("%d adds acknowledged; the kill did not land mid-burst", len(acked))
	}
	t.Logf("%d adds acknowledged before SIGKILL", len(acked))

	child, info = startChildLab(t, dir, listen)
	defer func() { child.Process.Signal(syscall.SIGTERM); child.Wait() }()
	tl.info = info
	c := tl.dial(t, "", "")
	di, err := c.DomainInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !di.SID.Equal(sid) {
		t.Fatalf("restarted lab serves domain %s, want %s", di.SID, sid)
	}
	for _, dn := range acked {
		name := dn[3:12]
		if _, err := c.FindAccount(context.Background(), name); err != nil {
			t.Fatalf("acknowledged add of %s lost: %v", dn, err)
		}
	}
}
