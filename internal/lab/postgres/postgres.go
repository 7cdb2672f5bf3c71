// Package postgres starts a PostgreSQL server that authenticates clients
// with Kerberos (pg_hba "gss") against the lab domain, for the quickstart
// and the tests: initdb and postgres run in a fresh directory as a non-root
// user (PostgreSQL refuses root; as root the packaged "postgres" account is
// used), on a given address and a free port, with krb_server_keyfile set to
// a service keytab exported from the lab. It imports nothing else of the
// module, so that the test helpers (internal/testpeer) can use it too.
package postgres

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
	"time"
)

const (
	pgReadyTimeout = 20 * time.Second
	pgStopTimeout  = 10 * time.Second
)

// ErrNoPostgres: the PostgreSQL server or psql is not installed (or, as
// root, there is no postgres account to run it as).
var ErrNoPostgres = errors.New("PostgreSQL is not installed")

// Options configures [Start].
type Options struct {
	// Addr is the address to listen on.
	Addr string
	// Keytab is the service keytab (postgres/HOST@REALM keys); it is copied
	// into the server's directory, readable only by the server's user.
	Keytab []byte
	// Realm is the only realm pg_hba accepts (krb_realm); the role name is
	// the principal without it (include_realm=0).
	Realm string
	// Roles are created with LOGIN once the server runs.
	Roles []string
}

// Postgres is a running PostgreSQL server. Its fields are read-only.
type Postgres struct {
	Dir  string // data/, server.keytab, postgres.log, the Unix socket
	Addr string
	Port int
	Bin  string // the directory of initdb, postgres and psql

	uid, gid uint32
	asUser   bool
	cmd      *exec.Cmd
	done     chan struct{}
}

// BinDir finds the server binaries: on PATH, or Debian's
// /usr/lib/postgresql/<version>/bin (newest first); psql must be there too.
func BinDir() (string, error) {
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
			if _, err := os.Stat(filepath.Join(d, "psql")); err != nil {
				return "", fmt.Errorf("%w: psql not found in %s (Debian: postgresql-client)", ErrNoPostgres, d)
			}
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: postgres and initdb not found on PATH or in /usr/lib/postgresql/*/bin (Debian: postgresql)", ErrNoPostgres)
}

// Start creates a cluster in a new temporary directory and starts
// postgres; Stop stops it and removes its files. A missing PostgreSQL is
// an error wrapping ErrNoPostgres.
func Start(o Options) (*Postgres, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	p := &Postgres{Addr: o.Addr, Bin: bin, done: make(chan struct{})}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("%w: running as root and there is no postgres account to run the server as", ErrNoPostgres)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.uid, p.gid, p.asUser = uint32(uid), uint32(gid), true
	}
	// A directory the server's user can reach (not under a root-private
	// temporary directory).
	if p.Dir, err = os.MkdirTemp("", "gmsa-pg-"); err != nil {
		return nil, err
	}
	if err := p.setup(o); err != nil {
		os.RemoveAll(p.Dir)
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := p.start(); err != nil {
		log := p.Log()
		os.RemoveAll(p.Dir)
		return nil, fmt.Errorf("postgres: %w\n%s", err, log)
	}
	for _, r := range o.Roles {
		q := "CREATE ROLE " + quoteIdent(r) + " LOGIN"
		if out, err := p.Admin(q); err != nil {
			p.Stop()
			return nil, fmt.Errorf("postgres: %s: %w\n%s", q, err, out)
		}
	}
	return p, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// cleanEnv is the environment without Kerberos and LDAP settings, which
// belong to the client, not the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KRB5") || strings.HasPrefix(kv, "LDAP") || strings.HasPrefix(kv, "PG") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.Bin, name), args...)
	cmd.Env = append(cleanEnv(), "HOME="+p.Dir, "LC_ALL=C", "KRB5RCACHETYPE=none")
	cmd.Dir = p.Dir
	if p.asUser {
		runAs(cmd, p.uid, p.gid)
	}
	return cmd
}

func (p *Postgres) chown(path string) error {
	if !p.asUser {
		return nil
	}
	return os.Chown(path, int(p.uid), int(p.gid))
}

func (p *Postgres) setup(o Options) error {
	if err := p.chown(p.Dir); err != nil {
		return err
	}
	ktPath := filepath.Join(p.Dir, "server.keytab")
	if err := os.WriteFile(ktPath, o.Keytab, 0o600); err != nil {
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
	conf := fmt.Sprintf("\n# opengmsa\nlisten_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\n"+
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
	return os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600) // owned by the server's user: rewritten in place
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
			p.stopServer()
			return fmt.Errorf("not ready after %s: %s", pgReadyTimeout, out)
		}
		select {
		case <-p.done:
			return errors.New("postgres exited at start")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Postgres) stopServer() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt) // SIGINT: fast shutdown
	select {
	case <-p.done:
	case <-time.After(pgStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Stop stops the server and removes its files.
func (p *Postgres) Stop() {
	p.stopServer()
	os.RemoveAll(p.Dir)
}

// Admin runs SQL as the superuser over the server's Unix socket (trust).
func (p *Postgres) Admin(sql string) (string, error) {
	out, err := p.command("psql", "-X", "-q", "-h", p.Dir, "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-c", sql).CombinedOutput()
	return string(out), err
}

// PSQLArgs are the command line of a psql that connects over TCP as user
// with Kerberos (GSSAPI): the host name libpq asks a ticket for is host
// (the SPN is postgres/host), the address it connects to p.Addr.
func (p *Postgres) PSQLArgs(host, user string, args ...string) []string {
	conn := fmt.Sprintf("host=%s hostaddr=%s port=%d user=%s dbname=postgres gssencmode=disable", host, p.Addr, p.Port, user)
	return append([]string{filepath.Join(p.Bin, "psql"), "-X", "-A", "-t", "-d", conn}, args...)
}

// Log returns the end of the server's log, for failure messages.
func (p *Postgres) Log() string {
	b, err := os.ReadFile(filepath.Join(p.Dir, "postgres.log"))
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
