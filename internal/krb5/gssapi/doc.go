// Package gssapi is the Kerberos V5 GSS-API mechanism of RFC 4121 (with
// RFC 1964's framing of the context tokens): the security context behind
// this project's LDAP SASL GSSAPI binds and HTTP Negotiate (SPNEGO, in
// the spnego subpackage).
//
// It is pure: it takes a service ticket and session key (from
// internal/krb5/client) or a keytab (internal/krb5/keytab), a clock
// (Now) and a source of randomness (Rand), and turns bytes into bytes. It
// never touches the network or a credential cache.
//
// # Using it
//
// The client side is [NewInitiator] then [Initiator.Step]: the first call
// returns the token to send (an AP-REQ); with [FlagMutual] the acceptor's
// answer goes to a second Step. The service side is [NewAcceptor] then one
// [Acceptor.Step], which returns the AP-REP to send back when the client
// asked for mutual authentication; [Acceptor.Client] and [Acceptor.PAC]
// say who logged in. Both then offer the [Context] methods Wrap, Unwrap,
// MIC and VerifyMIC (RFC 4121 §4.2). [ChannelBindingsTLSServerEndPoint]
// makes the RFC 5929 channel binding of a TLS server certificate.
//
// # State machine
//
//	Initiator: new ──Step(nil)──▶ [AP-REQ sent] ──Step(AP-REP)──▶ established
//	                     └─(no FlagMutual)──────────────────────▶ established
//	Acceptor:  new ──Step(AP-REQ)──▶ established (+ AP-REP if mutual)
//
// Any error leaves the context unusable; start again with a new one.
//
// # Threats and the checks that meet them
//
//   - A ticket for another service: a client may hold a valid ticket for
//     HTTP/other and present it here. The acceptor decrypts only with the
//     keytab key named by the ticket's sname, kvno and enctype, and with
//     AcceptorConfig.Service set refuses any other sname
//     ([ErrWrongService]).
//   - A stolen ticket: the authenticator, sealed with the session key,
//     proves possession; its cname/crealm must match the ticket's.
//   - Replay of a captured AP-REQ: the authenticator's time must be within
//     MaxSkew of the acceptor's clock ([ErrSkew]), and within that window
//     the [ReplayCache] refuses a second use of the same client, service,
//     ctime and cusec ([ErrReplay]). Ticket start and end times are
//     checked with the same skew.
//   - A man in the middle relaying the exchange over its own TLS
//     connection: channel bindings put the TLS server certificate's hash
//     into the authenticator (the 0x8003 checksum's Bnd); an acceptor
//     configured with its own certificate's bindings refuses a mismatch or
//     their absence ([ErrChannelBinding]).
//   - A fake acceptor: with FlagMutual the initiator requires the AP-REP to
//     echo ctime and cusec under the session key ([ErrMutualFailed]).
//   - Replay, reordering and reflection of per-message tokens: every token
//     carries a sequence number checked against a 64-token window
//     ([ErrReplay], [ErrOutOfOrder] with FlagSequence), and the
//     SentByAcceptor and AcceptorSubkey flags must say the token came from
//     the other side with the agreed key, so our own token sent back to us
//     is refused ([ErrReflected]). Each direction also has its own key
//     usages (22–25).
//
// Errors are [*Error] values wrapping one of the sentinels; they never hold
// key material, tickets or plaintext.
package gssapi
