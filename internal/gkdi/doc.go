// Package gkdi implements the parts of the Group Key Distribution Protocol
// ([MS-GKDI]) that a domain controller uses to compute gMSA passwords: the
// SP800-108 counter-mode KDF, KDS root keys, the L0/L1/L2 seed-key chain,
// group key identifiers (GKIDs) and their mapping to time, and the binary
// structures that carry them (KdfParameters, FfcDhParameters, the
// GroupKeyEnvelope of the GetKey RPC and the KeyEnvelope stored in
// msDS-ManagedPasswordId).
//
// It is pure: bytes, keys and times in; keys and structures out. Nothing here
// reads a clock or the network.
//
// # Deriving a seed key
//
// [SeedKey] walks the whole chain from a root key. A [Deriver] does the same
// but keeps the L1 and L2 keys it computed in a bounded cache, so deriving the
// password of another account in the same 10-hour interval, or of the next
// interval, does not start again from the root key.
//
// # Traps
//
// The security descriptor is mixed into exactly one step (L1 index 31 from
// the L0 key); L1 and L2 chains run downward from 31; the KDF's counter and
// output length are 32-bit big-endian and the length is in bits. A root key
// whose msKds-KDFParam is absent uses SHA-256, not SHA-512.
package gkdi
