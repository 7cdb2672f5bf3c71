// Package pki makes the lab domain's certificate authority and the domain
// controller's TLS certificate, and keeps them in the lab's data directory
// so that clients trust the lab once (DIR/ca.pem) and keep trusting it
// across restarts.
//
// [EnsureCA] loads DIR/ca.pem and DIR/ca.key or creates them (ECDSA P-256,
// self-signed, ten years). [CA.ServerCert] returns the DC's certificate for
// the names and addresses it serves (dc1.<domain>, localhost, the listen
// IP): it reuses DIR/server.pem and DIR/server.key while they are signed by
// the CA, cover every name and stay valid for more than 30 days, and
// otherwise issues new ones. [CA.Pool] and [CA.CertPEM] hand the CA to
// clients.
//
// # Threat model
//
// The CA key can mint a certificate for any name, so it is written with
// mode 0600 and a ca.key readable by others is refused rather than used: a
// key that others could have copied no longer proves anything. Files are
// written atomically (temporary file, fsync, rename) so that a crash leaves
// the old pair or the new one, never half a file. The lab is a development
// and test domain: its CA is not meant to be trusted system-wide.
package pki
