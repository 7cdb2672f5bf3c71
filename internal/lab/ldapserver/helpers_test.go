package ldapserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// testPKI is a CA and a server certificate for the package's loopback address.
type testPKI struct {
	pool   *x509.CertPool
	caPEM  []byte // written into each test's own directory: a shared PKI outlives any one test
	server tls.Certificate
}

func newPKI(t testing.TB, ip string) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ldapserver test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP(ip)},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{pool: x509.NewCertPool(), server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
	p.pool.AddCert(ca)
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return p
}

func (p *testPKI) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.pool, ServerName: loopback()}
}

func loopback() string { return testpeer.Loopback("internal/lab/ldapserver") }

var (
	pkiOnce sync.Once
	pki     *testPKI
)

// sharedPKI builds one CA for the whole test binary.
func sharedPKI(t testing.TB) *testPKI {
	pkiOnce.Do(func() { pki = newPKI(t, loopback()) })
	return pki
}

// testEnv is a running server with its plain and LDAPS addresses.
type testEnv struct {
	srv     *Server
	handler *memHandler
	ldap    string // host:port, plain + StartTLS
	ldaps   string // host:port, TLS from the first byte
	pki     *testPKI
}

// panicDN makes the test handler panic, as a handler bug would.
const panicDN = "cn=panic"

func startServer(t testing.TB, mutate func(*Server)) *testEnv {
	t.Helper()
	p := sharedPKI(t)
	h := newMemHandler()
	srv := &Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.server}}}
	if os.Getenv("LDAPSERVER_DEBUG") != "" {
		srv.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if mutate != nil {
		mutate(srv)
	}
	l1, err := net.Listen("tcp", loopback()+":0")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := net.Listen("tcp", loopback()+":0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ctx, l1) }()
	n := 1
	if srv.TLSConfig != nil {
		n = 2
		go func() { errs <- srv.ServeTLS(ctx, l2) }()
	} else {
		l2.Close()
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			select {
			case err := <-errs:
				if err != nil {
					t.Errorf("Serve returned %v after cancel, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Serve did not return within 10s of cancel")
			}
		}
	})
	return &testEnv{srv: srv, handler: h, ldap: l1.Addr().String(), ldaps: l2.Addr().String(), pki: p}
}

// memEntry is an in-memory directory entry.
type memEntry struct {
	dn    string
	attrs []Attribute
}

func (e *memEntry) DN() string { return e.dn }

func (e *memEntry) Get(attr string) [][]byte {
	for _, a := range e.attrs {
		if strings.EqualFold(a.Name, attr) {
			return a.Values
		}
	}
	return nil
}

const (
	baseDN    = "dc=example,dc=com"
	adminDN   = "cn=admin,dc=example,dc=com"
	adminPass = "secret"
	slowDN    = "cn=slow,dc=example,dc=com"
)

type testSchema struct{}

func (testSchema) Syntax(attr string) Syntax {
	switch strings.ToLower(attr) {
	case "uidnumber", "useraccountcontrol":
		return Integer
	case "objectsid":
		return SID
	case "member", "manager":
		return DN
	case "whencreated":
		return GeneralizedTime
	case "iscriticalsystemobject":
		return Boolean
	case "userpassword":
		return OctetString
	case "nosuchattr":
		return UnknownAttribute
	}
	return CaseIgnoreString
}

func isOperational(name string) bool {
	return strings.EqualFold(name, "whenCreated") || strings.EqualFold(name, "entryDN")
}

// memHandler is a small directory for tests.
type memHandler struct {
	mu          sync.Mutex
	entries     map[string]*memEntry // lower-case DN
	slowStarted chan struct{}
	slowDone    chan error // the ctx error the slow search saw
	lastConn    *Conn
}

func attr(name string, vals ...string) Attribute {
	a := Attribute{Name: name}
	for _, v := range vals {
		a.Values = append(a.Values, []byte(v))
	}
	return a
}

func newMemHandler() *memHandler {
	h := &memHandler{entries: map[string]*memEntry{}, slowStarted: make(chan struct{}, 1), slowDone: make(chan error, 1)}
	add := func(dn string, attrs ...Attribute) { h.entries[strings.ToLower(dn)] = &memEntry{dn: dn, attrs: attrs} }
	add(baseDN, attr("objectClass", "top", "domain"), attr("dc", "example"), attr("whenCreated", "20240101000000.0Z"))
	add("ou=people,"+baseDN, attr("objectClass", "top", "organizationalUnit"), attr("ou", "people"))
	add("ou=groups,"+baseDN, attr("objectClass", "top", "organizationalUnit"), attr("ou", "groups"))
	add(adminDN, attr("objectClass", "top", "person"), attr("cn", "admin"), attr("userPassword", adminPass))
	add(slowDN, attr("objectClass", "top"), attr("cn", "slow"))
	for i := range 25 {
		cn := "user" + twoDigits(i)
		uac := "512"
		if i%5 == 0 {
			uac = "514"
		}
		add("cn="+cn+",ou=people,"+baseDN,
			attr("objectClass", "top", "person", "user"), attr("cn", cn), attr("sn", "Number "+twoDigits(i)),
			attr("mail", cn+"@example.com"), attr("uidNumber", itoa(1000+i)), attr("userAccountControl", uac),
			attr("whenCreated", "2024010"+string(rune('1'+i%9))+"120000Z"))
	}
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xe9, 3, 0, 0}
	add("cn=group1,ou=groups,"+baseDN, attr("objectClass", "top", "group"), attr("cn", "group1"),
		attr("member", "cn=user01,ou=people,"+baseDN, "cn=user02,ou=people,"+baseDN),
		Attribute{Name: "objectSid", Values: [][]byte{sid}}, attr("isCriticalSystemObject", "TRUE"))
	return h
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func parentDN(dn string) string {
	_, p, _ := strings.Cut(dn, ",")
	return p
}

// xorLayer is a trivial SASL security layer for tests.
type xorLayer struct{ key byte }

func (x xorLayer) Wrap(p []byte) ([]byte, error) {
	out := make([]byte, len(p)+1)
	out[0] = 'X'
	for i, b := range p {
		out[i+1] = b ^ x.key
	}
	return out, nil
}

func (x xorLayer) Unwrap(p []byte) ([]byte, error) {
	if len(p) == 0 || p[0] != 'X' {
		return nil, errors.New("xor layer: missing marker")
	}
	out := make([]byte, len(p)-1)
	for i, b := range p[1:] {
		out[i] = b ^ x.key
	}
	return out, nil
}

func (xorLayer) MaxIncoming() int   { return 1 << 16 }
func (xorLayer) Confidential() bool { return true }

func (h *memHandler) Bind(ctx context.Context, c *Conn, r *BindRequest) BindResult {
	h.mu.Lock()
	h.lastConn = c
	h.mu.Unlock()
	if r.Simple == nil {
		if r.Mechanism != "XOR-TEST" {
			return BindResult{Result: Result{Code: AuthMethodNotSupported, Message: "mechanism " + r.Mechanism}}
		}
		c.InstallSecurityLayer(xorLayer{key: 0x5a})
		c.SetAuthzID("dn:cn=sasl")
		c.SetIdentity("sasl")
		return BindResult{Result: Result{Code: Success}, ServerSASLCreds: []byte("ok")}
	}
	if r.Name == "" && len(r.Simple) == 0 {
		return BindResult{}
	}
	if !strings.EqualFold(r.Name, adminDN) || string(r.Simple) != adminPass {
		// A misbehaving handler: it sets an identity and still fails; the
		// server must not keep it.
		c.SetAuthzID("dn:" + r.Name)
		return BindResult{Result: Result{Code: InvalidCredentials, Message: "bad name or password"}}
	}
	c.SetIdentity(adminDN)
	c.SetAuthzID("dn:" + adminDN)
	return BindResult{}
}

func (h *memHandler) Search(ctx context.Context, c *Conn, r *SearchRequest, w *SearchWriter) Result {
	if strings.EqualFold(r.BaseDN, panicDN) {
		var m map[string]int
		m["boom"]++ // a handler bug: a nil map write
	}
	if strings.EqualFold(r.BaseDN, slowDN) {
		h.slowStarted <- struct{}{}
		<-ctx.Done()
		h.slowDone <- ctx.Err()
		return Result{Code: Success}
	}
	h.mu.Lock()
	base, ok := h.entries[strings.ToLower(r.BaseDN)]
	var list []*memEntry
	for _, e := range h.entries {
		list = append(list, e)
	}
	h.mu.Unlock()
	if !ok {
		return Result{Code: NoSuchObject, Message: "no such object: " + r.BaseDN}
	}
	slices.SortFunc(list, func(a, b *memEntry) int { return strings.Compare(a.dn, b.dn) })
	for _, e := range list {
		var inScope bool
		switch r.Scope {
		case ScopeBaseObject:
			inScope = e == base
		case ScopeSingleLevel:
			inScope = strings.EqualFold(parentDN(e.dn), base.dn)
		case ScopeWholeSubtree:
			inScope = e == base || strings.HasSuffix(strings.ToLower(e.dn), ","+strings.ToLower(base.dn))
		}
		if !inScope || r.Filter.Match(e, testSchema{}) != True {
			continue
		}
		if err := w.Entry(e.dn, SelectAttributes(r.Attributes, e.attrs, isOperational, r.TypesOnly)); err != nil {
			return Result{Code: Other, Message: err.Error()}
		}
	}
	if strings.EqualFold(r.BaseDN, "ou=groups,"+baseDN) && r.Scope != ScopeBaseObject {
		if err := w.Reference("ldap://other.example.com/ou=groups,dc=other,dc=com"); err != nil {
			return Result{Code: Other}
		}
	}
	return Result{Code: Success}
}

func (h *memHandler) Add(ctx context.Context, c *Conn, r *AddRequest) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.entries[strings.ToLower(r.DN)]; ok {
		return Result{Code: EntryAlreadyExists, Message: r.DN}
	}
	if _, ok := h.entries[strings.ToLower(parentDN(r.DN))]; !ok {
		return Result{Code: NoSuchObject, MatchedDN: baseDN}
	}
	h.entries[strings.ToLower(r.DN)] = &memEntry{dn: r.DN, attrs: r.Attrs}
	return Result{}
}

func (h *memHandler) Modify(ctx context.Context, c *Conn, r *ModifyRequest) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[strings.ToLower(r.DN)]
	if !ok {
		return Result{Code: NoSuchObject}
	}
	for _, ch := range r.Changes {
		i := slices.IndexFunc(e.attrs, func(a Attribute) bool { return strings.EqualFold(a.Name, ch.Attr.Name) })
		switch ch.Op {
		case ChangeAdd:
			if i < 0 {
				e.attrs = append(e.attrs, ch.Attr)
			} else {
				e.attrs[i].Values = append(e.attrs[i].Values, ch.Attr.Values...)
			}
		case ChangeDelete:
			if i < 0 {
				return Result{Code: NoSuchAttribute, Message: ch.Attr.Name}
			}
			e.attrs = slices.Delete(e.attrs, i, i+1)
		case ChangeReplace:
			if i >= 0 {
				e.attrs = slices.Delete(e.attrs, i, i+1)
			}
			if len(ch.Attr.Values) > 0 {
				e.attrs = append(e.attrs, ch.Attr)
			}
		}
	}
	return Result{}
}

func (h *memHandler) Delete(ctx context.Context, c *Conn, r *DeleteRequest) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.entries[strings.ToLower(r.DN)]; !ok {
		return Result{Code: NoSuchObject}
	}
	for k := range h.entries {
		if strings.HasSuffix(k, ","+strings.ToLower(r.DN)) {
			return Result{Code: NotAllowedOnNonLeaf}
		}
	}
	delete(h.entries, strings.ToLower(r.DN))
	return Result{}
}

func (h *memHandler) ModifyDN(ctx context.Context, c *Conn, r *ModifyDNRequest) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[strings.ToLower(r.DN)]
	if !ok {
		return Result{Code: NoSuchObject}
	}
	parent := parentDN(r.DN)
	if r.NewSuperior != "" {
		parent = r.NewSuperior
	}
	newDN := r.NewRDN + "," + parent
	if _, ok := h.entries[strings.ToLower(newDN)]; ok {
		return Result{Code: EntryAlreadyExists}
	}
	delete(h.entries, strings.ToLower(r.DN))
	e.dn = newDN
	h.entries[strings.ToLower(newDN)] = e
	return Result{}
}

func (h *memHandler) Compare(ctx context.Context, c *Conn, r *CompareRequest) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[strings.ToLower(r.DN)]
	if !ok {
		return Result{Code: NoSuchObject}
	}
	f := Filter{Kind: FilterEquality, Attr: r.Attr, Value: r.Value}
	if f.Match(e, testSchema{}) == True {
		return Result{Code: CompareTrue}
	}
	return Result{Code: CompareFalse}
}
