// Package transport carries Kerberos messages to a realm's KDCs and reads
// the MIT krb5.conf that says where they are. It is the only krb5 package
// that touches the network; internal/krb5/client declares the one-method
// Transport interface that [*Client] implements.
//
// # Configuration
//
// [ParseConfig] reads the MIT profile format of krb5.conf(5) ("krb5.conf" in
// MIT's documentation): [section] headers, "name = value" relations,
// "name = { ... }" subsections over several lines, "#" and ";" comment
// lines, repeated relations (several kdc lines), the "*" final marker, and
// the include and includedir directives, which [LoadConfigFS] resolves
// through an [io/fs.FS] so that parsing stays testable. [LoadDefault] reads
// what MIT's library reads: the colon-separated list in KRB5_CONFIG, else
// /etc/krb5.conf; a missing file is an empty configuration. Errors are
// [*ConfigError] values naming the file, the line and the text.
//
// # Sending
//
// [New] returns a [*Client] whose RoundTrip sends a request to the first
// KDC of a realm that answers (RFC 4120 §7.2): over UDP first when the
// request is at most udp_preference_limit bytes (MIT's default 1465), else
// over TCP first, with the other protocol as the fallback on the same KDC;
// over TCP with the 4-octet big-endian length prefix of RFC 4120 §7.2.2; a
// UDP reply that is KRB_ERR_RESPONSE_TOO_BIG is retried over TCP. Replies
// that are other KRB-ERRORs are returned as they are: they are the client's
// business. When no KDC answers, the error is an [*Error] listing every
// address tried, and matches [ErrNoKDC].
//
// # Discovery
//
// [Client.Discover] lists a realm's KDCs: the realm's kdc lines in
// krb5.conf, in order, or — when there are none and dns_lookup_kdc is not
// false — the DNS SRV records _kerberos._udp.REALM and _kerberos._tcp.REALM
// (RFC 4120 §7.2.3.2), ordered by priority and weight as RFC 2782 says.
package transport
