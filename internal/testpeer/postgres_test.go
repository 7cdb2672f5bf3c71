package testpeer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartPostgres: the server starts as a non-root user, creates the
// roles asked for, and is gone (with its files) after cleanup. Kerberos
// logins are tested where the keytab comes from (internal/lab/demo).
func TestStartPostgres(t *testing.T) {
	kt := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(kt, []byte{5, 2}, 0o600); err != nil { // an empty keytab: no gss login here
		t.Fatal(err)
	}
	var p *Postgres
	t.Run("run", func(t *testing.T) {
		p = StartPostgres(t, PostgresOptions{Addr: Loopback("internal/testpeer"), Keytab: kt, Realm: "CONTOSO.COM",
			Roles: []string{"WebApp01$", `we"ird`}})
		out, err := p.admin("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY rolname")
		if err != nil || !strings.Contains(out, "WebApp01$") || !strings.Contains(out, `we"ird`) {
			t.Fatalf("roles: %v\n%s", err, out)
		}
		if out, err := p.PSQL(nil, "localhost", "WebApp01$", "-c", "SELECT 1").CombinedOutput(); err == nil {
			t.Fatalf("a TCP login without Kerberos succeeded:\n%s", out)
		}
	})
	if p == nil {
		return
	}
	select {
	case <-p.done:
	default:
		t.Fatal("postgres still runs after the test's cleanup")
	}
	if _, err := os.Stat(p.Dir); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", p.Dir, err)
	}
}
