package gssapi_test

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
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestInitiatorAgainstGokrb5Acceptor: our SPNEGO initiator (the negotiate
// RoundTripper) against an acceptor built on gokrb5 v8.4.4 (the oracle),
// with tickets from an MIT KDC: gokrb5 accepts our AP-REQ and names alice.
// (gokrb5's acceptor answers accept-completed without an AP-REP, so this
// initiator does not ask for mutual authentication; MIT's acceptor-side
// AP-REP check is in TestMITInitiatorPerMessage.)
func TestInitiatorAgainstGokrb5Acceptor(t *testing.T) {
	addr := testpeer.Loopback("internal/krb5/gssapi")
	k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: addr, Enctypes: []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"}})
	k.AddPrincipal(t, "alice", alicePassword)
	k.AddRandKey(t, "HTTP/web.contoso.com")
	ktPath := filepath.Join(k.Dir, "http.keytab")
	k.ExportKeytab(t, "HTTP/web.contoso.com", ktPath)
	gkt, err := gokrb5keytab.Load(ktPath)
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
	// MIT 1.20's minimal PAC has no logon info, which gokrb5 cannot decode
	// (peers.md): PAC decoding off.
	srv := httptest.NewUnstartedServer(gokrb5spnego.SPNEGOKRB5Authenticate(hello, gkt, service.DecodePAC(false)))
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	c := &client.Client{Transport: tcpTransport(net.JoinHostPort(k.Addr, strconv.Itoa(k.Port))), Now: time.Now, Rand: rand.Reader}
	ctx := context.Background()
	tgt, err := c.Login(ctx, client.LoginRequest{Principal: "alice@CONTOSO.COM", Keys: client.Password{Password: alicePassword}})
	if err != nil {
		t.Fatal(err)
	}
	newInitiator := func(host string) (*gssapi.Initiator, error) {
		cr, err := c.ServiceTicket(ctx, tgt, "HTTP/"+host, client.TGSOptions{})
		if err != nil {
			return nil, err
		}
		return gssapi.NewInitiator(gssapi.InitiatorConfig{
			Ticket: cr.Ticket, SessionKey: cr.SessionKey, Client: cr.Client, ClientRealm: cr.ClientRealm,
			Flags: gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg,
			Now:   time.Now, Rand: rand.Reader,
		})
	}
	dialer := &net.Dialer{}
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, ln.Addr().String())
	}}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: negotiate.RoundTripper{Next: base, NewInitiator: newInitiator}}
	resp, err := hc.Get("http://web.contoso.com:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "hello alice@CONTOSO.COM\n" {
		t.Fatalf("gokrb5's acceptor answered %s %q", resp.Status, body)
	}
}
