// Package demo is the lab's demo service (`gmsa lab demo-service`): an HTTP
// server that accepts Kerberos tickets through HTTP Negotiate (SPNEGO) with
// a service keytab — one exported from the lab with `gmsa lab export-keytab`
// — and answers with who logged in: the principal as DOMAIN\name (the
// NetBIOS domain and the account name from the ticket's PAC), the user and
// group SIDs the PAC carries, and the time left on the ticket. It proves
// that a gMSA's identity is accepted by a service end to end.
//
// It is an application: negotiate.Middleware and a gssapi.Acceptor do the
// protocol work; this package adds the PAC's reading (after checking its
// server signature with the service key) and the answer's format, text or
// JSON (Accept: application/json).
package demo
