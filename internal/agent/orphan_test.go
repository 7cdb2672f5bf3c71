package agent

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestOrphanedLeaseIsCollected: a lease tied to its creating process (as
// `gmsa run` asks) is deleted once the process has been gone for the TTL;
// an untied lease stays, and so does a tied one whose process lives. The
// tie survives a restart of the agent.
func TestOrphanedLeaseIsCollected(t *testing.T) {
	tl := startLab(t)
	o := tl.options(t, t.TempDir())
	o.OrphanTTL = 300 * time.Millisecond
	a := newAgent(t, o)
	ctx := context.Background()
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	sp := spec(t, "WebApp01")
	tied, err := a.Create(ctx, Caller{PID: child.Process.Pid}, CreateRequest{ID: "tied", CredentialSpec: sp, TieToCaller: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, Caller{PID: os.Getpid()}, CreateRequest{ID: "alive", CredentialSpec: sp, TieToCaller: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, root, CreateRequest{ID: "untied", CredentialSpec: sp}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, Caller{PID: 0}, CreateRequest{ID: "nopid", CredentialSpec: sp, TieToCaller: true}); !errorsIs(err, ErrInvalid) {
		t.Fatalf("tieToCaller without a known pid: %v, want ErrInvalid", err)
	}
	a.Close()
	a = newAgent(t, o) // the tie is in the state database

	child.Process.Kill()
	child.Wait()
	runCtx, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	for {
		if _, err := a.Show(root, "tied"); errorsIs(err, ErrNotFound) {
			break
		}
		if runCtx.Err() != nil {
			t.Fatal("the orphaned lease was not collected within 2 s (TTL 0.3 s)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	if _, err := os.Stat(tied.Dir); !os.IsNotExist(err) {
		t.Errorf("the orphaned lease's directory is still there: %v", err)
	}
	for _, id := range []string{"alive", "untied"} {
		if _, err := a.Show(root, id); err != nil {
			t.Errorf("lease %s: %v", id, err)
		}
	}
}
