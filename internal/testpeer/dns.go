package testpeer

import (
	"net"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSZone is what a test DNS server knows: SRV and A records, keyed by the
// lower-case name with its trailing dot ("_ldap._tcp.dc._msdcs.contoso.com.").
type DNSZone struct {
	SRV map[string][]dnsmessage.SRVResource
	A   map[string][4]byte
}

// StartDNS serves zone over UDP on addr (a package's Loopback address, any
// port) until the test ends, answering NXDOMAIN for names it does not know,
// and returns its "host:port" — for a resolver that asks only it, so that no
// test depends on the machine's DNS.
func StartDNS(t testing.TB, addr string, zone DNSZone) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out, ok := answerDNS(zone, buf[:n]); ok {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func answerDNS(zone DNSZone, query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	name := strings.ToLower(q.Name.String())
	srvs, isSRV := zone.SRV[name]
	a, isHost := zone.A[name]
	if !isSRV && !isHost {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if isSRV && q.Type == dnsmessage.TypeSRV {
		for _, s := range srvs {
			b.SRVResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, s)
		}
	}
	if isHost && q.Type == dnsmessage.TypeA {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a})
	}
	out, err := b.Finish()
	return out, err == nil
}
