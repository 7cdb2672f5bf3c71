package labdns

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// zone is the domain's records, built once from a Config.
type zone struct {
	domain  string // canonical: lower case, trailing dot
	dcName  string
	ttl     uint32
	records map[string][]dns.RR // owner (canonical) → records
	exists  map[string]bool     // owners and their ancestors inside the zone
	glue    []dns.RR            // the DC's A/AAAA records, for the additional section
	soa     *dns.SOA
}

func newZone(c Config) (*zone, error) {
	domain := canonical(c.Domain)
	if _, ok := dns.IsDomainName(domain); !ok || domain == "." {
		return nil, fmt.Errorf("labdns: Domain %q: not a DNS domain name", c.Domain)
	}
	dcName := canonical(c.DCName)
	if _, ok := dns.IsDomainName(dcName); !ok || !dns.IsSubDomain(domain, dcName) {
		return nil, fmt.Errorf("labdns: DCName %q: not a host name inside domain %q", c.DCName, c.Domain)
	}
	if len(c.DCAddrs) == 0 {
		return nil, fmt.Errorf("labdns: DCAddrs: no address for %q", c.DCName)
	}
	for _, p := range []struct {
		field string
		port  int
	}{{"LDAPPort", c.LDAPPort}, {"KDCPort", c.KDCPort}, {"KpasswdPort", c.KpasswdPort}, {"GCPort", c.GCPort}} {
		if p.port < 0 || p.port > 65535 {
			return nil, fmt.Errorf("labdns: %s %d: not a port", p.field, p.port)
		}
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	z := &zone{domain: domain, dcName: dcName, ttl: ttl, records: map[string][]dns.RR{}, exists: map[string]bool{}}
	hdr := func(name string, t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	z.soa = &dns.SOA{
		Hdr: hdr(domain, dns.TypeSOA), Ns: dcName, Mbox: "hostmaster." + domain,
		Serial: 1, Refresh: 900, Retry: 600, Expire: 86400, Minttl: ttl,
	}
	z.add(z.soa)
	z.add(&dns.NS{Hdr: hdr(domain, dns.TypeNS), Ns: dcName})
	for _, owner := range []string{dcName, domain} {
		for _, ip := range c.DCAddrs {
			var rr dns.RR
			if v4 := ip.To4(); v4 != nil {
				rr = &dns.A{Hdr: hdr(owner, dns.TypeA), A: v4}
			} else if ip.To16() != nil {
				rr = &dns.AAAA{Hdr: hdr(owner, dns.TypeAAAA), AAAA: ip.To16()}
			} else {
				return nil, fmt.Errorf("labdns: DCAddrs: %v is not an IP address", ip)
			}
			z.add(rr)
			if owner == dcName {
				z.glue = append(z.glue, rr)
			}
		}
	}
	site := "." + siteName + "._sites."
	services := []struct {
		port  int
		names []string // prefixes of the domain ([MS-ADTS] 6.3.2.3)
	}{
		{c.LDAPPort, []string{"_ldap._tcp.", "_ldap._tcp.dc._msdcs.", "_ldap._tcp.pdc._msdcs.",
			"_ldap._tcp" + site, "_ldap._tcp" + site + "dc._msdcs."}},
		{c.KDCPort, []string{"_kerberos._tcp.", "_kerberos._udp.", "_kerberos._tcp.dc._msdcs.",
			"_kerberos._tcp" + site, "_kerberos._tcp" + site + "dc._msdcs."}},
		{c.KpasswdPort, []string{"_kpasswd._tcp.", "_kpasswd._udp."}},
		{c.GCPort, []string{"_gc._tcp.", "_ldap._tcp.gc._msdcs.", "_gc._tcp" + site, "_ldap._tcp" + site + "gc._msdcs."}},
	}
	for _, svc := range services {
		if svc.port == 0 {
			continue
		}
		for _, prefix := range svc.names {
			name := canonical(prefix + domain)
			z.add(&dns.SRV{Hdr: hdr(name, dns.TypeSRV), Priority: 0, Weight: 100, Port: uint16(svc.port), Target: dcName})
		}
	}
	return z, nil
}

// add stores rr and marks its owner and the owner's ancestors down to the
// apex as existing (RFC 8020: an empty non-terminal is not NXDOMAIN).
func (z *zone) add(rr dns.RR) {
	owner := canonical(rr.Header().Name)
	z.records[owner] = append(z.records[owner], rr)
	for name := owner; ; {
		z.exists[name] = true
		if name == z.domain {
			return
		}
		i, end := dns.NextLabel(name, 0)
		if end {
			return
		}
		name = name[i:]
	}
}

func canonical(name string) string { return dns.CanonicalName(dns.Fqdn(strings.TrimSpace(name))) }

// answer builds the reply to r; network is "udp" or "tcp".
func (z *zone) answer(r *dns.Msg, network string) *dns.Msg {
	m := new(dns.Msg)
	if r.Opcode != dns.OpcodeQuery {
		m.SetRcode(r, dns.RcodeNotImplemented)
		return m
	}
	if len(r.Question) != 1 {
		m.SetRcodeFormatError(r)
		return m
	}
	m.SetReply(r)
	m.RecursionAvailable = false
	q := r.Question[0]
	name := canonical(q.Name)
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY || !dns.IsSubDomain(z.domain, name) {
		m.Rcode = dns.RcodeRefused
		return z.finish(r, m, network)
	}
	m.Authoritative = true
	if !z.exists[name] {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{z.withName(z.soa, z.soa.Hdr.Name)}
		return z.finish(r, m, network)
	}
	srv := false
	for _, rr := range z.records[name] {
		if q.Qtype == dns.TypeANY || rr.Header().Rrtype == q.Qtype {
			m.Answer = append(m.Answer, z.withName(rr, q.Name))
			srv = srv || rr.Header().Rrtype == dns.TypeSRV
		}
	}
	switch {
	case len(m.Answer) == 0:
		m.Ns = []dns.RR{z.withName(z.soa, z.soa.Hdr.Name)} // NODATA (RFC 2308)
	case srv:
		m.Extra = append(m.Extra, z.glue...)
	case q.Qtype == dns.TypeNS:
		m.Extra = append(m.Extra, z.glue...)
	}
	return z.finish(r, m, network)
}

// withName copies rr under owner: answers keep the question's case, which
// resolvers that randomise it (DNS 0x20) check.
func (z *zone) withName(rr dns.RR, owner string) dns.RR {
	c := dns.Copy(rr)
	c.Header().Name = owner
	return c
}

// finish adds an EDNS0 OPT when the query had one and truncates a UDP
// reply to what the client can take.
func (z *zone) finish(r, m *dns.Msg, network string) *dns.Msg {
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		if opt.Version() != 0 {
			// RFC 6891 §6.1.3: BADVERS for an EDNS version we do not speak.
			bad := new(dns.Msg)
			bad.SetReply(r)
			bad.SetEdns0(dns.DefaultMsgSize, false)
			bad.Rcode = dns.RcodeBadVers
			return bad
		}
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		m.SetEdns0(dns.DefaultMsgSize, false)
	}
	if network == "udp" {
		m.Truncate(size)
	}
	return m
}
