// Package lab is the embedded lab domain controller behind `gmsa lab`: one
// process that serves an Active Directory domain (contoso.com by default)
// from one database file, so the whole gMSA chain runs on a laptop or in CI
// with no Windows server.
//
// # What it is built from
//
//   - internal/lab/store keeps the directory entries (bbolt, one file).
//   - internal/lab/ldapserver speaks LDAPv3; [Directory] is its Handler and
//     gives the answers AD gives for what the gMSA chain uses.
//   - The Key Distribution Service is internal/managedpassword and
//     internal/gkdi: msDS-ManagedPassword is computed on each read from the
//     stored KDS root keys, exactly as a Windows DC computes it.
//   - internal/lab/pki makes the CA and the DC's certificate;
//     internal/lab/labdns answers the SRV records of discovery.
//
// # The AD rules it enforces
//
// msDS-ManagedPassword is returned only when asked for by name, only over a
// confidential connection (LDAPS, StartTLS or a sealed SASL layer) and only
// to principals that the account's msDS-GroupMSAMembership allows (the
// bound principal's SIDs with nested groups); anyone else gets the object
// without the attribute, as AD does. KDS root keys and password material are
// readable by Domain Admins only; writes need Domain Admins. Simple binds are
// refused without TLS. A read that finds a gMSA's password ID out of date
// stores the new one and increments msDS-KeyVersionNumber, as a writable DC
// does.
//
// # Time
//
// The lab has two clocks: the real one for everything a client sees on the
// wire (whenCreated, currentTime, later Kerberos ticket times) and the KDS
// clock, the real one shifted by the clock offset (`gmsa lab serve
// --clock-offset`, `gmsa lab clock-offset`), for password and rollover
// computations only. That lets tests move a gMSA through its rollovers
// without waiting 30 days.
//
// It is a development and test domain, not a production DC: one DC, no
// replication, no Group Policy, no NTLM, a fixed schema for the classes the
// gMSA chain uses (docs/lab.md lists what is and is not implemented).
package lab
