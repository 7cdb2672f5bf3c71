package kdc

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// recording is a client.Transport that keeps every request it carries.
type recording struct {
	handleTransport
	reqs [][]byte
}

func (r *recording) RoundTrip(ctx context.Context, realm string, b []byte) ([]byte, error) {
	r.reqs = append(r.reqs, append([]byte(nil), b...))
	return r.handleTransport.RoundTrip(ctx, realm, b)
}

// realRequests are the requests of a whole session of our client: AS-REQ
// without and with pre-authentication, TGS-REQ, and a renewal.
func realRequests(t testing.TB, k *KDC) [][]byte {
	t.Helper()
	rec := &recording{handleTransport: handleTransport{k}}
	c := &client.Client{Transport: rec, Now: time.Now, Rand: rand.Reader}
	tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, time.Hour*24)
	if _, err := c.ServiceTicket(context.Background(), tgt, "http/mysite.contoso.com", client.TGSOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Renew(context.Background(), tgt); err != nil {
		t.Fatal(err)
	}
	return rec.reqs
}

// panicCatcher is a slog handler that records the "internal error" lines
// Handle writes when it recovers from a panic.
type panicCatcher struct {
	mu     sync.Mutex
	panics []string
}

func (h *panicCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicCatcher) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.mu.Lock()
		h.panics = append(h.panics, r.Message)
		r.Attrs(func(a slog.Attr) bool { h.panics = append(h.panics, a.String()); return true })
		h.mu.Unlock()
	}
	return nil
}
func (h *panicCatcher) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicCatcher) WithGroup(string) slog.Handler      { return h }

// FuzzHandle feeds Handle arbitrary bytes, seeded with real requests. It
// must never panic (Handle recovers, so the log is watched), and whatever it
// answers is a KRB-ERROR or a KDC reply.
func FuzzHandle(f *testing.F) {
	dir := newTestDir(f)
	catcher := &panicCatcher{}
	k := &KDC{Realm: testRealm, Backend: dir, Now: time.Now, Logger: slog.New(catcher)}
	seeds := realRequests(f, k)
	if len(seeds) < 4 {
		f.Fatalf("only %d seed requests", len(seeds))
	}
	seeds = append(seeds, mitRequests(f)...)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{0x6a, 0x00})
	f.Add([]byte{0x6c, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		out := k.Handle(context.Background(), b, nil)
		catcher.mu.Lock()
		p := catcher.panics
		catcher.panics = nil
		catcher.mu.Unlock()
		if len(p) > 0 {
			t.Fatalf("Handle logged an internal error: %v", p)
		}
		if out == nil {
			if _, err := msg.Peek(b); err == nil {
				t.Fatalf("no answer to a message with an APPLICATION tag")
			}
			return
		}
		m, err := msg.ParseMessage(out)
		if err != nil {
			t.Fatalf("the answer does not decode: %v", err)
		}
		switch m.(type) {
		case *msg.KRBError, *msg.KDCRep:
		default:
			t.Fatalf("the answer is a %T", m)
		}
	})
}

// mitRequests are the requests of MIT's kinit (password, renewable,
// forwardable), kvno and kinit -R against a served KDC, as received over
// UDP (all of them: udp_preference_limit is raised to MIT's maximum); none
// when the MIT tools are absent, and the fuzz target then runs on our
// client's requests only.
func mitRequests(f *testing.F) [][]byte {
	bins := map[string]string{}
	for _, n := range []string{"kinit", "kvno"} {
		p, err := exec.LookPath(n)
		if err != nil {
			return nil
		}
		bins[n] = p
	}
	s := serve(f, nil)
	env := append(os.Environ(), "KRB5_CONFIG="+s.krb5conf(f, 32700), "KRB5CCNAME=FILE:"+filepath.Join(f.TempDir(), "cc"))
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{adminPassword + "\n", []string{"kinit", "-r", "1d", "-f", "Administrator@" + testRealm}},
		{"", []string{"kvno", "http/mysite.contoso.com@" + testRealm}},
		{"", []string{"kinit", "-R"}},
	} {
		cmd := exec.Command(bins[c.args[0]], c.args[1:]...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(c.stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			f.Fatalf("%v: %v\n%s", c.args, err, out)
		}
	}
	reqs := s.udp.requests()
	if len(reqs) < 4 {
		f.Fatalf("MIT sent only %d requests", len(reqs))
	}
	return reqs
}
