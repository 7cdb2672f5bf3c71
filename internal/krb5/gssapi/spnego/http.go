package spnego

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
)

// HTTP Negotiate, RFC 4559. This file is the I/O-free core: it turns
// header values into header values. The net/http adapters (a middleware
// and a RoundTripper) sit on top of it.

// AcceptorFactory returns a fresh Kerberos acceptor for one request.
type AcceptorFactory func() (*gssapi.Acceptor, error)

// InitiatorFactory returns a fresh Kerberos initiator for a host ("web.contoso.com").
type InitiatorFactory func(host string) (*gssapi.Initiator, error)

// ErrNoNegotiate means the request carries no "Authorization: Negotiate" header.
var ErrNoNegotiate = errors.New("spnego: no Negotiate authorization")

// ParseHeader returns the token of an "Authorization: Negotiate <base64>"
// or "WWW-Authenticate: Negotiate <base64>" value. A bare "Negotiate"
// gives a nil token.
func ParseHeader(v string) ([]byte, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, "Negotiate") {
		return nil, ErrNoNegotiate
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return nil, nil
	}
	tok, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: Negotiate token is not base64", ErrMalformed)
	}
	return tok, nil
}

// Header formats a token as "Negotiate <base64>".
func Header(tok []byte) string {
	if len(tok) == 0 {
		return "Negotiate"
	}
	return "Negotiate " + base64.StdEncoding.EncodeToString(tok)
}

// Result is the outcome of [Authenticate]: the status code to answer, the
// WWW-Authenticate value to set (if not empty), and on success the
// established acceptor.
type Result struct {
	Status          int // 200 (authenticated: call the protected handler), 401 or 400
	WWWAuthenticate string
	Acceptor        *Acceptor // set when Status is 200
	Err             error     // why the request was refused, for the log (not for the client)
}

// Client returns the authenticated principal, "alice@CONTOSO.COM".
func (r Result) Client() string {
	if r.Acceptor == nil {
		return ""
	}
	return r.Acceptor.Kerberos().Client()
}

// Authenticate handles one request's Authorization value. Kerberos
// completes in one round trip, so a request either authenticates (200,
// with the mutual-authentication token in WWW-Authenticate) or is
// answered 401 "WWW-Authenticate: Negotiate" (no or a failed header) or
// 400 (an undecodable one). Multi-leg SPNEGO (Kerberos not the first
// choice) would need connection state and is refused with 401.
func Authenticate(authorization string, newAcceptor AcceptorFactory) Result {
	tok, err := ParseHeader(authorization)
	if err != nil || tok == nil {
		if err == nil {
			err = ErrNoNegotiate
		}
		if errors.Is(err, ErrMalformed) {
			return Result{Status: 400, Err: err}
		}
		return Result{Status: 401, WWWAuthenticate: "Negotiate", Err: err}
	}
	krb, err := newAcceptor()
	if err != nil {
		return Result{Status: 401, WWWAuthenticate: "Negotiate", Err: err}
	}
	a := NewAcceptor(krb)
	out, done, err := a.Step(tok)
	if err != nil {
		status := 401
		if errors.Is(err, ErrMalformed) || errors.Is(err, gssapi.ErrMalformed) {
			status = 400
		}
		return Result{Status: status, WWWAuthenticate: "Negotiate", Err: err}
	}
	if !done {
		return Result{Status: 401, WWWAuthenticate: "Negotiate", Err: fmt.Errorf("%w: multi-leg SPNEGO over HTTP is not supported", ErrNoCommonMech)}
	}
	r := Result{Status: 200, Acceptor: a}
	if out != nil {
		r.WWWAuthenticate = Header(out)
	}
	return r
}
