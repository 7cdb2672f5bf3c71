package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// serveAPI runs the agent's API on a socket every uid may connect to (the
// API decides who may do what) and returns its path.
func serveAPI(t *testing.T, a *Agent) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gmsad-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gmsad.sock")
	ln, err := Listen(path, 0o666, -1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

// TestAPIHelperProcess is the other uid of TestAPIAuthorization: run as a
// child with GMSA_AGENT_HELPER="socket op id", it calls the API and prints
// "ok" or the HTTP status.
func TestAPIHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv("GMSA_AGENT_HELPER"))
	if len(args) != 3 {
		return // not a helper run
	}
	c := NewClient(args[0])
	ctx := context.Background()
	var err error
	switch args[1] {
	case "create":
		_, err = c.Create(ctx, CreateRequest{ID: args[2], CredentialSpec: json.RawMessage(os.Getenv("GMSA_AGENT_SPEC"))})
	case "show":
		_, err = c.Show(ctx, args[2])
	case "delete":
		err = c.Delete(ctx, args[2])
	case "list":
		var ls []*Status
		ls, err = c.List(ctx)
		if err == nil {
			fmt.Printf("%d leases\n", len(ls))
			return
		}
	}
	var ae *APIError
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.As(err, &ae):
		fmt.Println(ae.Status)
	default:
		fmt.Println("error:", err)
	}
}

// asUser runs the test binary's helper as uid:gid.
func asUser(t *testing.T, bin string, uid, gid int, socket, op, id string, spec []byte) string {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestAPIHelperProcess$")
	cmd.Env = []string{"GMSA_AGENT_HELPER=" + socket + " " + op + " " + id, "GMSA_AGENT_SPEC=" + string(spec)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as %d: %v\n%s", uid, err, out)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return first
}

// TestAPIAuthorization: callers are who SO_PEERCRED says. A uid outside the
// create group may not create; a member may, and owns the files; only the
// creator or root sees, renews or deletes a lease, and another uid gets 404.
func TestAPIAuthorization(t *testing.T) {
	if os.Getuid() != 0 {
		testpeer.Missing(t, "root", "running a second uid needs root")
	}
	tl := startLab(t)
	o := tl.options(t, t.TempDir())
	o.CreateGroup = 5000
	a := newAgent(t, o)
	socket := serveAPI(t, a)

	// A copy of the test binary other uids can execute.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(filepath.Dir(socket), "agent.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	c := NewClient(socket)
	sp := spec(t, "WebApp01")
	if _, err := c.Create(ctx, CreateRequest{ID: "root-lease", CredentialSpec: sp}); err != nil {
		t.Fatal(err)
	}
	const outsider, member, group = 4321, 4322, 5000
	for _, step := range []struct {
		uid, gid  int
		op, id    string
		want      string
		statement string
	}{
		{outsider, outsider, "create", "x-1", "403", "a uid outside the group may not create"},
		{outsider, outsider, "show", "root-lease", "404", "another uid cannot read root's lease"},
		{outsider, outsider, "delete", "root-lease", "404", "another uid cannot delete root's lease"},
		{outsider, outsider, "list", "-", "0 leases", "another uid lists nothing"},
		{member, group, "create", "member-1", "ok", "a member of the create group may create"},
		{member, group, "show", "member-1", "ok", "the creator reads its lease"},
		{outsider, outsider, "show", "member-1", "404", "another uid cannot read it"},
		{outsider, outsider, "delete", "member-1", "404", "another uid cannot delete it"},
		{member, group, "list", "-", "1 leases", "the creator lists its lease only"},
	} {
		if got := asUser(t, bin, step.uid, step.gid, socket, step.op, step.id, sp); got != step.want {
			t.Errorf("%s: uid %d %s %s = %q, want %q", step.statement, step.uid, step.op, step.id, got, step.want)
		}
	}
	st, err := c.Show(ctx, "member-1") // root sees every lease
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(st.Dir, CCacheFile))
	if err != nil {
		t.Fatal(err)
	}
	if u, g := owner(fi); u != member || g != group {
		t.Errorf("the member's lease files belong to %d:%d, want %d:%d", u, g, member, group)
	}
	if got := asUser(t, bin, member, group, socket, "delete", "member-1", sp); got != "ok" {
		t.Errorf("the creator deletes its lease: %q", got)
	}
	if ls, err := c.List(ctx); err != nil || len(ls) != 1 {
		t.Errorf("root lists %d leases (%v), want 1", len(ls), err)
	}
}

// TestAPIRoundTrip: create (201, then 200 when repeated), show, renew,
// metrics and delete through the socket.
func TestAPIRoundTrip(t *testing.T) {
	tl := startLab(t)
	a := newAgent(t, tl.options(t, t.TempDir()))
	socket := serveAPI(t, a)
	c := NewClient(socket)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01")}
	s, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "web-1" || s.Identities[0].Principal != "WebApp01$@CONTOSO.COM" {
		t.Fatalf("created: %+v", s)
	}
	if _, err := c.Create(ctx, req); err != nil {
		t.Fatalf("repeated create: %v", err)
	}
	if _, err := c.Create(ctx, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "LogAgentSvc")}); !errors.Is(err, ErrConflict) {
		t.Fatalf("create under a taken id: %v, want 409", err)
	}
	// An id is a directory name under the lease root: "." and ".." would
	// hand the root or its parent (the socket's directory) to the caller.
	for _, bad := range []string{"bad/id", ".", "..", ".hidden", "-x", strings.Repeat("a", 65)} {
		if _, err := c.Create(ctx, CreateRequest{ID: bad, CredentialSpec: req.CredentialSpec}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("create with id %q: %v, want 400", bad, err)
		}
	}
	r, err := c.Renew(ctx, "web-1")
	if err != nil || !r.Identities[0].End.After(time.Now()) {
		t.Fatalf("renew: %v", err)
	}
	if a.metrics.renewals.Load() != 1 {
		t.Errorf("%d renewals after POST renew", a.metrics.renewals.Load())
	}
	metrics := get(t, c, "/metrics")
	for _, want := range []string{"# TYPE gmsad_leases gauge\ngmsad_leases 1\n", "gmsad_renewals_total 1\n", "gmsad_password_reads_total 1\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	if h := get(t, c, "/healthz"); h != "ok\n" {
		t.Errorf("/healthz = %q", h)
	}
	if err := c.Delete(ctx, "web-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Show(ctx, "web-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("show after delete: %v, want 404", err)
	}
}

func get(t *testing.T, c *Client, path string) string {
	t.Helper()
	resp, err := c.hc.Get("http://gmsad" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return string(b)
}
