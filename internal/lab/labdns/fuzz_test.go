package labdns

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// FuzzAnswer feeds any message that miekg/dns accepts to the zone's answer
// logic: it must not panic, and its reply must pack, carry the query's ID
// and, over UDP, fit what the client can take.
func FuzzAnswer(f *testing.F) {
	z, err := newZone(Config{Domain: "contoso.com", DCName: "dc1.contoso.com",
		DCAddrs: []net.IP{net.ParseIP("127.0.0.25"), net.ParseIP("::1")}, LDAPPort: 389, KDCPort: 88, GCPort: 3268})
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{
		{"_ldap._tcp.dc._msdcs.contoso.com.", dns.TypeSRV, false},
		{"_KERBEROS._udp.CONTOSO.com.", dns.TypeSRV, true},
		{"dc1.contoso.com.", dns.TypeANY, true},
		{"contoso.com.", dns.TypeNS, false},
		{"nope.contoso.com.", dns.TypeA, false},
		{"example.com.", dns.TypeA, false},
		{".", dns.TypeSOA, true},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		if q.edns {
			m.SetEdns0(600, false)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(dns.Msg)
		if req.Unpack(data) != nil || req.Response {
			return
		}
		for _, network := range []string{"udp", "tcp"} {
			r := z.answer(req, network)
			b, err := r.Pack()
			if err != nil {
				t.Fatalf("reply to %v does not pack: %v", req.Question, err)
			}
			if r.Id != req.Id || !r.Response {
				t.Fatalf("reply ID %d response %v, want %d true", r.Id, r.Response, req.Id)
			}
			limit := dns.MinMsgSize
			if opt := req.IsEdns0(); opt != nil {
				limit = max(int(opt.UDPSize()), dns.MinMsgSize)
			}
			if network == "udp" && len(b) > limit {
				t.Fatalf("UDP reply of %d bytes, client takes %d", len(b), limit)
			}
		}
	})
}
