package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestQuickstartFromABuiltBinary: the README's first command as a user
// runs it — a freshly built gmsa binary, `gmsa quickstart -o json`, as root
// and as an unprivileged user (nobody) — finishes with every step ok: the
// workload's klist shows WebApp01$@CONTOSO.COM, the web service and
// PostgreSQL know it as WebApp01$.
func TestQuickstartFromABuiltBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build gmsa with")
	}
	// A directory an unprivileged user can reach (t.TempDir's parents are
	// private to the test's user).
	dir, err := os.MkdirTemp("", "gmsa-quickstart-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "gmsa")
	build := exec.Command(goBin, "build", "-o", bin, "../cmd/gmsa")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	listen := testpeer.Loopback("test")

	run := func(t *testing.T, cmd *exec.Cmd) {
		t.Helper()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gmsa quickstart: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
		}
		var names []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var s struct {
				Name, Status, Detail, PowerShell string
			}
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatalf("not one JSON object per line: %v\n%s", err, line)
			}
			if s.Status != "ok" {
				t.Errorf("step %q: %s %s", s.Name, s.Status, s.Detail)
			}
			names = append(names, s.PowerShell)
			switch {
			case strings.HasPrefix(s.PowerShell, "docker run"):
				if !strings.Contains(s.Detail, "Default principal: WebApp01$@CONTOSO.COM") {
					t.Errorf("the workload's klist:\n%s", s.Detail)
				}
			case strings.HasPrefix(s.PowerShell, "Invoke-WebRequest"):
				if !strings.Contains(s.Detail, `CONTOSO\WebApp01$`) {
					t.Errorf("the web service: %s", s.Detail)
				}
			case strings.HasPrefix(s.PowerShell, "SqlConnection"):
				if !strings.Contains(s.Detail, "current_user = WebApp01$") {
					t.Errorf("PostgreSQL: %s", s.Detail)
				}
			}
		}
		if len(names) < 17 {
			t.Fatalf("%d steps, want 17:\n%s", len(names), out)
		}
	}
	t.Run("as root", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("not root")
		}
		run(t, exec.Command(bin, "quickstart", "--listen", listen, "-o", "json"))
	})
	t.Run("as an unprivileged user", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil || os.Geteuid() != 0 {
			testpeer.Missing(t, "setpriv (as root)", "to run the quickstart as nobody")
		}
		nobody, err := user.Lookup("nobody")
		if err != nil {
			testpeer.Missing(t, "user nobody", err.Error())
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		home := filepath.Join(dir, "home")
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(setpriv, "--reuid="+nobody.Uid, "--regid="+nobody.Gid, "--clear-groups", bin, "quickstart", "--listen", listen, "-o", "json")
		cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+home)
		cmd.Dir = home
		run(t, cmd)
	})
}
