// Package crypto implements the Kerberos 5 encryption and checksum framework
// of RFC 3961 for the encryption types this project speaks: the AES types of
// RFC 3962 (aes128/aes256-cts-hmac-sha1-96) and RFC 8009
// (aes128-cts-hmac-sha256-128, aes256-cts-hmac-sha384-192), and rc4-hmac
// (RFC 4757), which Active Directory still hands out and whose key a gMSA's
// NT hash is.
//
// # Which enctype is for what
//
//   - aes256-cts-hmac-sha1-96 (18) and aes128-cts-hmac-sha1-96 (17): what AD
//     issues tickets with when msDS-SupportedEncryptionTypes allows AES (24,
//     the project's default for gMSAs); the types to use.
//   - aes256-cts-hmac-sha384-192 (20) and aes128-cts-hmac-sha256-128 (19):
//     RFC 8009; MIT KDCs may prefer them, AD does not issue them.
//   - arcfour-hmac (23): legacy. An rc4-hmac Key is inert until [AllowRC4]
//     marks it: it can be stored and written to a keytab, but Encrypt,
//     Decrypt and Checksum refuse it. The hmac-md5 checksum (-138) that goes
//     with it signs PACs made with RC4 keys.
//
// It is pure: keys, bytes and an [io.Reader] for randomness in; keys and bytes
// out. Nothing here reads a clock, a file or the network, and the only
// randomness is the reader the caller passes to [Encrypt] or [GenerateKey].
//
// # Using it
//
// A [Key] is made by [StringToKey] (a password, the principal's salt and the
// KDC's s2kparams), by [NewKey] (bytes from a keytab, a ticket or a gMSA
// derivation) or by [GenerateKey]. [Encrypt] and [Decrypt] produce and open
// the cipher field of an EncryptedData (RFC 4120 §5.2.9) for a key usage
// number (the KeyUsage constants); [Checksum] and [VerifyChecksum] compute
// the keyed checksum that goes with the key's encryption type.
//
// # Secrets
//
// A Key never prints its bytes: fmt (every verb), [log/slog] and error
// messages show only its type and "[REDACTED]". Errors are [*Error] values
// that name the operation and the encryption type, never a key, a password or
// plaintext; branch on them with [errors.Is] and the Err sentinels.
//
// # Traps
//
// RFC 3962 MACs the plaintext (confounder || message) and RFC 8009 MACs the
// ciphertext (IV || C); both use CBC with ciphertext stealing whose last two
// blocks are swapped, even when the message is a whole number of blocks.
// RFC 8009's string-to-key salt is prefixed with the enctype name and a zero
// byte, and its Ki and Kc are 192 bits for aes256-cts-hmac-sha384-192 while
// Ke is 256. An all-zero s2kparams means 2^32 iterations (RFC 3962 §4); this
// package refuses it, and any count above 2^24, as a denial of service.
package crypto
