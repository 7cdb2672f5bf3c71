package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/spnego"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
	"github.com/opengmsa/gmsa/internal/krb5/negotiate"
)

// Config configures the demo service.
type Config struct {
	// SPN is the service principal tickets must be for,
	// "http/mysite.contoso.com" (a realm may follow "@"); required.
	SPN string
	// Keytab holds the SPN's keys; required.
	Keytab *keytab.Keytab
	// Now is the clock (default time.Now); Rand the randomness of the
	// acceptor (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
	// Logger receives one line per request (default: discard).
	Logger *slog.Logger
}

// Identity is the answer to an authenticated request.
type Identity struct {
	// Principal is DOMAIN\name: the PAC's NetBIOS logon domain and the
	// account name as the KDC stored it ("CONTOSO\WebApp01$").
	Principal string `json:"principal"`
	// Kerberos is the ticket's client principal, "WebApp01$@CONTOSO.COM".
	Kerberos string `json:"kerberos"`
	// Service is the principal the ticket was issued for.
	Service   string   `json:"service"`
	UserSID   string   `json:"user_sid,omitempty"`
	GroupSIDs []string `json:"group_sids"`
	// Expires is the ticket's end time; TimeLeft the time until then.
	Expires         time.Time `json:"expires"`
	TimeLeft        string    `json:"time_left"`
	TimeLeftSeconds int64     `json:"time_left_seconds"`
}

// Text is the plain-text form of the answer.
func (id *Identity) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello, %s\n", id.Principal)
	fmt.Fprintf(&b, "Kerberos principal: %s\n", id.Kerberos)
	fmt.Fprintf(&b, "Service principal: %s\n", id.Service)
	if id.UserSID != "" {
		fmt.Fprintf(&b, "User SID: %s\n", id.UserSID)
	}
	fmt.Fprintf(&b, "Group SIDs:\n")
	for _, g := range id.GroupSIDs {
		fmt.Fprintf(&b, "  %s\n", g)
	}
	fmt.Fprintf(&b, "Ticket expires: %s (%s left)\n", id.Expires.UTC().Format(time.RFC3339), id.TimeLeft)
	return b.String()
}

func (c *Config) check() error {
	if c.SPN == "" {
		return errors.New("demo service: the SPN is required (http/mysite.contoso.com)")
	}
	if _, err := keytab.ParsePrincipal(c.SPN); err != nil {
		return fmt.Errorf("demo service: SPN %q: %w", c.SPN, err)
	}
	if c.Keytab == nil {
		return errors.New("demo service: a keytab is required")
	}
	if _, err := c.Keytab.Find(c.SPN, "", 0, 0); err != nil {
		return fmt.Errorf("demo service: the keytab has no key for %s", c.SPN)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Handler returns the demo service's HTTP handler: every path answers 401
// "WWW-Authenticate: Negotiate" without a valid ticket for cfg.SPN, and
// the authenticated Identity with one.
func Handler(cfg Config) (http.Handler, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// negotiate.Middleware hands the handler only the client's name;
		// the acceptor it created, kept here, gives the PAC.
		var acc *gssapi.Acceptor
		newAcceptor := func() (*gssapi.Acceptor, error) {
			a, err := gssapi.NewAcceptor(gssapi.AcceptorConfig{Keytab: cfg.Keytab, Service: cfg.SPN, Now: cfg.Now, Rand: cfg.Rand})
			acc = a
			return a, err
		}
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := identify(&cfg, acc, r.Header.Get("Authorization"))
			if err != nil {
				cfg.Logger.Warn("demo: authenticated request refused", "client", acc.Client(), "err", err)
				http.Error(w, "the ticket's PAC does not verify", http.StatusForbidden)
				return
			}
			cfg.Logger.Info("demo: authenticated", "principal", id.Principal, "kerberos", id.Kerberos, "path", r.URL.Path)
			if wantsJSON(r) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(id)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, id.Text())
		})
		negotiate.Middleware(inner, newAcceptor).ServeHTTP(w, r)
		if acc == nil || acc.Client() == "" {
			cfg.Logger.Debug("demo: unauthenticated request", "path", r.URL.Path, "remote", r.RemoteAddr)
		}
	}), nil
}

func wantsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
				return true
			}
		}
	}
	return false
}

// identify builds the answer for an established acceptor: the ticket's end
// time and the PAC's identity, trusted once its server signature verifies
// with the key that opened the ticket.
func identify(cfg *Config, acc *gssapi.Acceptor, authorization string) (*Identity, error) {
	id := &Identity{Kerberos: acc.Client(), Service: acc.Service(), GroupSIDs: []string{}}
	name, realm := acc.ClientName()
	id.Principal = realm + `\` + name.String()

	// The acceptor does not export the ticket's times: open the ticket
	// again (it did, so the key is there) to read them.
	tok, err := spnego.ParseHeader(authorization)
	if err != nil {
		return nil, err
	}
	if init, err := spnego.ParseNegTokenInit(tok); err == nil {
		tok = init.MechToken
	}
	req, err := gssapi.ParseAPReqToken(tok)
	if err != nil {
		return nil, err
	}
	tkt := &req.Ticket
	var kvno uint32
	if tkt.EncPart.KVNO != nil {
		kvno = *tkt.EncPart.KVNO
	}
	ent, err := cfg.Keytab.Find(tkt.SName.String(), tkt.Realm, kvno, tkt.EncPart.EType)
	if err != nil {
		return nil, err
	}
	enc, err := tkt.Decrypt(ent.Key)
	if err != nil {
		return nil, err
	}
	id.Expires = enc.EndTime.UTC()
	left := enc.EndTime.Sub(cfg.Now()).Truncate(time.Second)
	if left < 0 {
		left = 0
	}
	id.TimeLeft, id.TimeLeftSeconds = left.String(), int64(left/time.Second)

	raw, err := enc.AuthorizationData.PAC()
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return id, nil // a ticket without a PAC (not from an AD KDC): the Kerberos name only
	}
	if err := pac.Verify(raw, ent.Key); err != nil {
		return nil, err
	}
	p, err := pac.Parse(raw)
	if err != nil {
		return nil, err
	}
	if li := p.LogonInfo; li != nil {
		id.Principal = li.LogonDomainName + `\` + li.EffectiveName
		id.UserSID = li.UserSID().String()
		for _, g := range li.GroupSIDs() {
			id.GroupSIDs = append(id.GroupSIDs, g.String())
		}
	}
	return id, nil
}

// Serve answers on l until ctx is cancelled, then shuts down gracefully
// (requests in flight get up to five seconds).
func Serve(ctx context.Context, l net.Listener, cfg Config) error {
	if err := cfg.check(); err != nil {
		l.Close()
		return err
	}
	h, err := Handler(cfg)
	if err != nil {
		l.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stop:
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err = srv.Serve(l)
	close(stop)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
