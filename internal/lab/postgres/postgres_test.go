package postgres_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/lab/postgres"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestStartPostgres: the server starts as a non-root user, creates the
// roles asked for, refuses a TCP login without Kerberos, and is gone (with
// its files) after Stop. Kerberos logins are in demo_test.go.
func TestStartPostgres(t *testing.T) {
	p, err := postgres.Start(postgres.Options{Addr: testpeer.Loopback("internal/lab/postgres"), Keytab: []byte{5, 2}, Realm: "CONTOSO.COM",
		Roles: []string{"WebApp01$", `we"ird`}})
	if errors.Is(err, postgres.ErrNoPostgres) {
		testpeer.Missing(t, "postgresql", err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			p.Stop()
		}
	}()
	out, err := p.Admin("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY rolname")
	if err != nil || !strings.Contains(out, "WebApp01$") || !strings.Contains(out, `we"ird`) {
		t.Fatalf("roles: %v\n%s", err, out)
	}
	argv := p.PSQLArgs("localhost", "WebApp01$", "-c", "SELECT 1")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "KRB5CCNAME=FILE:/nonexistent")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("a TCP login without Kerberos succeeded:\n%s", out)
	}
	p.Stop()
	stopped = true
	if c, err := net.Dial("tcp", net.JoinHostPort(p.Addr, strconv.Itoa(p.Port))); err == nil {
		c.Close()
		t.Fatal("postgres still listens after Stop")
	}
	if _, err := os.Stat(p.Dir); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", p.Dir, err)
	}
}
