// Package client runs the Kerberos exchanges a client needs — the AS exchange
// (RFC 4120 §3.1) that logs a principal in with a password, a keytab or raw
// keys (a gMSA's keys, derived elsewhere), the TGS exchange (§3.3) that gets
// a service ticket, and the renewal of a renewable TGT — over a Transport the
// caller provides.
//
// It is a service in the project's layering: it does I/O only through its
// Transport, reads the clock only through Client.Now and randomness only
// through Client.Rand, and starts no goroutines. The messages and the
// cryptography are internal/krb5/msg's and internal/krb5/crypto's.
//
// # Using it
//
//	c := &client.Client{Transport: t, Now: time.Now, Rand: rand.Reader}
//	tgt, err := c.Login(ctx, client.LoginRequest{
//		Principal: "webapp01$@CONTOSO.COM",
//		Keys:      client.Keys{aes256Key},
//	})
//	st, err := c.ServiceTicket(ctx, tgt, "HTTP/web.contoso.com", client.TGSOptions{})
//	cache := client.NewCache(tgt, st) // then cache.Marshal() into a FILE: ccache
//
// # Clock skew
//
// The client learns the KDC's clock from the stime of its KRB-ERRORs and from
// the authtime of the AS-REP. When the KDC refuses the pre-authentication
// timestamp with KRB_AP_ERR_SKEW, the client retries once with its clock
// shifted by the KDC's offset. Credentials.KDCOffset carries the offset, and
// NewCache writes it into the ccache header, as MIT's kinit does, so that
// later requests made from the cache use the KDC's time.
//
// # Errors
//
// A KRB-ERROR from the KDC is returned as a *KDCError: its code, e-text and
// principals, and a Hint a person can act on. errors.Is matches it against
// the sentinels (ErrPreauthFailed, ErrPrincipalUnknown, ErrClockSkew, …).
// No error message holds a key, a password or a ticket.
//
// # Not implemented
//
// Cross-realm referrals (a TGS-REQ answered with a TGT for another realm),
// FAST (RFC 6113), PKINIT and S4U are not implemented; a service principal
// with a realm other than the TGT's is refused.
package client
