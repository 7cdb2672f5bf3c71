package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLoopRenewsAtHalfLife: with 4-second TGTs the loop renews each at
// about half-life (TGS renewal, not a new AS exchange) and every lease
// receives the renewed ticket.
func TestLoopRenewsAtHalfLife(t *testing.T) {
	tl := startLab(t)
	o := tl.options(t, t.TempDir())
	o.TicketLifetime, o.RenewLifetime = 4*time.Second, time.Hour
	o.Policy = Policy{Margin: 500 * time.Millisecond, MinBackoff: 100 * time.Millisecond}
	a := newAgent(t, o)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	l, err := a.Create(ctx, root, CreateRequest{CredentialSpec: spec(t, "WebApp01")})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := a.Show(root, l.ID)
	if life := st.Identities[0].End.Sub(st.Identities[0].Start); life > 5*time.Second {
		t.Fatalf("the lab issued a %v TGT; the test needs the 4 s asked for", life)
	}
	firstEnd := st.Identities[0].End
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(6 * time.Second)
	for a.metrics.renewals.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done
	if n := a.metrics.renewals.Load(); n < 2 {
		t.Fatalf("%d renewals in 6 s of 4 s tickets", n)
	}
	if n := a.metrics.logins.Load(); n != 1 {
		t.Errorf("%d AS exchanges; renewals should have kept the first TGT alive", n)
	}
	st, _ = a.Show(root, l.ID)
	if !st.Identities[0].End.After(firstEnd) {
		t.Errorf("the TGT's end did not move: %v", st.Identities[0].End)
	}
	b, _ := os.ReadFile(filepath.Join(l.Dir, CCacheFile))
	if len(b) == 0 {
		t.Fatal("no ccache")
	}
}

// TestFailoverAndOutage: a dead DC listed first is skipped (LDAP and KDC);
// when no DC answers, the loop backs off, records the error, and the
// lease's files stay in place.
func TestFailoverAndOutage(t *testing.T) {
	tl := startLab(t)
	o := tl.options(t, t.TempDir())
	dead := DC{LDAP: "ldaps://" + tl.info.Listen + ":1", KDC: tl.info.Listen + ":1"}
	o.DCs = append([]DC{dead}, o.DCs...)
	a := newAgent(t, o)
	ctx := context.Background()
	l, err := a.Create(ctx, root, CreateRequest{ID: "web-1", CredentialSpec: spec(t, "WebApp01")})
	if err != nil {
		t.Fatalf("create with the first DC down: %v", err)
	}
	before := tgtOf(t, l.Dir)
	a.Close()

	o.DCs = []DC{dead}
	o.Policy = Policy{MinBackoff: 100 * time.Millisecond}
	a = newAgent(t, o)
	runCtx, stop := context.WithTimeout(ctx, 700*time.Millisecond)
	defer stop()
	if err := a.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	if f := a.metrics.failures.Load(); f < 2 || f > 6 {
		t.Errorf("%d failed attempts in 0.7 s with a 0.1 s doubling backoff; want 2 to 6", f)
	}
	if after := tgtOf(t, l.Dir); after != before {
		t.Error("the lease's ccache changed while no DC answered")
	}
	st, err := a.Show(root, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Identities[0].LastError == "" {
		t.Error("the status carries no error")
	}
}
