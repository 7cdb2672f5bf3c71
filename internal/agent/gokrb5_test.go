package agent

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jcmturner/goidentity/v6"
	gokrb5keytab "github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	gokrb5spnego "github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/negotiate"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

// TestKeytabAcceptedByGokrb5: a lease's krb5.keytab lets gokrb5's acceptor
// (the oracle) act as the gMSA: a client with a ticket for
// http/mysite.contoso.com from the lab KDC is accepted over HTTP Negotiate.
func TestKeytabAcceptedByGokrb5(t *testing.T) {
	tl := startLab(t)
	a := newAgent(t, tl.options(t, t.TempDir()))
	ctx := context.Background()
	l, err := a.Create(ctx, root, CreateRequest{CredentialSpec: spec(t, "WebApp01"), Keytab: true})
	if err != nil {
		t.Fatal(err)
	}
	gkt, err := gokrb5keytab.Load(filepath.Join(l.Dir, KeytabFile))
	if err != nil {
		t.Fatal(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := goidentity.FromHTTPRequestContext(r)
		if id == nil {
			http.Error(w, "no identity", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "hello %s@%s\n", id.UserName(), id.Domain())
	})
	srv := httptest.NewUnstartedServer(gokrb5spnego.SPNEGOKRB5Authenticate(hello, gkt,
		service.KeytabPrincipal("WebApp01$"), service.DecodePAC(false)))
	ln, err := net.Listen("tcp", net.JoinHostPort(tl.info.Listen, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	// The client: NODE1$ itself, with a ticket for the gMSA's SPN.
	cfg, err := transport.ParseConfig(a.KRB5Conf())
	if err != nil {
		t.Fatal(err)
	}
	c := &client.Client{Transport: transport.New(cfg, transport.Options{}), Now: time.Now, Rand: rand.Reader}
	tgt, err := c.Login(ctx, client.LoginRequest{Principal: "NODE1$@CONTOSO.COM", Keys: client.Password{Password: node1Password}})
	if err != nil {
		t.Fatal(err)
	}
	newInitiator := func(string) (*gssapi.Initiator, error) {
		cr, err := c.ServiceTicket(ctx, tgt, "http/mysite.contoso.com", client.TGSOptions{})
		if err != nil {
			return nil, err
		}
		return gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: cr.Ticket, SessionKey: cr.SessionKey, Client: cr.Client,
			ClientRealm: cr.ClientRealm, Flags: gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagInteg | gssapi.FlagConf,
			Now: time.Now, Rand: rand.Reader})
	}
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
	}}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: negotiate.RoundTripper{Next: base, NewInitiator: newInitiator}}
	resp, err := hc.Get("http://mysite.contoso.com:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "hello NODE1$@CONTOSO.COM\n" {
		t.Fatalf("gokrb5's acceptor with the lease's keytab answered %s %q", resp.Status, body)
	}
}
