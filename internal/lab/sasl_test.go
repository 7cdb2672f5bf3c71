package lab

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/lab/kdc"
	ls "github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// tcpKDC is a test Kerberos transport: TCP to the lab's KDC (RFC 4120
// §7.2.2 framing).
type tcpKDC string

func (addr tcpKDC) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", string(addr))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(req))), req...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	if l := binary.BigEndian.Uint32(n[:]); l > 1<<20 {
		return nil, fmt.Errorf("reply of %d octets", l)
	}
	rep := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err = io.ReadFull(conn, rep)
	return rep, err
}

// machineKeytab derives a computer's keytab from its password as `net ads
// join` or ktpass would: AD's machine salt, kvno 1 (the first password).
func machineKeytab(t *testing.T, realm, domain, sam, password string) *keytab.Keytab {
	t.Helper()
	dom := &Domain{DNSName: domain}
	salt := accountSalt(dom, sam, true)
	p, err := keytab.ParsePrincipal(sam + "@" + realm)
	if err != nil {
		t.Fatal(err)
	}
	kt := &keytab.Keytab{}
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(e, password, salt, nil)
		if err != nil {
			t.Fatal(err)
		}
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, KVNO: 1, Key: k})
	}
	return kt
}

// gssLab is a lab with a KDC, NODE1$ allowed to read WebApp01$'s password,
// and NODE1$'s TGT from a keytab.
type gssLab struct {
	*testLab
	kc  *client.Client
	tgt *client.Credentials
}

const node1Pass = "Node1-Pa55-word"

func startGSSLab(t *testing.T) *gssLab {
	t.Helper()
	tl := startLabKDC(t, testpeer.Loopback("internal/lab"), 0)
	ctx := context.Background()
	admin := tl.dial(t, "", "")
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		t.Fatal(err)
	}
	tl.addComputer(t, "NODE1", node1Pass)
	tl.addComputer(t, "NODE2", "Node2-Pa55-word") // not allowed
	if err := admin.AddGroupMember(ctx, "WebApp01Hosts", "NODE1$"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}}); err != nil {
		t.Fatal(err)
	}
	kt := machineKeytab(t, tl.info.Realm, tl.info.Domain, "NODE1$", node1Pass)
	kc := &client.Client{Transport: tcpKDC(net.JoinHostPort(tl.info.Listen, strconv.Itoa(tl.info.KDCPort))), Now: time.Now, Rand: rand.Reader}
	tgt, err := kc.Login(ctx, client.LoginRequest{Principal: "NODE1$@" + tl.info.Realm, Keys: client.Keytab{Keytab: kt}})
	if err != nil {
		t.Fatalf("login NODE1$ with its keytab: %v", err)
	}
	return &gssLab{testLab: tl, kc: kc, tgt: tgt}
}

// TestGSSAPIBindDirectory: internal/directory's BindGSSAPI with a machine
// keytab against the lab — seal on ldap:// reads the gMSA password, sign
// gets the confidentiality error, TLS with channel bindings works and TLS
// without them is refused as Samba and AD refuse it.
func TestGSSAPIBindDirectory(t *testing.T) {
	gl := startGSSLab(t)
	ca := filepath.Join(gl.dir, "ca.pem")
	ref := gl.dial(t, "NODE1$@"+gl.info.Domain, node1Pass)
	want, err := ref.ManagedPassword(context.Background(), "WebApp01")
	if err != nil {
		t.Fatalf("reference read over LDAPS with a simple bind: %v", err)
	}
	tests := []struct {
		name         string
		url          string
		startTLS     bool
		spn          string
		layer        sasl.Layer
		noCB         bool
		confidential bool
		wantPassword bool
		wantBindErr  string
		wantCode     uint16
	}{
		{name: "seal over ldap:// reads the managed password", url: gl.info.LDAPURL(), confidential: true, wantPassword: true},
		{name: "host/ SPN of the DC works too", url: gl.info.LDAPURL(), spn: "host/dc1.contoso.com", confidential: true, wantPassword: true},
		{name: "sign over ldap:// binds, the password needs confidentiality", url: gl.info.LDAPURL(), layer: sasl.LayerIntegrity},
		{name: "channel bindings over ldaps://", url: gl.info.LDAPSURL(), confidential: true, wantPassword: true},
		{name: "channel bindings over StartTLS", url: gl.info.LDAPURL(), startTLS: true, confidential: true, wantPassword: true},
		{name: "ldaps:// without channel bindings is refused", url: gl.info.LDAPSURL(), noCB: true,
			wantBindErr: "80090346", wantCode: ldap.LDAPResultInvalidCredentials},
		{name: "no layer over ldap:// is refused", url: gl.info.LDAPURL(), layer: sasl.LayerNone, wantBindErr: "negotiation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := directory.Dial(ctx, directory.Options{Server: tt.url, CAFile: ca, StartTLS: tt.startTLS})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			spn := tt.spn
			if spn == "" {
				spn = "ldap/dc1." + gl.info.Domain
			}
			err = c.BindGSSAPI(ctx, directory.GSSAPIOptions{Client: gl.kc, TGT: gl.tgt, SPN: spn, Layer: tt.layer, NoChannelBindings: tt.noCB})
			if tt.wantBindErr != "" {
				var le *ldap.Error
				if err == nil || !strings.Contains(err.Error(), tt.wantBindErr) || (tt.wantCode != 0 && (!errors.As(err, &le) || le.ResultCode != tt.wantCode)) {
					t.Fatalf("got %v, want %q (LDAP result %d)", err, tt.wantBindErr, tt.wantCode)
				}
				t.Logf("refused as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Confidential() != tt.confidential {
				t.Errorf("Confidential() = %t", c.Confidential())
			}
			who, err := c.WhoAmI(ctx)
			if err != nil || who != `u:CONTOSO\NODE1$` {
				t.Fatalf("whoami %q, %v", who, err)
			}
			for range 3 { // several requests through the layer
				if _, err := c.DomainInfo(ctx); err != nil {
					t.Fatal(err)
				}
			}
			res, err := c.ManagedPassword(ctx, "WebApp01")
			if !tt.wantPassword {
				if !errors.Is(err, directory.ErrConfidentialityRequired) {
					t.Fatalf("got %v, want ErrConfidentialityRequired", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.Blob.Current.Equal(&want.Blob.Current) {
				t.Fatal("the managed password differs from the one read over LDAPS with a simple bind")
			}
		})
	}
	t.Run("a computer the gMSA does not allow gets no password", func(t *testing.T) {
		ctx := context.Background()
		kt := machineKeytab(t, gl.info.Realm, gl.info.Domain, "NODE2$", "Node2-Pa55-word")
		tgt, err := gl.kc.Login(ctx, client.LoginRequest{Principal: "NODE2$@" + gl.info.Realm, Keys: client.Keytab{Keytab: kt}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := directory.Dial(ctx, directory.Options{Server: gl.info.LDAPURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.BindGSSAPI(ctx, directory.GSSAPIOptions{Client: gl.kc, TGT: tgt, SPN: "ldap/localhost"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ManagedPassword(ctx, "WebApp01"); err == nil {
			t.Fatal("NODE2$ read the password of a gMSA that does not allow it")
		}
	})
}

// rawGSSAPI is a go-ldap GSSAPIClient that sends a given first token and
// stops after the server's first answer: a forged, replayed or misdirected
// AP-REQ.
type rawGSSAPI struct {
	tok  []byte
	sent bool
}

func (r *rawGSSAPI) InitSecContext(target string, token []byte) ([]byte, bool, error) {
	if r.sent {
		return nil, false, errors.New("stop after the AP-REP")
	}
	r.sent = true
	return r.tok, true, nil
}

func (r *rawGSSAPI) InitSecContextWithOptions(target string, token []byte, _ []int) ([]byte, bool, error) {
	return r.InitSecContext(target, token)
}

func (r *rawGSSAPI) NegotiateSaslAuth(token []byte, authzid string) ([]byte, error) {
	return nil, errors.New("not reached")
}

func (r *rawGSSAPI) DeleteSecContext() error { return nil }

// apReq makes an AP-REQ token for spn with NODE1$'s TGT.
func (gl *gssLab) apReq(t *testing.T, spn string) []byte {
	t.Helper()
	st, err := gl.kc.ServiceTicket(context.Background(), gl.tgt, spn, client.TGSOptions{})
	if err != nil {
		t.Fatalf("ticket for %s: %v", spn, err)
	}
	ini, err := gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: st.Ticket, SessionKey: st.SessionKey, Client: st.Client,
		ClientRealm: st.ClientRealm, Flags: gssapi.FlagMutual | gssapi.FlagInteg | gssapi.FlagConf, Now: time.Now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := ini.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestGSSAPIBindRefusals: forged tokens, a ticket for another service and
// a replayed authenticator are refused with AD's codes, and the server
// keeps serving.
func TestGSSAPIBindRefusals(t *testing.T) {
	gl := startGSSLab(t)
	send := func(t *testing.T, tok []byte) error {
		t.Helper()
		l, err := ldap.DialURL(gl.info.LDAPURL())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.GSSAPIBindRequest(&rawGSSAPI{tok: tok}, &ldap.GSSAPIBindRequest{ServicePrincipalName: "ldap/localhost"})
	}
	good := gl.apReq(t, "ldap/localhost")
	forged := append([]byte(nil), gl.apReq(t, "ldap/localhost")...)
	forged[len(forged)-20] ^= 0x40 // inside the authenticator's ciphertext
	tests := []struct {
		name string
		tok  []byte
		want string
	}{
		{"garbage", []byte("not a GSS-API token"), "data 52e"},
		{"empty", nil, "data 52e"},
		{"a truncated AP-REQ", good[:len(good)/2], "data 52e"},
		{"an altered authenticator", forged, "data 52e"},
		{"a ticket for another service", gl.apReq(t, "http/mysite.contoso.com"), "data 80090322"},
		{"a ticket for a service of another computer", gl.apReq(t, "host/node2.contoso.com"), "data 80090322"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(t, tt.tok)
			var le *ldap.Error
			if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want invalidCredentials with %q", err, tt.want)
			}
			t.Logf("refused: %v", err)
		})
	}
	t.Run("a replayed authenticator", func(t *testing.T) {
		if err := send(t, good); err == nil || !strings.Contains(err.Error(), "stop after the AP-REP") {
			t.Fatalf("first use: %v, want the server's AP-REP", err)
		}
		err := send(t, good)
		if err == nil || !strings.Contains(err.Error(), "replay") || !strings.Contains(err.Error(), "49") {
			t.Fatalf("replay: %v", err)
		}
		t.Logf("refused: %v", err)
	})
	t.Run("the server keeps serving", func(t *testing.T) {
		c, err := directory.Dial(context.Background(), directory.Options{Server: gl.info.LDAPURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.BindGSSAPI(context.Background(), directory.GSSAPIOptions{Client: gl.kc, TGT: gl.tgt, SPN: "ldap/localhost"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("other mechanisms are not supported", func(t *testing.T) {
		l, err := ldap.DialURL(gl.info.LDAPURL())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		err = l.ExternalBind()
		var le *ldap.Error
		if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultAuthMethodNotSupported {
			t.Fatalf("EXTERNAL: %v", err)
		}
	})
}

// TestGSSAPIBindOpenLDAP: OpenLDAP's ldapwhoami and ldapsearch -Y GSSAPI
// (Cyrus SASL with MIT Kerberos) holding a ticket from the lab KDC: sealed
// over ldap://, integrity-only gets the confidentiality error for the
// password, ldaps:// with tls-endpoint channel bindings works and without
// them is refused.
func TestGSSAPIBindOpenLDAP(t *testing.T) {
	bins := testpeer.Binaries(t, "ldap-utils", "ldapsearch", "ldapwhoami")
	kinit := testpeer.Binaries(t, "mit-krb5-user", "kinit")[0]
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so"); err != nil {
		if matches, _ := filepath.Glob("/usr/lib/*/sasl2/libgssapiv2.so*"); len(matches) == 0 {
			testpeer.Missing(t, "libsasl2-modules-gssapi-mit", "the Cyrus SASL GSSAPI plugin is not installed")
		}
	}
	gl := startGSSLab(t)
	// libldap asks for ldap/<host of the URL>: give DC1$ the SPN for the
	// listen address, as an administrator would for an IP-addressed DC.
	admin, err := ldap.DialURL(gl.info.LDAPSURL(), ldap.DialWithTLSConfig(gl.tlsConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Bind("Administrator@"+gl.info.Domain, gl.password); err != nil {
		t.Fatal(err)
	}
	mod := ldap.NewModifyRequest("CN=DC1,OU=Domain Controllers,DC=contoso,DC=com", nil)
	mod.Add("servicePrincipalName", []string{"ldap/" + gl.info.Listen})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	writeFile(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"+
		" rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = 1\n"+
		"[realms]\n CONTOSO.COM = {\n  kdc = %s:%d\n }\n[domain_realm]\n %s = CONTOSO.COM\n",
		gl.info.Listen, gl.info.KDCPort, gl.info.Listen))
	env := append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"),
		"LDAPCONF=/dev/null", "LDAPRC=/dev/null", "LDAPSASL_NOCANON=on",
		"LDAPTLS_CACERT="+filepath.Join(gl.dir, "ca.pem"), "LDAPTLS_REQCERT=demand")
	run := func(t *testing.T, extraEnv []string, stdin string, wantOK bool, bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %s: err=%v, want ok=%v\n%s", filepath.Base(bin), strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	run(t, nil, node1Pass+"\n", true, kinit, "NODE1$@CONTOSO.COM")
	plain, ldaps := gl.info.LDAPURL(), gl.info.LDAPSURL()
	gmsaDN := "CN=WebApp01,CN=Managed Service Accounts,DC=contoso,DC=com"

	t.Run("ldapsearch -N -Y GSSAPI at ldap://dc1.contoso.com", func(t *testing.T) {
		// The DC's own name, as the issue asks: resolved to the listen
		// address by an /etc/hosts bind-mounted in a private mount
		// namespace of the client alone (root only; nothing outside it
		// changes).
		unshare, err := exec.LookPath("unshare")
		if err != nil || os.Geteuid() != 0 {
			testpeer.Missing(t, "unshare (as root)", "a private mount namespace for /etc/hosts")
		}
		hosts := filepath.Join(t.TempDir(), "hosts")
		writeFile(t, hosts, "127.0.0.1 localhost\n"+gl.info.Listen+" dc1.contoso.com dc1\n")
		url := fmt.Sprintf("ldap://dc1.contoso.com:%d", gl.info.LDAPPort)
		script := `mount --bind "$1" /etc/hosts && shift && exec "$@"`
		out := run(t, nil, "", true, unshare, "-m", "sh", "-c", script, "sh", hosts,
			bins[0], "-LLL", "-N", "-Q", "-Y", "GSSAPI", "-H", url, "-b", gmsaDN, "-s", "base", "(objectClass=*)", "msDS-ManagedPassword")
		if !strings.Contains(out, "msDS-ManagedPassword:: ") {
			t.Fatalf("%s", out)
		}
		if out := run(t, nil, "", true, bins[0], "-LLL", "-Q", "-Y", "GSSAPI", "-H", plain, "-b", "", "-s", "base", "(objectClass=*)", "dnsHostName"); !strings.Contains(out, "dc1.contoso.com") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("ldapwhoami over ldap:// (sealed)", func(t *testing.T) {
		out := run(t, nil, "", true, bins[1], "-Q", "-Y", "GSSAPI", "-H", plain)
		if !strings.Contains(out, `u:CONTOSO\NODE1$`) {
			t.Fatalf("%s", out)
		}
	})
	t.Run("ldapsearch over ldap:// reads the managed password sealed", func(t *testing.T) {
		out := run(t, nil, "", true, bins[0], "-LLL", "-Q", "-Y", "GSSAPI", "-H", plain, "-b", gmsaDN, "-s", "base",
			"(objectClass=*)", "msDS-ManagedPassword", "sAMAccountName")
		if !strings.Contains(out, "msDS-ManagedPassword:: ") || !strings.Contains(out, "sAMAccountName: WebApp01$") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("a response larger than the client's buffer is split across buffers", func(t *testing.T) {
		// With a 64 KiB buffer announced (Cyrus's default is 16 MiB), a
		// 200 KB attribute cannot go in one sealed buffer.
		big := strings.Repeat("0123456789", 20000)
		mod := ldap.NewModifyRequest("CN=Administrator,CN=Users,DC=contoso,DC=com", nil)
		mod.Replace("description", []string{big})
		if err := admin.Modify(mod); err != nil {
			t.Fatal(err)
		}
		out := run(t, nil, "", true, bins[0], "-LLL", "-Q", "-Y", "GSSAPI", "-O", "maxbufsize=65536", "-o", "ldif-wrap=no", "-H", plain, "-b",
			"CN=Administrator,CN=Users,DC=contoso,DC=com", "-s", "base", "(objectClass=*)", "description")
		if !strings.Contains(out, "description: "+big) {
			t.Fatalf("the large attribute did not arrive whole (%d bytes of output)", len(out))
		}
	})
	t.Run("integrity only: the password needs confidentiality", func(t *testing.T) {
		out := run(t, nil, "", false, bins[0], "-LLL", "-Q", "-Y", "GSSAPI", "-O", "maxssf=1", "-H", plain, "-b", gmsaDN, "-s", "base",
			"(objectClass=*)", "msDS-ManagedPassword")
		if !strings.Contains(strings.ToLower(out), "confidential") {
			t.Fatalf("%s", out)
		}
		t.Logf("refused as expected: %s", out)
	})
	t.Run("ldapwhoami over ldaps:// with channel bindings", func(t *testing.T) {
		out := run(t, []string{"LDAPSASL_CBINDING=tls-endpoint"}, "", true, bins[1], "-Q", "-Y", "GSSAPI", "-H", ldaps)
		if !strings.Contains(out, `u:CONTOSO\NODE1$`) {
			t.Fatalf("%s", out)
		}
		out = run(t, []string{"LDAPSASL_CBINDING=tls-endpoint"}, "", true, bins[0], "-LLL", "-Q", "-Y", "GSSAPI", "-H", ldaps, "-b", gmsaDN, "-s", "base",
			"(objectClass=*)", "msDS-ManagedPassword")
		if !strings.Contains(out, "msDS-ManagedPassword:: ") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("ldaps:// without channel bindings is refused", func(t *testing.T) {
		out := run(t, []string{"LDAPSASL_CBINDING=none"}, "", false, bins[1], "-Q", "-Y", "GSSAPI", "-H", ldaps)
		if !strings.Contains(out, "80090346") {
			t.Fatalf("%s", out)
		}
	})
}

// testBindDirectory is a directory with an in-process KDC for the fuzz
// target and unit tests of the bind's steps.
type testBindDirectory struct {
	d   *Directory
	kc  *client.Client
	tgt *client.Credentials
}

type kdcFunc func(ctx context.Context, realm string, req []byte) ([]byte, error)

func (f kdcFunc) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	return f(ctx, realm, req)
}

func newTestBindDirectory(tb testing.TB) *testBindDirectory {
	tb.Helper()
	d, err := Init(tb.TempDir(), InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	k := &kdc.KDC{Realm: d.dom.Realm(), Backend: d.KDCBackend(), Now: d.now, LogonServer: d.dom.DCShortName()}
	kc := &client.Client{Now: time.Now, Rand: rand.Reader, Transport: kdcFunc(func(ctx context.Context, _ string, req []byte) ([]byte, error) {
		return k.Handle(ctx, req, nil), nil
	})}
	tgt, err := kc.Login(context.Background(), client.LoginRequest{Principal: "Administrator@" + d.dom.Realm(), Keys: client.Password{Password: testAdminPassword}})
	if err != nil {
		tb.Fatal(err)
	}
	return &testBindDirectory{d: d, kc: kc, tgt: tgt}
}

// initiator returns a fresh initiator for spn and its AP-REQ.
func (td *testBindDirectory) initiator(tb testing.TB, spn string, cb []byte) (*gssapi.Initiator, []byte) {
	tb.Helper()
	st, err := td.kc.ServiceTicket(context.Background(), td.tgt, spn, client.TGSOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	ini, err := gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: st.Ticket, SessionKey: st.SessionKey, Client: st.Client,
		ClientRealm: st.ClientRealm, Flags: gssapi.FlagMutual | gssapi.FlagInteg | gssapi.FlagConf, ChannelBindings: cb, Now: time.Now, Rand: rand.Reader})
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := ini.Step(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ini, tok
}

// establish runs the bind's first two steps and returns the server's layer
// offer.
func (td *testBindDirectory) establish(tb testing.TB, isTLS bool, cb []byte) (*gssapiBind, *gssapi.Initiator, []byte) {
	tb.Helper()
	ini, tok := td.initiator(tb, "ldap/dc1."+td.d.dom.DNSName, cb)
	var want []byte
	if isTLS {
		want = cb
	}
	st, err := td.d.newGSSAPIBind(isTLS, want)
	if err != nil {
		tb.Fatal(err)
	}
	r := st.step(tok)
	if !r.more {
		tb.Fatalf("AP-REQ refused: %s", r.res.Message)
	}
	if _, _, err := ini.Step(r.out); err != nil {
		tb.Fatal(err)
	}
	r = st.step(nil)
	if !r.more {
		tb.Fatalf("empty token refused: %s", r.res.Message)
	}
	return st, ini, r.out
}

// TestGSSAPIBindSteps: the steps in process — the layers offered per
// connection, the client's choice, authorization identities.
func TestGSSAPIBindSteps(t *testing.T) {
	td := newTestBindDirectory(t)
	t.Run("plain LDAP offers integrity and confidentiality", func(t *testing.T) {
		st, ini, offer := td.establish(t, false, nil)
		reply, chosen, _, err := sasl.Negotiate(&ini.Context, offer, sasl.LayerNone|sasl.LayerIntegrity|sasl.LayerConfidentiality, 1<<16, "")
		if err != nil || chosen != sasl.LayerConfidentiality {
			t.Fatalf("chosen %s, %v", chosen, err)
		}
		r := st.step(reply)
		if r.id == nil || r.id.SAM != "Administrator" || !r.id.Admin || r.layer == nil || !r.layer.Confidential() || r.layer.peerMax != 1<<16 {
			t.Fatalf("%+v", r)
		}
		// The layer round-trips with the client's context.
		w, err := r.layer.Wrap([]byte("response"))
		if err != nil {
			t.Fatal(err)
		}
		if pt, conf, err := ini.Unwrap(w); err != nil || !conf || string(pt) != "response" {
			t.Fatalf("%q %t %v", pt, conf, err)
		}
		tok, _ := ini.Wrap([]byte("request"), true)
		if pt, err := r.layer.Unwrap(tok); err != nil || string(pt) != "request" {
			t.Fatalf("%q %v", pt, err)
		}
		unsealed, _ := ini.Wrap([]byte("request"), false)
		if _, err := r.layer.Unwrap(unsealed); err == nil {
			t.Fatal("an unsealed token passed on a sealed layer")
		}
	})
	t.Run("TLS offers no layer", func(t *testing.T) {
		cb := []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")
		st, ini, offer := td.establish(t, true, cb)
		_, _, _, err := sasl.Negotiate(&ini.Context, offer, sasl.LayerIntegrity|sasl.LayerConfidentiality, 1<<16, "")
		if err == nil {
			t.Fatal("a layer was offered on TLS")
		}
		reply, _, _, err := sasl.Negotiate(&ini.Context, offer, sasl.LayerNone, 0, `u:CONTOSO\administrator`)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.step(reply); r.id == nil || r.layer != nil {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("channel bindings of another channel", func(t *testing.T) {
		_, tok := td.initiator(t, "ldap/localhost", []byte("tls-server-end-point:another"))
		st, _ := td.d.newGSSAPIBind(true, []byte("tls-server-end-point:this one"))
		if r := st.step(tok); r.more || !strings.Contains(r.res.Message, "data 80090346") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("another authorization identity is refused", func(t *testing.T) {
		st, ini, offer := td.establish(t, false, nil)
		reply, _, _, err := sasl.Negotiate(&ini.Context, offer, sasl.LayerIntegrity, 1<<16, `u:CONTOSO\krbtgt`)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.step(reply); r.id != nil || r.res.Code != ls.InvalidCredentials {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a non-empty second token is refused", func(t *testing.T) {
		ini, tok := td.initiator(t, "ldap/localhost", nil)
		st, _ := td.d.newGSSAPIBind(false, nil)
		r := st.step(tok)
		if _, _, err := ini.Step(r.out); err != nil {
			t.Fatal(err)
		}
		if r := st.step([]byte{1}); r.more || r.res.Code != ls.InvalidCredentials {
			t.Fatalf("%+v", r)
		}
	})
}

// FuzzGSSAPIBind feeds arbitrary bytes to the bind's first step (the
// AP-REQ) and to its last (the client's layer choice, after a real
// context is established): no panic, and nothing but a real choice binds.
func FuzzGSSAPIBind(f *testing.F) {
	td := newTestBindDirectory(f)
	ini, tok := td.initiator(f, "ldap/localhost", nil)
	_ = ini
	f.Add(tok, []byte{})
	f.Add([]byte{0x60, 0x03, 0x06, 0x01, 0x00}, []byte{0x05, 0x04, 0x00, 0xff})
	f.Add([]byte{}, []byte("\x05\x04\x06\xff\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, first, last []byte) {
		st, err := td.d.newGSSAPIBind(false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.step(first); r.id != nil {
			t.Fatal("a bind completed in one step")
		}
		st, _, _ = td.establish(t, false, nil)
		if r := st.step(last); r.id != nil {
			t.Fatal("arbitrary bytes completed the bind")
		}
	})
}

// BenchmarkGSSAPIBind: a whole sealed GSSAPI bind in process — the
// client's TGS exchange and AP-REQ, the server's three steps, the client's
// layer choice.
func BenchmarkGSSAPIBind(b *testing.B) {
	td := newTestBindDirectory(b)
	for b.Loop() {
		st, ini, offer := td.establish(b, false, nil)
		reply, _, _, err := sasl.Negotiate(&ini.Context, offer, sasl.LayerConfidentiality, sasl.DefaultMaxBuf, "")
		if err != nil {
			b.Fatal(err)
		}
		if r := st.step(reply); r.id == nil {
			b.Fatal(r.res.Message)
		}
	}
}
