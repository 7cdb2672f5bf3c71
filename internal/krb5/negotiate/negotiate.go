// Package negotiate puts HTTP Negotiate (RFC 4559, SPNEGO over Kerberos) on
// net/http: a middleware for acceptors — the lab's demo service, or any Go
// service that accepts a gMSA's tickets — and a RoundTripper for clients.
// The protocol work is in the pure gssapi/spnego package; this package only
// moves its tokens in and out of HTTP headers, which is why it sits in the
// service layer (it imports net/http).
package negotiate

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/spnego"
)

type principalKey struct{}

// Principal returns the authenticated client ("alice@CONTOSO.COM") that
// Middleware put in the request's context.
func Principal(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(principalKey{}).(string)
	return p, ok
}

// Middleware answers 401 with "WWW-Authenticate: Negotiate" until a request
// carries a Kerberos token an acceptor from newAcceptor accepts; then it
// calls next with the client principal in the request context (see
// [Principal]) and the mutual-authentication token in WWW-Authenticate.
func Middleware(next http.Handler, newAcceptor spnego.AcceptorFactory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := spnego.Authenticate(r.Header.Get("Authorization"), newAcceptor)
		if res.WWWAuthenticate != "" {
			w.Header().Set("WWW-Authenticate", res.WWWAuthenticate)
		}
		if res.Status != http.StatusOK {
			http.Error(w, http.StatusText(res.Status), res.Status)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, res.Client())))
	})
}

// RoundTripper adds "Authorization: Negotiate" to every request and, when
// the initiator asked for mutual authentication, verifies the server's
// token in the answer: a server that cannot prove its identity is an error.
type RoundTripper struct {
	Next         http.RoundTripper // default http.DefaultTransport
	NewInitiator spnego.InitiatorFactory
}

// RoundTrip implements http.RoundTripper.
func (rt RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	next := rt.Next
	if next == nil {
		next = http.DefaultTransport
	}
	krb, err := rt.NewInitiator(req.URL.Hostname())
	if err != nil {
		return nil, err
	}
	ini := spnego.NewInitiator(krb)
	tok, _, err := ini.Step(nil)
	if err != nil {
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.Header.Set("Authorization", spnego.Header(tok))
	resp, err := next.RoundTrip(r2)
	if err != nil || resp.StatusCode == http.StatusUnauthorized {
		return resp, err
	}
	rep, err := spnego.ParseHeader(resp.Header.Get("WWW-Authenticate"))
	if err == nil && rep != nil {
		_, _, err = ini.Step(rep)
	} else if krb.Flags()&gssapi.FlagMutual != 0 {
		err = errors.New("server did not prove its identity (no Negotiate token in the answer)")
	}
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("negotiate: mutual authentication with %s: %w", req.URL.Host, err)
	}
	return resp, nil
}
