// Package directory is the project's Active Directory client: LDAP (go-ldap)
// against a Windows DC, a Samba AD DC or `gmsa lab`, speaking the few
// operations the gMSA chain needs.
//
// # Connecting
//
// [Dial] opens ldap:// or ldaps:// (or ldap:// upgraded with StartTLS), with
// a context bounding the dial and every later call. [Conn.BindSimple] sends a
// password only over TLS: a simple bind on a plain connection is refused
// before a byte leaves ([ErrInsecureBind]), as architecture.md requires.
// [Conn.BindGSSAPI] binds with Kerberos (SASL GSSAPI, RFC 4752, over
// internal/krb5/gssapi): on ldap:// with a sealed (default) or signed SASL
// security layer, on TLS with no layer and tls-server-end-point channel
// bindings — what a DC with "require strong auth"/LDAP signing and channel
// binding enforcement accepts. A sealed connection is confidential.
//
// # The SASL security layer under go-ldap
//
// go-ldap knows nothing of SASL layers; it reads and writes a net.Conn. So
// [Dial] puts a pass-through saslConn between go-ldap (or TLS) and the TCP
// connection, and BindGSSAPI turns its layer on when the bind has
// succeeded. Nothing is in flight at that moment: go-ldap's bind is
// synchronous, the server's final BindResponse (sent without the layer)
// has been read before GSSAPIBindRequest returns, and no other request is
// outstanding because Conn serialises its calls (the switch happens inside
// the same serialised call). The server sends nothing until it gets the
// next request, which is written after the switch, so the next byte in
// either direction is the first protected one. go-ldap's reader goroutine
// is already blocked in saslConn.Read by then; Read looks at the layer when
// bytes arrive, so they are unwrapped.
//
// # Reading and writing
//
//   - [Conn.RootDSE] and [Conn.DomainInfo]: naming contexts, the domain's DNS
//     and NetBIOS names, SID and GUID, the forest name — what a credential
//     spec holds.
//   - [Conn.FindAccount]: a user, computer or gMSA by sAMAccountName
//     ("WebApp01" also finds "WebApp01$").
//   - [Conn.RootKeys], [Conn.ProvRootKeys] and [Conn.AddRootKey]: KDS root keys
//     under CN=Master Root Keys in the configuration partition.
//   - [Conn.ManagedPassword]: msDS-ManagedPassword with what a client needs
//     to check it (objectSid, whenCreated, interval, password IDs).
//
// # Errors
//
// Every failure is an [*Error] naming the operation and the DN or account;
// errors.Is finds the sentinels ([ErrNotFound], [ErrNotAllowed],
// [ErrConfidentialityRequired], [ErrInsecureBind], [ErrNoRootKeyData], …)
// and errors.As finds the server's *ldap.Error with its result code. An
// Error's Hint says what a person can do. No message carries a password or
// key.
//
// # Threats
//
// msDS-ManagedPassword and msKds-RootKeyData are secrets: the DC hands them
// out only over a confidential channel, and this package never lets a
// password cross the wire in clear (simple bind needs TLS). TLS verifies the
// server against Options.CAFile/RootCAs or the system pool; there is no
// "insecure skip verify".
package directory
