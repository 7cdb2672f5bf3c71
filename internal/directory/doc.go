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
// Kerberos (SASL GSSAPI) binds come from another package later; they plug in
// as one more bind method on [Conn].
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
