// Package spnego is the Simple and Protected GSS-API Negotiation Mechanism
// of RFC 4178 over this project's Kerberos mechanism (the parent gssapi
// package), and the I/O-free core of HTTP Negotiate (RFC 4559).
//
// # Using it
//
// [NegTokenInit] and [NegTokenResp] encode and decode the two token
// types. [NewInitiator] and [NewAcceptor] wrap a gssapi.Initiator or
// gssapi.Acceptor and speak SPNEGO around it: Kerberos is chosen under
// either of its OIDs (the standard 1.2.840.113554.1.2.2 and Microsoft's
// 1.2.840.48018.1.2.2); the initiator's optimistic Kerberos token is used
// when Kerberos is its first choice. For HTTP, [Authenticate] maps an
// Authorization header value to a status, a WWW-Authenticate value and the
// authenticated client, and [ParseHeader] and [Header] read and write
// "Negotiate <base64>".
//
// # Threats
//
// SPNEGO's own risk is a downgrade: an attacker who edits the mechanism
// list to force a weaker mechanism. Only Kerberos is ever accepted here,
// and when Kerberos was not the initiator's first choice both sides must
// exchange a mechListMIC over the DER mechanism list (RFC 4178 §5),
// checked with the established Kerberos context ([ErrMechListMIC]).
// Everything else (replay, skew, channel bindings, the wrong service) is
// the Kerberos acceptor's job; see the gssapi package.
//
// The package is pure: it does no I/O and imports no net package, so the
// net/http middleware and RoundTripper built on [Authenticate] live with
// their callers.
package spnego
