package kdc

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const (
	testRealm     = "CONTOSO.COM"
	adminPassword = "Adm1n-Pa55!"
	node1Password = "Node1-Machine-Pw"
	// The gMSA's managed passwords before and after its last rollover.
	gmsaPreviousPassword = "WebApp01-previous-managed-password"
	gmsaCurrentPassword  = "WebApp01-current-managed-password"
	gmsaSalt             = "CONTOSO.COMhostwebapp01.contoso.com"
)

var domainSID = mustSID("S-1-5-21-1004336348-1177238915-682003330")

func mustSID(s string) adtypes.SID {
	sid, err := adtypes.ParseSID(s)
	if err != nil {
		panic(err)
	}
	return sid
}

// testAccount is one account of the test directory.
type testAccount struct {
	Principal
	spns []string // servicePrincipalName values
}

// testDir is an in-memory Backend holding the realm of the brief:
// Administrator, the computer NODE1$, the gMSA WebApp01$ (keys of its
// current and previous passwords), krbtgt, and a disabled user.
type testDir struct {
	accounts []*testAccount
}

func aesKeys(t testing.TB, password, salt string, kvno uint32) []Key {
	t.Helper()
	var ks []Key
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		k, err := crypto.StringToKey(e, password, salt, nil)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, Key{Kvno: kvno, Key: k})
	}
	return ks
}

var aes = []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196}

func newTestDir(t testing.TB) *testDir {
	t.Helper()
	base := Principal{Realm: testRealm, Enctypes: aes, DNSDomain: "contoso.com", NetBIOSDomain: "CONTOSO"}
	acct := func(p Principal, spns ...string) *testAccount {
		p.Realm, p.Enctypes, p.DNSDomain, p.NetBIOSDomain = base.Realm, base.Enctypes, base.DNSDomain, base.NetBIOSDomain
		return &testAccount{Principal: p, spns: spns}
	}
	tgtKey, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tgtKey128, err := crypto.GenerateKey(crypto.AES128CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testDir{accounts: []*testAccount{
		acct(Principal{
			SAMAccountName: "Administrator", Keys: aesKeys(t, adminPassword, "CONTOSO.COMAdministrator", 1),
			Salt: "CONTOSO.COMAdministrator", UserSID: domainSID.WithRID(500), PrimaryGroupRID: 513,
			GroupSIDs: []adtypes.SID{domainSID.WithRID(512), domainSID.WithRID(513), domainSID.WithRID(519), mustSID("S-1-5-32-544")},
			UPN:       "Administrator@contoso.com", FullName: "Administrator",
		}),
		acct(Principal{
			SAMAccountName: "NODE1$", Keys: aesKeys(t, node1Password, "CONTOSO.COMhostnode1.contoso.com", 1),
			Salt: "CONTOSO.COMhostnode1.contoso.com", UserSID: domainSID.WithRID(1104), PrimaryGroupRID: 515,
			GroupSIDs: []adtypes.SID{domainSID.WithRID(515), domainSID.WithRID(1106)}, IsService: true,
		}, "host/node1.contoso.com", "host/NODE1"),
		acct(Principal{
			SAMAccountName: "WebApp01$",
			Keys: append(aesKeys(t, gmsaCurrentPassword, gmsaSalt, 2),
				aesKeys(t, gmsaPreviousPassword, gmsaSalt, 1)...),
			Salt: gmsaSalt, UserSID: domainSID.WithRID(1105), PrimaryGroupRID: 515,
			GroupSIDs: []adtypes.SID{domainSID.WithRID(515), domainSID.WithRID(1107)}, IsService: true,
		}, "http/mysite.contoso.com", "host/WebApp01"),
		acct(Principal{
			SAMAccountName: "krbtgt", Keys: []Key{{Kvno: 1, Key: tgtKey}, {Kvno: 1, Key: tgtKey128}},
			UserSID: domainSID.WithRID(502), PrimaryGroupRID: 513, IsService: true,
		}, "krbtgt/"+testRealm),
		acct(Principal{
			SAMAccountName: "Disabled", Keys: aesKeys(t, "Disabled-Pw-1", "CONTOSO.COMDisabled", 1),
			Salt: "CONTOSO.COMDisabled", UserSID: domainSID.WithRID(1110), PrimaryGroupRID: 513, Disabled: true,
		}),
	}}
}

func (d *testDir) get(sam string) *testAccount {
	for _, a := range d.accounts {
		if strings.EqualFold(a.SAMAccountName, sam) {
			return a
		}
	}
	panic("no test account " + sam)
}

func (d *testDir) Client(_ context.Context, name msg.PrincipalName, realm string) (*Principal, error) {
	if name.NameType == msg.NameTypeEnterprise && len(name.NameString) == 1 {
		for _, a := range d.accounts {
			if a.UPN != "" && strings.EqualFold(a.UPN, name.NameString[0]) {
				p := a.Principal
				return &p, nil
			}
		}
		return nil, ErrUnknown
	}
	n := strings.Join(name.NameString, "/")
	if h, ok := strings.CutPrefix(strings.ToLower(n), "host/"); ok {
		h, _, _ = strings.Cut(h, ".")
		n = h + "$"
	}
	for _, a := range d.accounts {
		if strings.EqualFold(a.SAMAccountName, n) || strings.EqualFold(a.SAMAccountName, n+"$") && strings.HasSuffix(a.SAMAccountName, "$") {
			p := a.Principal
			return &p, nil
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrUnknown, name)
}

func (d *testDir) Service(_ context.Context, name msg.PrincipalName, realm string) (*Principal, error) {
	n := strings.Join(name.NameString, "/")
	for _, a := range d.accounts {
		match := strings.EqualFold(a.SAMAccountName, n) || strings.EqualFold("host/"+strings.TrimSuffix(a.SAMAccountName, "$"), n)
		for _, s := range a.spns {
			match = match || strings.EqualFold(s, n)
		}
		if match {
			p := a.Principal
			return &p, nil
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrUnknown, name)
}

// handleTransport is a client.Transport that calls Handle directly.
type handleTransport struct{ k *KDC }

func (h handleTransport) RoundTrip(ctx context.Context, _ string, b []byte) ([]byte, error) {
	out := h.k.Handle(ctx, b, nil)
	if out == nil {
		return nil, fmt.Errorf("no reply")
	}
	return out, nil
}

// served is a KDC on the package's loopback address, UDP and TCP on one
// port as krb5.conf's "kdc = host:port" needs.
type served struct {
	kdc  *KDC
	dir  *testDir
	addr string // "127.0.0.24:port"
	udp  *recordingPacketConn
}

func serve(t testing.TB, mutate func(*KDC)) *served {
	t.Helper()
	dir := newTestDir(t)
	k := &KDC{Realm: testRealm, Backend: dir, Now: time.Now}
	if mutate != nil {
		mutate(k)
	}
	ip := testpeer.Loopback("internal/lab/kdc")
	var (
		l   net.Listener
		pc  net.PacketConn
		err error
	)
	for range 20 {
		if l, err = net.Listen("tcp", net.JoinHostPort(ip, "0")); err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp", l.Addr().String()); err == nil {
			break
		}
		l.Close()
	}
	if err != nil {
		t.Fatalf("no free port on %s for both UDP and TCP: %v", ip, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- k.ServeTCP(ctx, l) }()
	rec := &recordingPacketConn{PacketConn: pc}
	go func() { done <- k.ServeUDP(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
		pc.Close()
	})
	return &served{kdc: k, dir: dir, addr: l.Addr().String(), udp: rec}
}

// recordingPacketConn keeps every datagram received: real requests from
// MIT's tools, to seed the fuzz target.
type recordingPacketConn struct {
	net.PacketConn
	mu   sync.Mutex
	reqs [][]byte
}

func (c *recordingPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	if err == nil {
		c.mu.Lock()
		c.reqs = append(c.reqs, append([]byte(nil), b[:n]...))
		c.mu.Unlock()
	}
	return n, addr, err
}

func (c *recordingPacketConn) requests() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// krb5conf writes a krb5.conf for MIT tools and our transport pointing at
// s; udpLimit 1 forces TCP, 0 leaves MIT's default (UDP first).
func (s *served) krb5conf(t testing.TB, udpLimit int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n", testRealm)
	b.WriteString(" rdns = false\n dns_canonicalize_hostname = false\n")
	b.WriteString(" permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n")
	if udpLimit > 0 {
		fmt.Fprintf(&b, " udp_preference_limit = %d\n", udpLimit)
	}
	fmt.Fprintf(&b, "[realms]\n %s = {\n  kdc = %s\n  primary_kdc = %s\n }\n", testRealm, s.addr, s.addr)
	path := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ourClient is this project's client over the real transport to s.
func (s *served) ourClient(t testing.TB, udpLimit int) *client.Client {
	t.Helper()
	cfg, err := transport.LoadConfig(s.krb5conf(t, udpLimit))
	if err != nil {
		t.Fatal(err)
	}
	return &client.Client{Transport: transport.New(cfg, transport.Options{UDPPreferenceLimit: udpLimit}), Now: time.Now, Rand: rand.Reader}
}

// writeKeytab writes the keys of account sam with kvno into a keytab file.
func writeKeytab(t testing.TB, path, sam string, keys []Key, kvno uint32) {
	t.Helper()
	var kt keytab.Keytab
	for _, k := range keys {
		if k.Kvno != kvno {
			continue
		}
		kt.Entries = append(kt.Entries, keytab.Entry{
			Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: []string{sam}, Realm: testRealm},
			Timestamp: time.Unix(1700000000, 0), KVNO: k.Kvno, Key: k.Key,
		})
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
