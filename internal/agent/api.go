package agent

// The local API, HTTP/JSON over a Unix socket (versioned /v1):
//
//	POST   /v1/leases              create (CreateRequest) → 201 Status, 200 when it existed
//	GET    /v1/leases              the caller's leases (root: all) → []Status
//	GET    /v1/leases/{id}         one lease → Status
//	DELETE /v1/leases/{id}         delete → 204
//	POST   /v1/leases/{id}/renew   renew its TGTs now → Status
//	GET    /healthz                "ok"
//	GET    /metrics                Prometheus text exposition format
//
// Errors are {"error": "..."} with 400 (bad request), 403 (the caller may
// not create), 404 (no such lease, or another user's), 409 (the id is taken
// by another request) or 502 (no DC or KDC gave what was needed).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

type callerKey struct{}

// callerOf returns the peer credentials the connection was accepted with.
func callerOf(r *http.Request) (Caller, bool) {
	c, ok := r.Context().Value(callerKey{}).(Caller)
	return c, ok
}

// maxRequest bounds a request body: a credential spec is a few kilobytes.
const maxRequest = 1 << 20

// Handler returns the API. Each request must carry the caller that Serve
// puts in its context from SO_PEERCRED; without one only /healthz answers.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /metrics", a.serveMetrics)
	mux.HandleFunc("POST /v1/leases", a.withCaller(func(w http.ResponseWriter, r *http.Request, c Caller) {
		var req CreateRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, maxRequest))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, fmt.Errorf("%w: request body: %v", ErrInvalid, err))
			return
		}
		a.mu.Lock()
		_, existed := a.leases[req.ID]
		a.mu.Unlock()
		l, err := a.Create(r.Context(), c, req)
		if err != nil {
			writeError(w, err)
			return
		}
		code := http.StatusCreated
		if existed && req.ID != "" {
			code = http.StatusOK
		}
		writeJSON(w, code, a.status(l))
	}))
	mux.HandleFunc("GET /v1/leases", a.withCaller(func(w http.ResponseWriter, _ *http.Request, c Caller) {
		writeJSON(w, http.StatusOK, a.List(c))
	}))
	mux.HandleFunc("GET /v1/leases/{id}", a.withCaller(func(w http.ResponseWriter, r *http.Request, c Caller) {
		s, err := a.Show(c, r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s)
	}))
	mux.HandleFunc("DELETE /v1/leases/{id}", a.withCaller(func(w http.ResponseWriter, r *http.Request, c Caller) {
		if err := a.Delete(c, r.PathValue("id")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST /v1/leases/{id}/renew", a.withCaller(func(w http.ResponseWriter, r *http.Request, c Caller) {
		s, err := a.Renew(r.Context(), c, r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s)
	}))
	return mux
}

func (a *Agent) withCaller(h func(http.ResponseWriter, *http.Request, Caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := callerOf(r)
		if !ok {
			writeError(w, fmt.Errorf("%w: the caller's credentials are unknown (SO_PEERCRED)", ErrForbidden))
			return
		}
		h(w, r, c)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// statusOf maps the package's errors to HTTP status codes.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	}
	return http.StatusBadGateway
}

func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
}

// serveMetrics writes the counters in the Prometheus text exposition
// format (version 0.0.4).
func (a *Agent) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	leases, ids := len(a.leases), len(a.ids)
	a.mu.Unlock()
	m := &a.metrics
	var b strings.Builder
	for _, v := range []struct {
		name, typ, help string
		value           int64
	}{
		{"gmsad_leases", "gauge", "Leases held.", int64(leases)},
		{"gmsad_identities", "gauge", "gMSAs held in memory (one TGT each).", int64(ids)},
		{"gmsad_leases_created_total", "counter", "Leases created.", m.leasesCreated.Load()},
		{"gmsad_password_reads_total", "counter", "msDS-ManagedPassword reads.", m.passwordReads.Load()},
		{"gmsad_key_derivations_total", "counter", "Kerberos key derivations from gMSA passwords.", m.keyDerivations.Load()},
		{"gmsad_as_exchanges_total", "counter", "AS exchanges (TGTs obtained) for gMSAs.", m.logins.Load()},
		{"gmsad_renewals_total", "counter", "TGT renewals.", m.renewals.Load()},
		{"gmsad_failures_total", "counter", "Failed password reads, AS exchanges and renewals.", m.failures.Load()},
	} {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", v.name, v.help, v.name, v.typ, v.name, v.value)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	io.WriteString(w, b.String())
}

// Listen makes the API's Unix socket at path (a stale one is replaced)
// with mode perm, group gid when not -1.
func Listen(path string, perm os.FileMode, gid int) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	err = os.Chmod(path, perm)
	if err == nil && gid != -1 {
		err = os.Chown(path, -1, gid)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Serve answers the API on ln until ctx ends. Every connection is
// identified by its peer credentials (SO_PEERCRED) when accepted.
func (a *Agent) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			caller, err := peerCredentials(c)
			if err != nil {
				a.log.Warn("peer credentials", "err", err)
				return ctx
			}
			return context.WithValue(ctx, callerKey{}, caller)
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-errc
		return nil
	}
}
