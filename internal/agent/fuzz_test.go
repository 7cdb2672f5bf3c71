package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzCreateRequest feeds API request bodies (untrusted: any local user
// may connect) through the handler's decoding and the lease checks. An
// accepted request must name a lease directory directly under the lease
// root, owned by the caller, with a mode the API allows.
func FuzzCreateRequest(f *testing.F) {
	good, _ := json.Marshal(CreateRequest{ID: "web-1", CredentialSpec: spec(f, "WebApp01", "LogAgentSvc")})
	f.Add(good)
	f.Add([]byte(`{"id":"../etc","credentialSpec":{}}`))
	f.Add([]byte(`{"credentialSpec":"raw"}`))
	f.Add([]byte(`{"id":"x","credentialSpec":` + string(spec(f, "WebApp01")) + `,"uid":0,"gid":0,"fileMode":420}`))
	f.Add([]byte(`{"id":"x","credentialSpec":` + string(spec(f, "WebApp01")) + `,"fileMode":416,"keytab":true}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Add([]byte(`[]`))
	a := &Agent{opt: Options{Domain: "contoso.com", LeaseRoot: "/run/gmsad/leases", Now: func() time.Time { return time.Unix(0, 0) },
		Rand: bytes.NewReader(make([]byte, 1<<20)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	caller := Caller{UID: 1000, GID: 1000}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CreateRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil {
			return
		}
		a.opt.Rand = bytes.NewReader(make([]byte, 64))
		l, err := a.newLease(caller, req)
		if err != nil {
			if l != nil {
				t.Fatal("a lease returned with an error")
			}
			return
		}
		if filepath.Dir(l.Dir) != a.opt.LeaseRoot || strings.Contains(l.ID, "/") || l.ID == ".." || l.ID == "." {
			t.Fatalf("lease directory %q escapes the lease root", l.Dir)
		}
		if l.UID != caller.UID || l.GID != caller.GID {
			t.Fatalf("a non-root caller got a lease owned by %d:%d", l.UID, l.GID)
		}
		if l.FileMode != 0o600 && l.FileMode != 0o640 {
			t.Fatalf("file mode %#o", l.FileMode)
		}
		if len(l.Accounts) == 0 {
			t.Fatal("a lease without accounts")
		}
	})
}
