package lab

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestDiscoveryAndFailover: with --dns-port the lab answers the SRV query
// that finds DCs; a second lab serving a copy of the data directory on
// another address serves the same domain, and a client that finds the
// first DC down fails over to it.
func TestDiscoveryAndFailover(t *testing.T) {
	ipA, ipB := testpeer.Loopback("internal/lab"), testpeer.Loopback("internal/lab/failover")
	dirA := t.TempDir()
	d, err := Init(dirA, InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	sid := d.Domain().SID
	d.Close()

	// Discovery through the lab's own DNS responder.
	dnsPort := freeUDPPort(t, ipA)
	a := serveLabOpts(t, ServeOptions{Dir: dirA, Listen: ipA, KDCPort: -1, DNSPort: dnsPort})
	if a.info.DNSPort != dnsPort {
		t.Fatalf("lab.json dnsPort = %d, want %d", a.info.DNSPort, dnsPort)
	}
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, net.JoinHostPort(ipA, strconv.Itoa(dnsPort)))
	}}
	ctx := context.Background()
	dcs, err := directory.DiscoverDCs(ctx, "contoso.com", resolver)
	if err != nil {
		t.Fatal(err)
	}
	if len(dcs) != 1 || dcs[0].Host != "dc1.contoso.com" || dcs[0].Port != a.info.LDAPPort {
		t.Fatalf("discovered %+v, want dc1.contoso.com:%d", dcs, a.info.LDAPPort)
	}
	admin := a.dial(t, "", "")
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "BeforeCopy"}); err != nil {
		t.Fatal(err)
	}
	a.stop()

	// The copy, served on the second address.
	dirB := t.TempDir()
	for _, f := range []string{DBFile, "ca.pem", "ca.key"} {
		copyFile(t, filepath.Join(dirA, f), filepath.Join(dirB, f))
	}
	a = serveLabOpts(t, ServeOptions{Dir: dirA, Listen: ipA, KDCPort: -1})
	b := serveLabOpts(t, ServeOptions{Dir: dirB, Listen: ipB, KDCPort: -1})
	cb := b.dial(t, "", "")
	info, err := cb.DomainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SID.Equal(sid) {
		t.Fatalf("the copy serves domain %s, want %s", info.SID, sid)
	}
	if _, err := cb.FindAccount(ctx, "BeforeCopy"); err != nil {
		t.Fatalf("the copy lacks the group: %v", err)
	}

	// DC A goes down: the client fails over to B.
	a.stop()
	c, err := directory.DialAny(ctx, []directory.DC{{Host: ipA, Port: 389}, {Host: ipB, Port: b.info.LDAPPort}}, "ldaps", nil,
		directory.Options{CAFile: filepath.Join(dirB, "ca.pem"), ServerName: "dc1.contoso.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("failover: %v", err)
	}
	defer c.Close()
	if err := c.BindSimple(ctx, "Administrator@contoso.com", testAdminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindAccount(ctx, "BeforeCopy"); err != nil {
		t.Fatal(err)
	}
}

func serveLabOpts(t testing.TB, o ServeOptions) *testLab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tl := &testLab{dir: o.Dir, password: testAdminPassword, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan *Info, 1)
	o.Ready = func(i *Info) { ready <- i }
	go func() { tl.done <- Serve(ctx, o) }()
	select {
	case tl.info = <-ready:
	case err := <-tl.done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("lab did not start")
	}
	t.Cleanup(tl.stop)
	return tl
}

func freeUDPPort(t testing.TB, ip string) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
