package directory_test

// DC discovery against a tiny DNS server on this package's own loopback
// address: no test here asks the machine's resolver anything. The failover
// tests dial a dead port, a plain TCP listener, and the package's Samba DC.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

var dnsLoopback = testpeer.Loopback("internal/directory/dns")

// dnsZone is what the test DNS server knows.
type dnsZone = testpeer.DNSZone

// dnsServer serves zone on the package's DNS loopback address and returns a
// resolver that asks only it.
func dnsServer(t *testing.T, zone dnsZone) *net.Resolver {
	t.Helper()
	return transport.ResolverFor(testpeer.StartDNS(t, dnsLoopback, zone))
}

func srv(prio uint16, target string, port int) dnsmessage.SRVResource {
	return dnsmessage.SRVResource{Priority: prio, Weight: 0, Port: uint16(port), Target: dnsmessage.MustNewName(target)}
}

func ipv4(s string) [4]byte { return netip.MustParseAddr(s).As4() }

// deadPort returns a port on the DNS loopback address that refuses
// connections.
func deadPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(dnsLoopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

const contosoSRV = "_ldap._tcp.dc._msdcs.contoso.com."

func TestDiscoverDCsOrder(t *testing.T) {
	t.Parallel()
	r := dnsServer(t, dnsZone{SRV: map[string][]dnsmessage.SRVResource{
		contosoSRV: {
			srv(10, "dc2.contoso.com.", 389),
			srv(0, "DC1.contoso.com.", 3389),
			srv(20, ".", 389),                 // RFC 2782: no service
			srv(30, "dc1.contoso.com.", 3389), // a duplicate, at a worse priority
		},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, domain := range []string{"contoso.com", "Contoso.COM."} {
		dcs, err := directory.DiscoverDCs(ctx, domain, r)
		if err != nil {
			t.Fatal(err)
		}
		want := []directory.DC{{Host: "dc1.contoso.com", Port: 3389}, {Host: "dc2.contoso.com", Port: 389}}
		if !slices.Equal(dcs, want) {
			t.Errorf("DiscoverDCs(%q) = %v, want %v", domain, dcs, want)
		}
	}
}

func TestDiscoverDCsNone(t *testing.T) {
	t.Parallel()
	r := dnsServer(t, dnsZone{SRV: map[string][]dnsmessage.SRVResource{
		"_ldap._tcp.dc._msdcs.fabrikam.com.": {srv(0, ".", 389)},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct{ domain, reason string }{
		{"contoso.com", "no such name"},
		{"fabrikam.com", "no SRV records"},
	} {
		dcs, err := directory.DiscoverDCs(ctx, tt.domain, r)
		if err == nil {
			t.Fatalf("%s: DiscoverDCs = %v, want an error", tt.domain, dcs)
		}
		name := "_ldap._tcp.dc._msdcs." + tt.domain
		var nd *directory.NoDCError
		var de *directory.Error
		if !errors.Is(err, directory.ErrNoDC) || !errors.As(err, &nd) || !errors.As(err, &de) {
			t.Fatalf("%s: err = %v (%T), want a *directory.Error with a *NoDCError", tt.domain, err, err)
		}
		if nd.Name != name || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: err = %v (Name %q), want it to name %s and say %q", tt.domain, err, nd.Name, name, tt.reason)
		}
		if de.Hint == "" {
			t.Errorf("%s: no hint", tt.domain)
		}
	}
}

// TestDialAnyFailover: the first DC by priority refuses connections, the
// second (a TCP listener that accepts) gets the connection.
func TestDialAnyFailover(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", net.JoinHostPort(dnsLoopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		accepted <- struct{}{}
		c.Read(make([]byte, 1)) // until DialAny's connection closes
	}()
	live, dead := l.Addr().(*net.TCPAddr).Port, deadPort(t)
	r := dnsServer(t, dnsZone{
		SRV: map[string][]dnsmessage.SRVResource{
			contosoSRV: {srv(10, "dc2.contoso.com.", live), srv(0, "dc1.contoso.com.", dead)},
		},
		A: map[string][4]byte{"dc1.contoso.com.": ipv4(dnsLoopback), "dc2.contoso.com.": ipv4(dnsLoopback)},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dcs, err := directory.DiscoverDCs(ctx, "contoso.com", r)
	if err != nil {
		t.Fatal(err)
	}
	if len(dcs) != 2 || dcs[0].Port != dead || dcs[1].Port != live {
		t.Fatalf("DiscoverDCs = %v, want the dead port %d first, then %d", dcs, dead, live)
	}
	c, err := directory.DialAny(ctx, dcs, "ldap", r, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-accepted:
	case <-ctx.Done():
		t.Error("the live DC accepted no connection")
	}
	c.Close()

	// Every DC dead: the error names every address tried, and one that
	// does not resolve.
	dcs = []directory.DC{{Host: "dc1.contoso.com", Port: dead}, {Host: "dc3.contoso.com", Port: 389}, {Host: dnsLoopback, Port: dead}}
	_, err = directory.DialAny(ctx, dcs, "ldap", r, directory.Options{})
	if err == nil {
		t.Fatal("DialAny to dead DCs succeeded")
	}
	deadAddr := net.JoinHostPort(dnsLoopback, strconv.Itoa(dead))
	for _, want := range []string{"dc1.contoso.com (ldap://" + deadAddr + ")", "ldap://dc3.contoso.com:389: resolve dc3.contoso.com: no such name", "ldap://" + deadAddr + ": ", "refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
	var de *directory.Error
	if !errors.As(err, &de) {
		t.Errorf("err is a %T, want *directory.Error", err)
	}

	if _, err := directory.DialAny(ctx, nil, "ldap", r, directory.Options{}); !errors.Is(err, directory.ErrNoDC) {
		t.Errorf("DialAny with no DCs: err = %v, want ErrNoDC", err)
	}
}

// TestDialAnySamba: discovery and failover to the package's Samba DC over
// ldaps://, checking its certificate for the name DNS gave, not the
// address dialled.
func TestDialAnySamba(t *testing.T) {
	s := samba(t)
	srvName := "_ldap._tcp.dc._msdcs." + s.Domain + "."
	r := dnsServer(t, dnsZone{
		SRV: map[string][]dnsmessage.SRVResource{
			srvName: {srv(5, "dc1."+s.Domain+".", 389), srv(0, "dead."+s.Domain+".", 389)},
		},
		A: map[string][4]byte{"dc1." + s.Domain + ".": ipv4(s.Addr), "dead." + s.Domain + ".": ipv4(dnsLoopback)},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dcs, err := directory.DiscoverDCs(ctx, s.Domain, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.DC{{Host: "dead." + s.Domain, Port: 389}, {Host: "dc1." + s.Domain, Port: 389}}
	if !slices.Equal(dcs, want) {
		t.Fatalf("DiscoverDCs = %v, want %v", dcs, want)
	}
	for _, scheme := range []string{"ldaps", "ldap"} {
		c, err := directory.DialAny(ctx, dcs, scheme, r, directory.Options{CAFile: s.CAFile})
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		dse, err := c.RootDSE(ctx)
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if !strings.EqualFold(dse.DNSHostName, "dc1."+s.Domain) {
			t.Errorf("%s: dnsHostName = %q, want dc1.%s", scheme, dse.DNSHostName, s.Domain)
		}
	}
}
