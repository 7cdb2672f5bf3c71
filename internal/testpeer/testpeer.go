// Package testpeer lets tests that need a real peer (MIT Kerberos, Samba,
// OpenLDAP tools, runc, envtest) find it, and decides what happens when it is
// absent: the test is skipped with the peer's name, or — when the
// environment sets GMSA_REQUIRE_PEERS=1, as CI does — it fails, so that
// nothing can silently skip in CI.
//
// Peer-backed packages must not collide when `go test` runs packages in
// parallel: each uses its own loopback address, handed out by [Loopback].
package testpeer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// EnvRequire is the environment variable that turns a missing peer from a
// skip into a failure.
const EnvRequire = "GMSA_REQUIRE_PEERS"

// Required reports whether missing peers fail tests instead of skipping them.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Missing stops the test because peer is not available: it skips, or fails
// under GMSA_REQUIRE_PEERS=1. reason says what was looked for and how to get
// it (usually "run make peers").
func Missing(t testing.TB, peer, reason string) {
	t.Helper()
	msg := fmt.Sprintf("peer %s unavailable: %s (install with: make peers)", peer, reason)
	if Required() {
		t.Fatalf("%s; %s=1 forbids skipping", msg, EnvRequire)
	}
	t.Skip(msg)
}

// UnavailableError says that a peer cannot be started on this machine. It is
// what the non-test entry points (such as [LaunchSamba], for TestMain) return,
// so that the tests that need the peer can hand it to [Check] later.
type UnavailableError struct {
	Peer   string // e.g. "samba"
	Reason string // what is missing, e.g. "samba 4.17.12 is older than 4.21"
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("peer %s unavailable: %s", e.Peer, e.Reason)
}

// Check stops the test when err is not nil: an [*UnavailableError] goes to
// [Missing] (skip, or fail under GMSA_REQUIRE_PEERS=1), any other error fails
// the test.
func Check(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var u *UnavailableError
	if errors.As(err, &u) {
		Missing(t, u.Peer, u.Reason)
		return
	}
	t.Fatal(err)
}

// Binaries returns the absolute paths of the named programs, in order. If one
// is not on PATH (or in the sbin directories that Debian packages use for
// daemons), the test is handed to [Missing] under the peer's name.
func Binaries(t testing.TB, peer string, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := lookPath(name)
		if err != nil {
			Missing(t, peer, fmt.Sprintf("%q not found on PATH or in /usr/sbin, /sbin", name))
			return nil
		}
		paths[i] = p
	}
	return paths
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// Root stops the test (skip, or fail under GMSA_REQUIRE_PEERS=1) unless the
// process runs as root — for peers such as a Samba DC that need it.
func Root(t testing.TB, peer string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, peer, "needs root")
	}
}

// Loopback returns the loopback address reserved for a peer-backed package.
// The registry below is the single place that hands them out, so that two
// packages never start peers on the same address while `go test ./...`
// runs packages in parallel. Add a line when a new package needs one.
func Loopback(pkg string) string {
	addr, ok := loopbacks[pkg]
	if !ok {
		panic(fmt.Sprintf("testpeer: no loopback address registered for package %q", pkg))
	}
	return addr
}

var loopbacks = map[string]string{
	"internal/managedpassword":   "127.0.0.2",
	"internal/krb5/client":       "127.0.0.3",
	"internal/krb5/client/bench": "127.0.0.14",
	"internal/directory":         "127.0.0.4",
	"internal/directory/dns":     "127.0.0.18",
	"internal/lab":               "127.0.0.5",
	"internal/lab/failover":      "127.0.0.27",
	"internal/lab/postgres":      "127.0.0.35",
	"internal/lab/samba":         "127.0.0.32",
	"internal/agent":             "127.0.0.6",
	"internal/cli":               "127.0.0.7",
	"test":                       "127.0.0.8",
	"internal/testpeer":          "127.0.0.9",
	"internal/krb5/keytab":       "127.0.0.10",
	"internal/krb5/ccache":       "127.0.0.11",
	"internal/testpeer/mit":      "127.0.0.12",
	"internal/krb5/transport":    "127.0.0.13",
	"internal/krb5/gssapi":       "127.0.0.15",
	"internal/cli/samba":         "127.0.0.16",
	"internal/cli/rootkey":       "127.0.0.17",
	"internal/cli/account":       "127.0.0.19",
	"internal/cli/write":         "127.0.0.20",
	"internal/lab/labdns":        "127.0.0.25",
	"internal/lab/ldapserver":    "127.0.0.21",
	"internal/cli/computer":      "127.0.0.22",
	"internal/cli/lab":           "127.0.0.26",
	"internal/cli/quickstart":    "127.0.0.33",
	"internal/lab/kdc":           "127.0.0.24",
	"internal/cli/doctor":        "127.0.0.31",
	"internal/lab/demo":          "127.0.0.28",
	"internal/cli/labdemo":       "127.0.0.29",
	"internal/cli/run":           "127.0.0.30",
	"internal/agent/samba":       "127.0.0.34",
}
