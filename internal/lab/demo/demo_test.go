package demo_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
	"github.com/jcmturner/goidentity/v6"
	"github.com/jcmturner/gokrb5/v8/credentials"
	gokrb5keytab "github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	gokrb5spnego "github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/negotiate"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/lab/demo"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const adminPassword = "Lab-Admin-Pa55!"

// world is a lab served in-process on the package's loopback address, with
// the gMSA WebApp01$ (SPN http/mysite.contoso.com) and a computer DBHOST1$
// holding postgres/localhost, the keytabs exported from it, and a
// krb5.conf for MIT's tools.
type world struct {
	dir, tmp string
	info     *lab.Info
	webKT    string // the gMSA's own keytab (WebApp01$)
	httpKT   string // http/mysite.contoso.com
	pgKT     string // postgres/localhost
	conf     string
	ccache   string
}

func startWorld(t *testing.T) *world {
	t.Helper()
	addr := testpeer.Loopback("internal/lab/demo")
	w := &world{dir: t.TempDir(), tmp: t.TempDir()}
	d, err := lab.Init(w.dir, lab.InitOptions{AdminPassword: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan *lab.Info, 1)
	go func() {
		done <- lab.Serve(ctx, lab.ServeOptions{Dir: w.dir, Listen: addr, Ready: func(i *lab.Info) { ready <- i }})
	}()
	select {
	case w.info = <-ready:
	case err := <-done:
		t.Fatalf("lab: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("lab did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lab: %v", err)
		}
	})

	c, err := directory.Dial(ctx, directory.Options{Server: w.info.LDAPSURL(), CAFile: w.info.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.BindSimple(ctx, "Administrator@contoso.com", adminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"Domain Admins"}}); err != nil {
		t.Fatal(err)
	}
	addComputer(t, w.info, "DBHOST1", "DbHost1-Pa55-word", "postgres/localhost")

	export := func(principal, name string) string {
		x, via, err := lab.ExportKeytabFromDir(ctx, w.dir, principal)
		if err != nil || via != "socket" {
			t.Fatalf("export-keytab %s: via %q: %v", principal, via, err)
		}
		path := filepath.Join(w.tmp, name)
		if err := lab.WriteKeytabFile(path, x.Keytab); err != nil {
			t.Fatal(err)
		}
		return path
	}
	w.webKT = export("WebApp01$", "webapp01.keytab")
	w.httpKT = export("http/mysite.contoso.com", "http.keytab")
	w.pgKT = export("postgres/localhost", "postgres.keytab")

	w.conf = filepath.Join(w.tmp, "krb5.conf")
	w.ccache = "FILE:" + filepath.Join(w.tmp, "cc")
	conf := fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"+
		" rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = 1\n"+
		"[realms]\n CONTOSO.COM = {\n  kdc = %s:%d\n }\n[domain_realm]\n .contoso.com = CONTOSO.COM\n localhost = CONTOSO.COM\n",
		w.info.Listen, w.info.KDCPort)
	if err := os.WriteFile(w.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) env() []string {
	return []string{"KRB5_CONFIG=" + w.conf, "KRB5CCNAME=" + w.ccache}
}

// kinitGMSA logs in as the gMSA with MIT kinit -k and the exported keytab.
func (w *world) kinitGMSA(t *testing.T) {
	t.Helper()
	kinit := testpeer.Binaries(t, "mit-krb5-user", "kinit")[0]
	cmd := exec.Command(kinit, "-k", "-t", w.webKT, "WebApp01$@CONTOSO.COM")
	cmd.Env = append(os.Environ(), w.env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit -k WebApp01$: %v\n%s", err, out)
	}
}

func addComputer(t *testing.T, info *lab.Info, name, password, spn string) {
	t.Helper()
	pem, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	l, err := ldap.DialURL(info.LDAPSURL(), ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: info.DC}))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Bind("Administrator@contoso.com", adminPassword); err != nil {
		t.Fatal(err)
	}
	req := ldap.NewAddRequest("CN="+name+",CN=Computers,DC=contoso,DC=com", nil)
	req.Attribute("objectClass", []string{"computer"})
	req.Attribute("sAMAccountName", []string{name + "$"})
	req.Attribute("dNSHostName", []string{strings.ToLower(name) + ".contoso.com"})
	req.Attribute("servicePrincipalName", []string{spn})
	pw := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 2*len(pw))
	for i, u := range pw {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	req.Attribute("unicodePwd", []string{string(b)})
	if err := l.Add(req); err != nil {
		t.Fatalf("add computer %s: %v", name, err)
	}
}

func readKeytab(t *testing.T, path string) *keytab.Keytab {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return kt
}

// startDemo serves the demo service for http/mysite.contoso.com on the
// package's loopback address.
func startDemo(t *testing.T, w *world) (port int) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(testpeer.Loopback("internal/lab/demo"), "0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- demo.Serve(ctx, l, demo.Config{SPN: "http/mysite.contoso.com", Keytab: readKeytab(t, w.httpKT)})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo.Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("demo.Serve did not return after cancel")
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// tcpTransport carries Kerberos messages to the lab's KDC over TCP.
type tcpTransport string

func (a tcpTransport) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", string(a))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	b := binary.BigEndian.AppendUint32(nil, uint32(len(req)))
	if _, err := c.Write(append(b, req...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	if binary.BigEndian.Uint32(n[:]) > 1<<20 {
		return nil, fmt.Errorf("reply too large")
	}
	rep := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err = io.ReadFull(c, rep)
	return rep, err
}

// gmsaClient returns an http.Client whose negotiate.RoundTripper logs in
// as WebApp01$ with its exported keytab (our Kerberos client) and connects
// every request to port on the loopback address.
func gmsaClient(t *testing.T, w *world, port int, flags gssapi.Flags) *http.Client {
	t.Helper()
	ctx := context.Background()
	c := &client.Client{Transport: tcpTransport(net.JoinHostPort(w.info.Listen, strconv.Itoa(w.info.KDCPort))), Now: time.Now, Rand: rand.Reader}
	tgt, err := c.Login(ctx, client.LoginRequest{Principal: "WebApp01$@CONTOSO.COM", Keys: client.Keytab{Keytab: readKeytab(t, w.webKT)}})
	if err != nil {
		t.Fatalf("login as WebApp01$ with the exported keytab: %v", err)
	}
	newInitiator := func(host string) (*gssapi.Initiator, error) {
		cr, err := c.ServiceTicket(ctx, tgt, "HTTP/"+host, client.TGSOptions{})
		if err != nil {
			return nil, err
		}
		return gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: cr.Ticket, SessionKey: cr.SessionKey, Client: cr.Client,
			ClientRealm: cr.ClientRealm, Flags: flags, Now: time.Now, Rand: rand.Reader})
	}
	dialer := &net.Dialer{}
	target := net.JoinHostPort(testpeer.Loopback("internal/lab/demo"), strconv.Itoa(port))
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, target)
	}}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: negotiate.RoundTripper{Next: base, NewInitiator: newInitiator}}
}

// TestDemoServiceWithCurlAndRoundTripper: curl --negotiate (MIT libgssapi)
// holding the gMSA's ticket, and our negotiate.RoundTripper, authenticate
// to the demo service as CONTOSO\WebApp01$; without a token the answer is
// 401 Negotiate. gokrb5's acceptor, the oracle, accepts the same tickets
// with the exported keytab and reads the same groups from the PAC.
func TestDemoServiceWithCurlAndRoundTripper(t *testing.T) {
	curl := testpeer.Binaries(t, "curl", "curl")[0]
	w := startWorld(t)
	port := startDemo(t, w)
	url := fmt.Sprintf("http://mysite.contoso.com:%d/", port)
	resolve := fmt.Sprintf("mysite.contoso.com:%d:%s", port, testpeer.Loopback("internal/lab/demo"))

	// No token: 401 with the challenge.
	out, err := exec.Command(curl, "-s", "-i", "--resolve", resolve, url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "401") || !strings.Contains(strings.ToLower(string(out)), "www-authenticate: negotiate") {
		t.Fatalf("curl without credentials: %v\n%s", err, out)
	}

	w.kinitGMSA(t)
	cmd := exec.Command(curl, "-s", "-S", "-f", "--negotiate", "-u", ":", "--resolve", resolve, url)
	cmd.Env = append(os.Environ(), w.env()...)
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `Hello, CONTOSO\WebApp01$`) {
		t.Fatalf("curl --negotiate as the gMSA: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Ticket expires:") || !strings.Contains(string(out), "Group SIDs:") {
		t.Fatalf("curl: the answer lacks the ticket time or the groups:\n%s", out)
	}
	cmd = exec.Command(curl, "-s", "-S", "-f", "--negotiate", "-u", ":", "-H", "Accept: application/json", "--resolve", resolve, url)
	cmd.Env = append(os.Environ(), w.env()...)
	out, err = cmd.CombinedOutput()
	var viaCurl demo.Identity
	if err != nil || json.Unmarshal(out, &viaCurl) != nil {
		t.Fatalf("curl JSON: %v\n%s", err, out)
	}

	// Our RoundTripper, with mutual authentication.
	hc := gmsaClient(t, w, port, gssapi.FlagMutual|gssapi.FlagSequence)
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var id demo.Identity
	if resp.StatusCode != 200 || json.Unmarshal(body, &id) != nil {
		t.Fatalf("RoundTripper: %s %s", resp.Status, body)
	}
	if id.Principal != `CONTOSO\WebApp01$` || !strings.HasPrefix(strings.ToLower(id.Service), "http/mysite.contoso.com@") {
		t.Fatalf("RoundTripper identity %+v", id)
	}
	if id.TimeLeftSeconds <= 0 || id.TimeLeftSeconds > 24*3600 || id.Expires.Before(time.Now()) {
		t.Fatalf("time left %q (%d s), expires %s", id.TimeLeft, id.TimeLeftSeconds, id.Expires)
	}
	domainSID := id.UserSID[:strings.LastIndex(id.UserSID, "-")]
	if !slices.Contains(id.GroupSIDs, domainSID+"-515") { // Domain Computers: a gMSA's primary group
		t.Fatalf("groups %v lack Domain Computers (%s-515)", id.GroupSIDs, domainSID)
	}
	if viaCurl.Principal != id.Principal || viaCurl.UserSID != id.UserSID || !slices.Equal(viaCurl.GroupSIDs, id.GroupSIDs) {
		t.Fatalf("curl and RoundTripper see different identities:\n%+v\n%+v", viaCurl, id)
	}

	// gokrb5's acceptor (oracle) with the exported keytab decodes the PAC
	// of a ticket our lab issued and finds the same groups.
	gkt, err := gokrb5keytab.Load(w.httpKT)
	if err != nil {
		t.Fatalf("gokrb5 cannot load the exported keytab: %v", err)
	}
	oracle := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		cr, ok := goidentity.FromHTTPRequestContext(r).(*credentials.Credentials)
		if !ok {
			http.Error(rw, "no credentials", 500)
			return
		}
		ad := cr.GetADCredentials()
		_ = json.NewEncoder(rw).Encode(map[string]any{"name": ad.LogonDomainName + `\` + ad.EffectiveName,
			"user": ad.LogonDomainID + "-" + strconv.Itoa(ad.UserID), "groups": ad.GroupMembershipSIDs})
	})
	ol, err := net.Listen("tcp", net.JoinHostPort(testpeer.Loopback("internal/lab/demo"), "0"))
	if err != nil {
		t.Fatal(err)
	}
	osrv := &http.Server{Handler: gokrb5spnego.SPNEGOKRB5Authenticate(oracle, gkt, service.DecodePAC(true),
		service.KeytabPrincipal("http/mysite.contoso.com"))}
	go osrv.Serve(ol)
	defer osrv.Close()
	oport := ol.Addr().(*net.TCPAddr).Port
	resp, err = gmsaClient(t, w, oport, gssapi.FlagSequence).Get(fmt.Sprintf("http://mysite.contoso.com:%d/", oport))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Name   string   `json:"name"`
		User   string   `json:"user"`
		Groups []string `json:"groups"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
		t.Fatalf("gokrb5 acceptor: %s %s", resp.Status, body)
	}
	slices.Sort(got.Groups)
	ours := slices.Clone(id.GroupSIDs)
	slices.Sort(ours)
	if got.Name != `CONTOSO\WebApp01$` || got.User != id.UserSID || !slices.Equal(got.Groups, ours) {
		t.Fatalf("gokrb5 reads %+v; the demo service %v %v", got, id.UserSID, ours)
	}
}

// TestPostgresGSSAsGMSA: PostgreSQL with gss authentication and a keytab
// exported from the lab for postgres/localhost (an SPN of the computer
// DBHOST1$) lets psql, holding the gMSA's ticket from MIT kinit -k, log in
// as the role "WebApp01$".
func TestPostgresGSSAsGMSA(t *testing.T) {
	w := startWorld(t)
	pg := testpeer.StartPostgres(t, testpeer.PostgresOptions{Addr: testpeer.Loopback("internal/lab/demo"), Keytab: w.pgKT,
		Realm: "CONTOSO.COM", Roles: []string{"WebApp01$"}})
	w.kinitGMSA(t)
	cmd := pg.PSQL(w.env(), "localhost", "WebApp01$", "-c", "SELECT current_user")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "WebApp01$" {
		t.Fatalf("psql as WebApp01$: %v\n%s\nserver log:\n%s", err, out, pg.Log())
	}

	// Without a ticket, no login.
	cmd = pg.PSQL([]string{"KRB5_CONFIG=" + w.conf, "KRB5CCNAME=FILE:" + filepath.Join(w.tmp, "none")}, "localhost", "WebApp01$", "-c", "SELECT 1")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("psql without a ticket connected:\n%s", out)
	}
}

// TestHandlerRefusesWithoutTicket: 401 with the Negotiate challenge, and a
// configuration without a key for the SPN is refused.
func TestHandlerRefusesWithoutTicket(t *testing.T) {
	if _, err := demo.Handler(demo.Config{SPN: "http/mysite.contoso.com", Keytab: &keytab.Keytab{}}); err == nil {
		t.Fatal("a keytab without the SPN's key was accepted")
	}
	if _, err := demo.Handler(demo.Config{Keytab: &keytab.Keytab{}}); err == nil {
		t.Fatal("no SPN was accepted")
	}
}
