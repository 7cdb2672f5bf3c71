package testpeer

// A PostgreSQL server for one test that authenticates clients with Kerberos
// (pg_hba "gss"): initdb and postgres run in a fresh directory as a
// non-root user (PostgreSQL refuses root; as root the tests use the
// packaged "postgres" account), on a loopback address and a free port,
// with krb_server_keyfile set to the service keytab the test hands in.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	pgPeer         = "postgresql"
	pgReadyTimeout = 20 * time.Second
	pgStopTimeout  = 10 * time.Second
)

// PostgresOptions configures [StartPostgres].
type PostgresOptions struct {
	// Addr is the loopback address to listen on, from [Loopback].
	Addr string
	// Keytab is the service keytab (postgres/HOST@REALM keys); it is copied
	// into the server's directory, readable only by the server's user.
	Keytab string
	// Realm is the only realm pg_hba accepts (krb_realm); the role name is
	// the principal without it (include_realm=0).
	Realm string
	// Roles are created with LOGIN before the test connects.
	Roles []string
}

// Postgres is a running PostgreSQL server. Its fields are read-only.
type Postgres struct {
	Dir  string // data directory parent: data/, server.keytab, postgres.log, the Unix socket
	Addr string
	Port int
	Bin  string // the directory of initdb, postgres and psql

	uid, gid uint32
	asUser   bool
	cmd      *exec.Cmd
	done     chan struct{}
}

// postgresBinDir finds the server binaries: on PATH, or Debian's
// /usr/lib/postgresql/<version>/bin (newest first).
func postgresBinDir() (string, error) {
	if p, err := exec.LookPath("postgres"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("postgres and initdb not found on PATH or in /usr/lib/postgresql/*/bin")
}

// StartPostgres creates a cluster and starts postgres for the test;
// t.Cleanup stops it and removes its files. A missing PostgreSQL (Debian:
// postgresql) or psql hands the test to [Missing].
func StartPostgres(t testing.TB, o PostgresOptions) *Postgres {
	t.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		Missing(t, pgPeer, err.Error())
		return nil
	}
	if _, err := os.Stat(filepath.Join(bin, "psql")); err != nil {
		if _, err := exec.LookPath("psql"); err != nil {
			Missing(t, pgPeer, "psql not found (Debian: postgresql-client)")
			return nil
		}
	}
	p := &Postgres{Addr: o.Addr, Bin: bin, done: make(chan struct{})}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, pgPeer, "running as root and there is no postgres user to run the server as")
			return nil
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.uid, p.gid, p.asUser = uint32(uid), uint32(gid), true
	}
	// Not under t.TempDir: its parents are private to root, and the
	// server's user must reach its files.
	p.Dir, err = os.MkdirTemp("", "gmsa-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(p.Dir) })
	if err := p.setup(o); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if err := p.start(); err != nil {
		t.Fatalf("postgres: %v\n%s", err, tail(filepath.Join(p.Dir, "postgres.log"), 30))
	}
	t.Cleanup(p.stop)
	for _, r := range o.Roles {
		q := "CREATE ROLE " + quoteIdent(r) + " LOGIN"
		if out, err := p.admin(q); err != nil {
			t.Fatalf("postgres: %s: %v\n%s", q, err, out)
		}
	}
	return p
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.Bin, name), args...)
	cmd.Env = append(cleanEnv(), "HOME="+p.Dir, "LC_ALL=C", "KRB5RCACHETYPE=none")
	cmd.Dir = p.Dir
	if p.asUser {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: p.uid, Gid: p.gid}}
	}
	return cmd
}

func (p *Postgres) chown(path string) error {
	if !p.asUser {
		return nil
	}
	return os.Chown(path, int(p.uid), int(p.gid))
}

func (p *Postgres) setup(o PostgresOptions) error {
	if err := p.chown(p.Dir); err != nil {
		return err
	}
	kt, err := os.ReadFile(o.Keytab)
	if err != nil {
		return fmt.Errorf("keytab: %w", err)
	}
	ktPath := filepath.Join(p.Dir, "server.keytab")
	if err := os.WriteFile(ktPath, kt, 0o600); err != nil {
		return err
	}
	if err := p.chown(ktPath); err != nil {
		return err
	}
	data := filepath.Join(p.Dir, "data")
	if out, err := p.command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freeTCPPort(p.Addr)
	if err != nil {
		return err
	}
	p.Port = port
	conf := fmt.Sprintf("\n# gmsa testpeer\nlisten_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\n"+
		"krb_server_keyfile = '%s'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 20\n",
		p.Addr, p.Port, p.Dir, ktPath)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	hba := "local all all trust\n" +
		fmt.Sprintf("host all all 127.0.0.0/8 gss include_realm=0 krb_realm=%s\n", o.Realm)
	return os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600) // still owned by the server's user: rewritten in place
}

func freeTCPPort(addr string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (p *Postgres) start() error {
	logf, err := os.Create(filepath.Join(p.Dir, "postgres.log"))
	if err != nil {
		return err
	}
	cmd := p.command("postgres", "-D", filepath.Join(p.Dir, "data"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	p.cmd = cmd
	go func() {
		cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	deadline := time.Now().Add(pgReadyTimeout)
	for {
		if out, err := p.command("pg_isready", "-h", p.Dir, "-p", strconv.Itoa(p.Port), "-U", "postgres").CombinedOutput(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("not ready after %s: %s", pgReadyTimeout, out)
		}
		select {
		case <-p.done:
			return errors.New("postgres exited at start")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Postgres) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-p.done:
	case <-time.After(pgStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// admin runs SQL as the superuser over the Unix socket (trust).
func (p *Postgres) admin(sql string) (string, error) {
	out, err := p.command("psql", "-X", "-q", "-h", p.Dir, "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-c", sql).CombinedOutput()
	return string(out), err
}

// PSQL returns a psql command that connects over TCP to p as user with
// Kerberos (GSSAPI) authentication: the host name libpq asks a ticket for
// is host (the SPN is postgres/host), the address it connects to p.Addr.
// env is the client's environment (KRB5_CONFIG, KRB5CCNAME); the caller
// runs the command.
func (p *Postgres) PSQL(env []string, host, user string, args ...string) *exec.Cmd {
	conn := fmt.Sprintf("host=%s hostaddr=%s port=%d user=%s dbname=postgres gssencmode=disable", host, p.Addr, p.Port, user)
	psql := filepath.Join(p.Bin, "psql")
	cmd := exec.Command(psql, append([]string{"-X", "-A", "-t", "-d", conn}, args...)...)
	cmd.Env = append(append(cleanEnv(), "PGCONNECT_TIMEOUT=10"), env...)
	return cmd
}

// Log returns the end of the server's log, for failure messages.
func (p *Postgres) Log() string { return tail(filepath.Join(p.Dir, "postgres.log"), 40) }
