// Package labdns is the lab domain's DNS server: an authoritative responder
// for the lab's DNS domain that answers the SRV records by which clients
// find a domain controller ([MS-ADTS] 6.3.2.3, RFC 2782) and the address
// records of the DC, so that discovery (`gmsa` without --server, MIT
// Kerberos' dns_lookup_kdc, internal/directory.DiscoverDCs) can be tested
// against `gmsa lab serve --dns-port N` with no real DNS zone.
//
// # What it answers
//
// For the domain D of [Config] (names compare case-insensitively, and
// answers keep the case of the question):
//
//   - SRV, priority 0 weight 100, target the DC, with its A/AAAA records in
//     the additional section: _ldap._tcp.D, _ldap._tcp.dc._msdcs.D,
//     _ldap._tcp.pdc._msdcs.D and the Default-First-Site-Name site
//     variants (LDAP port); _kerberos._tcp.D, _kerberos._udp.D,
//     _kerberos._tcp.dc._msdcs.D and site variants (KDC port);
//     _kpasswd._tcp.D and _kpasswd._udp.D (kpasswd port); _gc._tcp.D and
//     _ldap._tcp.gc._msdcs.D (global catalog port). A service whose port is
//     0 is left out.
//   - A and AAAA for the DC's name and for D itself; SOA and NS for D.
//   - NOERROR with no answer and the SOA (RFC 2308 NODATA) for a name that
//     exists but has no record of the type asked, including the empty
//     non-terminals such as _tcp.D and _msdcs.D (RFC 8020); NXDOMAIN with
//     the SOA for other names in D; REFUSED for names outside D; NOTIMP for
//     opcodes other than QUERY; FORMERR for what does not parse.
//
// UDP answers are truncated (TC set) to 512 bytes or the client's EDNS0
// size, so resolvers retry over TCP. It serves no zone transfers, no
// updates, no DNSSEC and no recursion: it is a lab fixture, not a DNS
// server for a network.
package labdns
