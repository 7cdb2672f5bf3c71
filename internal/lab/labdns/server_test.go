package labdns_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/lab/labdns"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

var loopback = testpeer.Loopback("internal/lab/labdns")

const (
	ldapPort = 1389
	kdcPort  = 1088
)

func validConfig() labdns.Config {
	return labdns.Config{
		Domain:   "contoso.com",
		DCName:   "dc1.contoso.com",
		DCAddrs:  []net.IP{net.ParseIP("127.0.0.25"), net.ParseIP("::1")},
		LDAPPort: ldapPort,
		KDCPort:  kdcPort,
	}
}

// lab is a running server: its UDP and TCP addresses.
type lab struct{ udp, tcp string }

// start serves cfg on the package's loopback address until the test ends.
func start(t *testing.T, cfg labdns.Config) lab {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s := &labdns.Server{Config: cfg}
	go func() { done <- s.Serve(ctx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return lab{udp: pc.LocalAddr().String(), tcp: ln.Addr().String()}
}

// resolver is Go's own resolver asking only the lab server.
func (l lab) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		if strings.HasPrefix(network, "tcp") {
			return d.DialContext(ctx, "tcp", l.tcp)
		}
		return d.DialContext(ctx, "udp", l.udp)
	}}
}

func (l lab) exchange(t *testing.T, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	addr := l.udp
	if network == "tcp" {
		addr = l.tcp
	}
	r, _, err := c.ExchangeContext(t.Context(), m, addr)
	if err != nil {
		t.Fatalf("%s query %v: %v", network, m.Question, err)
	}
	if r.Id != m.Id {
		t.Fatalf("reply ID %d, want %d", r.Id, m.Id)
	}
	return r
}

func TestGoResolverFindsServices(t *testing.T) {
	t.Parallel()
	l := start(t, validConfig())
	r := l.resolver()
	ctx := t.Context()
	for _, tt := range []struct {
		name string
		port uint16
	}{
		{"_ldap._tcp.dc._msdcs.contoso.com", ldapPort},
		{"_ldap._tcp.contoso.com", ldapPort},
		{"_ldap._tcp.pdc._msdcs.contoso.com", ldapPort},
		{"_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.contoso.com", ldapPort},
		{"_kerberos._tcp.contoso.com", kdcPort},
		{"_kerberos._udp.contoso.com", kdcPort},
		{"_kerberos._tcp.dc._msdcs.contoso.com", kdcPort},
		{"_KERBEROS._TCP.CONTOSO.COM", kdcPort},
	} {
		_, srvs, err := r.LookupSRV(ctx, "", "", tt.name)
		if err != nil {
			t.Errorf("LookupSRV %s: %v", tt.name, err)
			continue
		}
		if len(srvs) != 1 || srvs[0].Target != "dc1.contoso.com." || srvs[0].Port != tt.port || srvs[0].Priority != 0 || srvs[0].Weight != 100 {
			t.Errorf("LookupSRV %s = %+v, want one record 0 100 %d dc1.contoso.com.", tt.name, srvs, tt.port)
		}
	}
	_, srvs, err := r.LookupSRV(ctx, "ldap", "tcp", "dc._msdcs.contoso.com")
	if err != nil || len(srvs) != 1 {
		t.Errorf("LookupSRV(ldap, tcp, dc._msdcs.contoso.com) = %v, %v", srvs, err)
	}
	for _, host := range []string{"dc1.contoso.com", "DC1.Contoso.com", "contoso.com"} {
		addrs, err := r.LookupHost(ctx, host)
		if err != nil {
			t.Errorf("LookupHost %s: %v", host, err)
			continue
		}
		slices.Sort(addrs)
		if strings.Join(addrs, " ") != "127.0.0.25 ::1" {
			t.Errorf("LookupHost %s = %v, want 127.0.0.25 and ::1", host, addrs)
		}
	}
	// Services whose port is 0 are not there.
	if _, _, err := r.LookupSRV(ctx, "gc", "tcp", "contoso.com"); !isNotFound(err) {
		t.Errorf("LookupSRV _gc._tcp with GCPort 0: err = %v, want not found", err)
	}
	if _, err := r.LookupHost(ctx, "dc2.contoso.com"); !isNotFound(err) {
		t.Errorf("LookupHost dc2.contoso.com: err = %v, want not found", err)
	}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// TestDirectoryDiscoversTheDC: internal/directory's discovery, as the gmsa
// verbs run it without --server.
func TestDirectoryDiscoversTheDC(t *testing.T) {
	t.Parallel()
	l := start(t, validConfig())
	dcs, err := directory.DiscoverDCs(t.Context(), "CONTOSO.COM", l.resolver())
	if err != nil {
		t.Fatal(err)
	}
	if len(dcs) != 1 || dcs[0] != (directory.DC{Host: "dc1.contoso.com", Port: ldapPort}) {
		t.Errorf("DiscoverDCs = %+v, want dc1.contoso.com:%d", dcs, ldapPort)
	}
	if _, err := directory.DiscoverDCs(t.Context(), "fabrikam.com", l.resolver()); !errors.Is(err, directory.ErrNoDC) {
		t.Errorf("DiscoverDCs(fabrikam.com): err = %v, want ErrNoDC", err)
	}
}

// TestKerberosTransportDiscoversTheKDC: internal/krb5/transport's SRV
// discovery asks for the upper-case realm, which the lab answers.
func TestKerberosTransportDiscoversTheKDC(t *testing.T) {
	t.Parallel()
	l := start(t, validConfig())
	cfg, err := transport.ParseConfig([]byte("[libdefaults]\n default_realm = CONTOSO.COM\n"))
	if err != nil {
		t.Fatal(err)
	}
	kdcs, err := transport.New(cfg, transport.Options{Resolver: l.resolver()}).Discover(t.Context(), "CONTOSO.COM")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range kdcs {
		got = append(got, k.String())
	}
	if want := "dc1.contoso.com:" + strconv.Itoa(kdcPort); strings.Join(got, " ") != want {
		t.Errorf("Discover = %v, want %s (UDP and TCP)", got, want)
	}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	cfg.KpasswdPort = 1464
	cfg.GCPort = 3268
	cfg.TTL = 30
	l := start(t, cfg)
	tests := []struct {
		name       string
		qname      string
		qtype      uint16
		class      uint16 // 0: IN
		opcode     int
		wantRcode  int
		wantAA     bool
		wantAnswer []string // RR strings, in order
		wantNs     int      // SOA records in the authority section
		wantExtra  int      // A/AAAA glue
	}{
		{
			name:  "an SRV question gets the record and the DC's addresses",
			qname: "_ldap._tcp.dc._msdcs.contoso.com.", qtype: dns.TypeSRV, wantAA: true,
			wantAnswer: []string{"_ldap._tcp.dc._msdcs.contoso.com.\t30\tIN\tSRV\t0 100 1389 dc1.contoso.com."},
			wantExtra:  2,
		},
		{
			name:  "the answer keeps the question's case",
			qname: "_KPASSWD._udp.Contoso.COM.", qtype: dns.TypeSRV, wantAA: true,
			wantAnswer: []string{"_KPASSWD._udp.Contoso.COM.\t30\tIN\tSRV\t0 100 1464 dc1.contoso.com."},
			wantExtra:  2,
		},
		{
			name: "the global catalog", qname: "_gc._tcp.contoso.com.", qtype: dns.TypeSRV, wantAA: true,
			wantAnswer: []string{"_gc._tcp.contoso.com.\t30\tIN\tSRV\t0 100 3268 dc1.contoso.com."}, wantExtra: 2,
		},
		{
			name: "A for the DC", qname: "dc1.contoso.com.", qtype: dns.TypeA, wantAA: true,
			wantAnswer: []string{"dc1.contoso.com.\t30\tIN\tA\t127.0.0.25"},
		},
		{
			name: "AAAA for the apex", qname: "contoso.com.", qtype: dns.TypeAAAA, wantAA: true,
			wantAnswer: []string{"contoso.com.\t30\tIN\tAAAA\t::1"},
		},
		{
			name: "SOA for the apex", qname: "contoso.com.", qtype: dns.TypeSOA, wantAA: true,
			wantAnswer: []string{"contoso.com.\t30\tIN\tSOA\tdc1.contoso.com. hostmaster.contoso.com. 1 900 600 86400 30"},
		},
		{
			name: "NS for the apex, with glue", qname: "contoso.com.", qtype: dns.TypeNS, wantAA: true,
			wantAnswer: []string{"contoso.com.\t30\tIN\tNS\tdc1.contoso.com."}, wantExtra: 2,
		},
		{
			name: "a type the name lacks is NODATA with the SOA", qname: "dc1.contoso.com.", qtype: dns.TypeTXT,
			wantAA: true, wantNs: 1,
		},
		{
			name: "an empty non-terminal is NODATA, not NXDOMAIN", qname: "_msdcs.contoso.com.", qtype: dns.TypeSRV,
			wantAA: true, wantNs: 1,
		},
		{
			name: "another name in the domain is NXDOMAIN with the SOA", qname: "dc2.contoso.com.", qtype: dns.TypeA,
			wantRcode: dns.RcodeNameError, wantAA: true, wantNs: 1,
		},
		{
			name: "a name below an SRV owner is NXDOMAIN", qname: "x._ldap._tcp.contoso.com.", qtype: dns.TypeSRV,
			wantRcode: dns.RcodeNameError, wantAA: true, wantNs: 1,
		},
		{
			name: "a name outside the domain is REFUSED", qname: "www.example.com.", qtype: dns.TypeA,
			wantRcode: dns.RcodeRefused,
		},
		{
			name: "a domain that only ends like ours is REFUSED", qname: "notcontoso.com.", qtype: dns.TypeA,
			wantRcode: dns.RcodeRefused,
		},
		{
			name: "the root is REFUSED", qname: ".", qtype: dns.TypeNS, wantRcode: dns.RcodeRefused,
		},
		{
			name: "class CHAOS is REFUSED", qname: "contoso.com.", qtype: dns.TypeTXT, class: dns.ClassCHAOS,
			wantRcode: dns.RcodeRefused,
		},
		{
			name: "NOTIFY is not implemented", qname: "contoso.com.", qtype: dns.TypeSOA, opcode: dns.OpcodeNotify,
			wantRcode: dns.RcodeNotImplemented,
		},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				m := new(dns.Msg)
				m.SetQuestion(tt.qname, tt.qtype)
				if tt.class != 0 {
					m.Question[0].Qclass = tt.class
				}
				m.Opcode = tt.opcode
				r := l.exchange(t, network, m)
				if r.Rcode != tt.wantRcode || r.Authoritative != tt.wantAA || r.RecursionAvailable || !r.Response {
					t.Errorf("rcode %s AA %v RA %v, want %s AA %v RA false", dns.RcodeToString[r.Rcode], r.Authoritative, r.RecursionAvailable, dns.RcodeToString[tt.wantRcode], tt.wantAA)
				}
				var got []string
				for _, rr := range r.Answer {
					got = append(got, rr.String())
				}
				if strings.Join(got, "\n") != strings.Join(tt.wantAnswer, "\n") {
					t.Errorf("answer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantAnswer, "\n"))
				}
				if len(r.Ns) != tt.wantNs || (tt.wantNs == 1 && r.Ns[0].Header().Rrtype != dns.TypeSOA) {
					t.Errorf("authority %v, want %d SOA", r.Ns, tt.wantNs)
				}
				if len(r.Extra) != tt.wantExtra {
					t.Errorf("additional %v, want %d records", r.Extra, tt.wantExtra)
				}
				for _, rr := range r.Extra {
					if rr.Header().Name != "dc1.contoso.com." {
						t.Errorf("additional record %v is not the DC's address", rr)
					}
				}
			})
		}
	}
}

// TestTruncation: a reply too big for UDP has TC set; the Go resolver then
// asks over TCP and gets every address.
func TestTruncation(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	cfg.DCAddrs = nil
	for i := range 40 {
		cfg.DCAddrs = append(cfg.DCAddrs, net.ParseIP(fmt.Sprintf("fd00::%x", i+1)))
	}
	l := start(t, cfg)
	m := new(dns.Msg)
	m.SetQuestion("dc1.contoso.com.", dns.TypeAAAA)
	udp := l.exchange(t, "udp", m)
	if !udp.Truncated || len(udp.Answer) >= 40 {
		t.Errorf("UDP reply: TC %v with %d answers, want TC and fewer than 40", udp.Truncated, len(udp.Answer))
	}
	if tcp := l.exchange(t, "tcp", m); tcp.Truncated || len(tcp.Answer) != 40 {
		t.Errorf("TCP reply: TC %v with %d answers, want all 40", tcp.Truncated, len(tcp.Answer))
	}
	m.SetEdns0(4096, false)
	if udp := l.exchange(t, "udp", m); udp.Truncated || len(udp.Answer) != 40 || udp.IsEdns0() == nil {
		t.Errorf("UDP reply with EDNS0 4096: TC %v with %d answers, OPT %v; want all 40 and an OPT", udp.Truncated, len(udp.Answer), udp.IsEdns0())
	}
	addrs, err := l.resolver().LookupHost(t.Context(), "dc1.contoso.com")
	if err != nil || len(addrs) != 40 {
		t.Errorf("LookupHost = %d addresses, %v; want 40", len(addrs), err)
	}
}

func TestUnknownEDNSVersionIsBadVers(t *testing.T) {
	t.Parallel()
	l := start(t, validConfig())
	m := new(dns.Msg)
	m.SetQuestion("dc1.contoso.com.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().SetVersion(1)
	r := l.exchange(t, "udp", m)
	if r.Rcode != dns.RcodeBadVers || len(r.Answer) != 0 {
		t.Errorf("rcode %s with %d answers, want BADVERS and none", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
}

// TestMalformedPackets: garbage over UDP and TCP gets FORMERR or nothing,
// never a crash, and the server answers the next good query.
func TestMalformedPackets(t *testing.T) {
	t.Parallel()
	l := start(t, validConfig())
	good := new(dns.Msg)
	good.SetQuestion("dc1.contoso.com.", dns.TypeA)
	wire, err := good.Pack()
	if err != nil {
		t.Fatal(err)
	}
	badLabel := append([]byte(nil), wire...)
	badLabel[12] = 0xC0 // a compression pointer where the question starts, pointing at itself
	badLabel[13] = 12
	twoQuestions := append([]byte(nil), wire...)
	twoQuestions[5] = 2
	packets := [][]byte{
		{},
		{0x12},
		wire[:11],
		wire[:len(wire)-3],
		badLabel,
		twoQuestions,
		append(wire, make([]byte, 3000)...),
		[]byte(strings.Repeat("\xff", 600)),
	}
	for _, p := range packets {
		c, err := net.Dial("udp", l.udp)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(p)
		c.Close()
		tc, err := net.Dial("tcp", l.tcp)
		if err != nil {
			t.Fatal(err)
		}
		tc.SetDeadline(time.Now().Add(200 * time.Millisecond))
		frame := append([]byte{byte(len(p) >> 8), byte(len(p))}, p...)
		tc.Write(frame)
		buf := make([]byte, 2)
		tc.Read(buf) // FORMERR or a close; either is fine
		tc.Close()
	}
	// A TCP length prefix that promises more than comes, then silence.
	tc, err := net.Dial("tcp", l.tcp)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte{0xff, 0xff, 1, 2, 3})
	defer tc.Close()
	for _, network := range []string{"udp", "tcp"} {
		if r := l.exchange(t, network, good); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("%s after malformed packets: %v", network, r)
		}
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(*labdns.Config)
		wantErr string
	}{
		{"an empty domain", func(c *labdns.Config) { c.Domain = "" }, `labdns: Domain "": not a DNS domain name`},
		{"a DC outside the domain", func(c *labdns.Config) { c.DCName = "dc1.fabrikam.com" }, `labdns: DCName "dc1.fabrikam.com": not a host name inside domain "contoso.com"`},
		{"no DC address", func(c *labdns.Config) { c.DCAddrs = nil }, `labdns: DCAddrs: no address for "dc1.contoso.com"`},
		{"a bad address", func(c *labdns.Config) { c.DCAddrs = []net.IP{{1, 2, 3}} }, `labdns: DCAddrs: ?010203 is not an IP address`},
		{"a port out of range", func(c *labdns.Config) { c.KDCPort = 70000 }, `labdns: KDCPort 70000: not a port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tt.mutate(&cfg)
			pc, err := net.ListenPacket("udp", net.JoinHostPort(loopback, "0"))
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			err = (&labdns.Server{Config: cfg}).Serve(t.Context(), pc, nil)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Serve: err = %v, want %s", err, tt.wantErr)
			}
		})
	}
	if err := (&labdns.Server{Config: validConfig()}).Serve(t.Context(), nil, nil); err == nil {
		t.Error("Serve with no listener succeeded")
	}
}

// TestServeOnlyUDP: a nil TCP listener is fine, and ending the context
// stops the server and closes its socket.
func TestServeOnlyUDP(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- (&labdns.Server{Config: validConfig()}).Serve(ctx, pc, nil) }()
	m := new(dns.Msg)
	m.SetQuestion("contoso.com.", dns.TypeSOA)
	if r := (lab{udp: pc.LocalAddr().String()}).exchange(t, "udp", m); len(r.Answer) != 1 {
		t.Errorf("SOA answer %v", r.Answer)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := pc.WriteTo([]byte{0}, pc.LocalAddr()); err == nil {
		t.Error("the UDP socket is still open after Serve returned")
	}
}
