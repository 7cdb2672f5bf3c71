// Package kdc is the lab domain's Kerberos Key Distribution Center: the AS
// exchange with encrypted-timestamp pre-authentication (RFC 4120 §3.1,
// §5.2.7.2), the TGS exchange with renewal (§3.3), and a PAC in every ticket
// signed as a Windows domain controller signs it ([MS-PAC] §2.8,
// [MS-KILE] §3.3.5.7), over UDP and TCP (§7.2). MIT's kinit, klist and kvno,
// this project's client and gokrb5 accept its tickets.
//
// It is a service: the directory stays behind [Backend], which the lab
// implements over its store (account lookup by sAMAccountName, UPN or
// servicePrincipalName, keys derived from passwords and, for a gMSA, from
// its current and previous managed passwords). The messages, the PAC and the
// cryptography are internal/krb5/msg, internal/krb5/msg/pac and
// internal/krb5/crypto.
//
// # Using it
//
//	k := &kdc.KDC{Realm: "CONTOSO.COM", Backend: dir, Now: time.Now}
//	go k.ServeUDP(ctx, udpConn)
//	go k.ServeTCP(ctx, tcpListener)
//
// [KDC.Handle] answers one request without any network, which is what the
// fuzz target and in-process clients use.
//
// # What it enforces
//
// Pre-authentication is always required. A client's reply key is whichever
// of its keys opened the timestamp, so a gMSA that still holds the previous
// password's keys logs on during the overlap after a rollover; tickets are
// always issued with a service's first (current) key. Account state
// (disabled, locked out, expired) gives KDC_ERR_CLIENT_REVOKED with the
// NTSTATUS e-data Active Directory sends. A TGS request's PAC is the TGT's,
// accepted only when both its signatures verify with the krbtgt key, and
// re-signed for the new ticket. Requests are bounded in size (a larger TCP frame closes the
// connection after a KRB_ERR_FIELD_TOO_LONG) and in time (a per-connection
// read deadline), and a reply too large for a UDP datagram is
// KRB_ERR_RESPONSE_TOO_BIG, which makes clients retry over TCP.
//
// # Not implemented
//
// FAST (RFC 6113), PKINIT, S4U and constrained delegation, user-to-user
// (enc-tkt-in-skey), postdated tickets, cross-realm referrals, and a replay
// cache for TGS authenticators (as MIT's KDC, it relies on the skew limit).
// A PA-PAC-REQUEST asking for no PAC is recorded in PAC_ATTRIBUTES_INFO but
// a PAC is included anyway; the TGS exchange does not look the client up
// again (a TGT outlives its account's disabling, up to its end time); the
// PAC's ticket and full-PAC signatures ([MS-PAC] §2.8.3, §2.8.5) are not
// produced.
package kdc
