// Package managedpassword computes what a domain controller computes for a
// group Managed Service Account, bit for bit: the 256-byte password for a
// (root key, account SID, GKID), which password is current and which previous
// at a given time (the rollover rules), the MSDS-MANAGEDPASSWORD_BLOB that
// msDS-ManagedPassword returns, and the Kerberos keys and NT hash derived from
// a password.
//
// It is pure: the time is always a parameter, never read from a clock.
//
// # Deriving
//
// [Derive] (or a [Deriver], which caches seed keys) gives the [Password] for
// one key identifier. [Plan] applies the rollover rules to an account's
// attributes and the domain's root keys and says which keys are current and
// previous; [Deriver.Blob] turns that into the blob a DC would return.
// [KeysFor] derives the AES and RC4 keys the KDC stores for the account.
//
// # Secrets
//
// [Password] and [Keys] never print their bytes: String, GoString, Format
// and LogValue redact. Get the bytes only through the explicit accessors.
//
// # Traps, all handled here
//
//   - every UTF-16 unit 0x0000 of the raw KDF output becomes 0x0001; the
//     password is the 256 bytes, the blob adds a 2-byte terminator;
//   - the blob has no alignment padding before its 64-bit intervals;
//   - rollover intervals are whole 10-hour key cycles (days·24/10), anchored
//     on the start of the GKID in msDS-ManagedPasswordId, not on whenCreated;
//   - the AES salt is REALM + "host" + lower(name without $) + "." + lower(domain);
//   - string-to-key takes the UTF-8 of the UTF-16 password with unpaired
//     surrogates replaced by U+FFFD; the NT hash is MD4 of the raw 256 bytes.
package managedpassword
