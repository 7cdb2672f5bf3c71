package testpeer

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/opengmsa/gmsa/internal/lab/postgres"
)

const pgPeer = "postgresql"

// PostgresOptions configures [StartPostgres].
type PostgresOptions struct {
	// Addr is the loopback address to listen on, from [Loopback].
	Addr string
	// Keytab is the path of the service keytab (postgres/HOST@REALM keys).
	Keytab string
	// Realm is the only realm pg_hba accepts; roles are principals without
	// it.
	Realm string
	// Roles are created with LOGIN before the test connects.
	Roles []string
}

// Postgres is a running PostgreSQL server for one test (postgres.Postgres,
// the launcher the quickstart uses too).
type Postgres struct{ *postgres.Postgres }

// StartPostgres creates a cluster and starts postgres for the test with
// pg_hba "gss" authentication; t.Cleanup stops it and removes its files. A
// missing PostgreSQL (Debian: postgresql) hands the test to [Missing].
func StartPostgres(t testing.TB, o PostgresOptions) *Postgres {
	t.Helper()
	kt, err := os.ReadFile(o.Keytab)
	if err != nil {
		t.Fatal(err)
	}
	p, err := postgres.Start(postgres.Options{Addr: o.Addr, Keytab: kt, Realm: o.Realm, Roles: o.Roles})
	if errors.Is(err, postgres.ErrNoPostgres) {
		Missing(t, pgPeer, err.Error())
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &Postgres{p}
}

// PSQL returns a psql command that connects over TCP to p as user with
// Kerberos: the SPN is postgres/host, the address p.Addr. env is the
// client's environment (KRB5_CONFIG, KRB5CCNAME); the caller runs it.
func (p *Postgres) PSQL(env []string, host, user string, args ...string) *exec.Cmd {
	argv := p.PSQLArgs(host, user, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(cleanEnv(), "PGCONNECT_TIMEOUT=10"), env...)
	return cmd
}
