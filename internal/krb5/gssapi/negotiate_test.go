package gssapi_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/spnego"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/negotiate"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

type tcpTransport string

func (addr tcpTransport) RoundTrip(ctx context.Context, _ string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", string(addr))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(req))), req...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	if binary.BigEndian.Uint32(n[:]) > 1<<20 {
		return nil, errors.New("reply too large")
	}
	rep := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err = io.ReadFull(conn, rep)
	return rep, err
}

const alicePassword = "Alice-Passw0rd!"

// TestNegotiateWithMIT serves HTTP Negotiate with our acceptor and the
// HTTP/web.contoso.com keytab, and has MIT's GSS-API (through curl) and our
// own RoundTripper log in as alice.
func TestNegotiateWithMIT(t *testing.T) {
	curl := testpeer.Binaries(t, "curl with GSS-API", "curl")[0]
	addr := testpeer.Loopback("internal/krb5/gssapi")
	k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: addr})
	k.AddPrincipal(t, "alice", alicePassword)
	k.AddRandKey(t, "HTTP/web.contoso.com")
	ktPath := filepath.Join(k.Dir, "http.keytab")
	k.ExportKeytab(t, "HTTP/web.contoso.com", ktPath)
	b, err := os.ReadFile(ktPath)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}

	cache := &gssapi.MemoryReplayCache{}
	newAcceptor := func() (*gssapi.Acceptor, error) {
		return gssapi.NewAcceptor(gssapi.AcceptorConfig{Keytab: kt, Service: "HTTP/web.contoso.com", Now: time.Now, Rand: rand.Reader, ReplayCache: cache})
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", principalOf(r))
	})
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var lastAuth, lastReply string // the last request's Authorization and answer's WWW-Authenticate
	protected := negotiate.Middleware(hello, newAcceptor)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastAuth = r.Header.Get("Authorization")
		protected.ServeHTTP(w, r)
		lastReply = w.Header().Get("WWW-Authenticate")
	})
	srv := httptest.NewUnstartedServer(handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	url := "http://web.contoso.com:" + port + "/"

	t.Run("curl without credentials gets 401 Negotiate", func(t *testing.T) {
		out, err := exec.Command(curl, "-sS", "-o", "/dev/null", "-D", "-", "--resolve", "web.contoso.com:"+port+":"+addr, url).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if !strings.Contains(string(out), " 401 ") || !strings.Contains(string(out), "Www-Authenticate: Negotiate") {
			t.Fatalf("curl got:\n%s", out)
		}
	})

	t.Run("curl --negotiate with MIT's GSS-API", func(t *testing.T) {
		// MIT must not canonicalize web.contoso.com through DNS.
		conf, err := os.ReadFile(filepath.Join(k.Dir, "krb5.conf"))
		if err != nil {
			t.Fatal(err)
		}
		confPath := filepath.Join(t.TempDir(), "krb5.conf")
		conf = []byte(strings.Replace(string(conf), "[libdefaults]\n", "[libdefaults]\n    dns_canonicalize_hostname = false\n", 1))
		if err := os.WriteFile(confPath, conf, 0o644); err != nil {
			t.Fatal(err)
		}
		env := append(k.Env(), "KRB5_CONFIG="+confPath, "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "cc"))
		kinit := k.Command(t, "kinit", "alice")
		kinit.Env, kinit.Stdin = env, strings.NewReader(alicePassword+"\n")
		if out, err := kinit.CombinedOutput(); err != nil {
			t.Fatalf("kinit: %v: %s", err, out)
		}
		cmd := exec.Command(curl, "-sS", "--fail-with-body", "-D", filepath.Join(t.TempDir(), "headers"), "--negotiate", "-u", ":", "--resolve", "web.contoso.com:"+port+":"+addr, url)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, out)
		}
		if got := string(out); got != "hello alice@CONTOSO.COM\n" {
			t.Fatalf("curl got %q", got)
		}
		// MIT sent SPNEGO with Kerberos first, and we answered
		// accept-completed with an AP-REP.
		tok, err := spnego.ParseHeader(lastAuth)
		if err != nil {
			t.Fatal(err)
		}
		init, err := spnego.ParseNegTokenInit(tok)
		if err != nil {
			t.Fatalf("MIT's token: %v", err)
		}
		t.Logf("MIT offered %v", init.MechTypes)
		rtok, err := spnego.ParseHeader(lastReply)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := spnego.ParseNegTokenResp(rtok)
		if err != nil || resp.NegState != spnego.NegStateAcceptCompleted || resp.ResponseToken == nil {
			t.Fatalf("our answer: %+v, %v", resp, err)
		}

		// curl 7.88 does not hand the final token of a 200 answer back to
		// GSS-API, so it proves MIT's initiator against our acceptor only;
		// TestMITInitiatorPerMessage has MIT verify our AP-REP.
	})

	t.Run("our RoundTripper", func(t *testing.T) {
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
				Flags: gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagConf | gssapi.FlagInteg,
				Now:   time.Now, Rand: rand.Reader,
			})
		}
		dialer := &net.Dialer{}
		base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, ln.Addr().String())
		}}
		defer base.CloseIdleConnections()
		hc := &http.Client{Transport: negotiate.RoundTripper{Next: base, NewInitiator: newInitiator}}
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "hello alice@CONTOSO.COM\n" {
			t.Fatalf("got %s %q", resp.Status, body)
		}
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ") {
			t.Fatalf("no mutual-authentication token: %q", resp.Header.Get("WWW-Authenticate"))
		}
	})
}

func principalOf(r *http.Request) string {
	p, _ := negotiate.Principal(r.Context())
	return p
}
