package negotiate

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
)

// The exchanges with real Kerberos tokens (curl --negotiate, MIT's
// initiator, our RoundTripper) are in internal/krb5/gssapi's tests; these
// check the HTTP framing around them.

func TestMiddlewareAsksForNegotiateAndRefusesGarbage(t *testing.T) {
	t.Parallel()
	called := false
	h := Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }),
		func() (*gssapi.Acceptor, error) { return nil, errors.New("no acceptor in this test") })
	for _, c := range []struct {
		name, auth string
		want       int
	}{
		{"a request without credentials gets 401 and the challenge", "", http.StatusUnauthorized},
		{"a Basic header gets 401", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"a Negotiate token that is not base64 is a bad request", "Negotiate !!!", http.StatusBadRequest},
		{"a well-formed token with no acceptor available gets 401", "Negotiate YIIBAA==", http.StatusUnauthorized},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.want)
		}
		if rec.Code == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Negotiate") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, rec.Header().Get("WWW-Authenticate"))
		}
	}
	if called {
		t.Fatal("the protected handler ran without authentication")
	}
	if _, ok := Principal(httptest.NewRequest("GET", "/", nil).Context()); ok {
		t.Fatal("a principal in a bare context")
	}
}
