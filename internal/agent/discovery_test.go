package agent

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestDiscovery: without configured DCs the agent finds the DC by DNS SRV
// (_ldap._tcp.dc._msdcs.contoso.com, over LDAPS for a simple bind) and the
// KDC by the realm's _kerberos SRV records, asking the lab's DNS responder.
func TestDiscovery(t *testing.T) {
	addr := testpeer.Loopback("internal/agent")
	pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	tl := startLabDNS(t, port)
	if tl.info.LDAPSPort != 636 {
		testpeer.Missing(t, "port 636 on "+addr, fmt.Sprintf("LDAPS is on port %d: discovery dials 636 (the SRV records name the LDAP port only)", tl.info.LDAPSPort))
	}
	o := tl.options(t, t.TempDir())
	o.DCs = nil
	o.DNSServer = net.JoinHostPort(addr, strconv.Itoa(tl.info.DNSPort))
	a := newAgent(t, o)
	l, err := a.Create(context.Background(), root, CreateRequest{CredentialSpec: spec(t, "WebApp01")})
	if err != nil {
		t.Fatal(err)
	}
	if p := tgtOf(t, l.Dir); p == "" {
		t.Fatal("no TGT")
	}
}
