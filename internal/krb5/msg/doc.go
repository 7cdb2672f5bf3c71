// Package msg encodes and decodes the Kerberos V5 messages of RFC 4120 §5
// in DER, for this project's client (AS and TGS exchanges, renewal, a gMSA
// logging on with keys instead of a password) and for the lab domain's KDC,
// which MIT clients talk to.
//
// It is pure: bytes in, Go values out, and back. Nothing here reads a clock,
// a file or the network; the only randomness is the [io.Reader] passed to
// [Seal] and [NewPAEncTimestamp], and the encryption is internal/krb5/crypto's.
//
// # Using it
//
// Every structure has a ParseX function and a Marshal method:
// [ParseKDCReq] and [KDCReq.Marshal] for AS-REQ and TGS-REQ, [ParseKDCRep]
// for AS-REP and TGS-REP, [ParseAPReq], [ParseAPRep], [ParseKRBError],
// [ParseKRBCred], and the encrypted parts ([ParseEncTicketPart],
// [ParseEncKDCRepPart], [ParseAuthenticator], [ParseEncAPRepPart],
// [ParseEncKrbCredPart]). [Peek] names a message from its first octet and
// [ParseMessage] decodes whatever a KDC or a client receives. [Seal] and
// [EncryptedData.Open] make and open EncryptedData; [Ticket.Decrypt],
// [KDCRep.Decrypt], [APReq.DecryptAuthenticator], [APRep.Decrypt] and
// [KRBCred.Decrypt] open and decode in one step.
//
// The Go structs mirror RFC 4120's ASN.1 with Go types. OPTIONAL fields are
// absent when they hold nil (pointers, slices, byte slices), the zero
// [time.Time], or "" (realms and e-text); an empty non-nil slice is a
// present, empty SEQUENCE OF. KerberosFlags are uint32 bit sets in wire
// order ([TicketFlags], [KDCOptions], [APOptions]): bit 0 of RFC 4120 is the
// most significant bit. pvno, tkt-vno and authenticator-vno are implied (5)
// and checked.
//
// # Strict DER
//
// Decoding refuses what DER forbids (indefinite and non-minimal lengths,
// non-minimal INTEGERs, BOOLEANs other than 00 and FF), bytes after a value
// or after the message, an unknown or out-of-order field, a missing
// required field, a string type other than GeneralString for
// KerberosString, a KerberosTime other than "YYYYMMDDHHMMSSZ" (no
// fractional seconds: MIT never sends them) or before 1970, KerberosFlags
// of other than 32 bits, and integers outside Int32, UInt32 and
// Microseconds. Errors are [*Error] values naming the structure and the
// field as RFC 4120 names them; branch on them with [errors.Is] and the Err
// sentinels.
//
// # Leniency
//
// Decoding accepts three things that real implementations send and that
// Marshal does not write:
//
//   - EncASRepPart ([APPLICATION 25]) and EncTGSRepPart (26) for each
//     other, as MIT and Windows do (gokrb5 always writes 25).
//     [EncKDCRepPart.MsgType] records which was sent and Marshal writes that
//     tag, so these inputs still re-encode to the same bytes.
//   - A UInt32 both as the signed 32-bit INTEGER with the same bits and as
//     the unsigned value. Marshal writes kvno and nonce signed (as MIT and
//     Windows do; MIT's decoder refuses an unsigned nonce above 2^31-1) and
//     seq-number unsigned (as MIT does).
//   - A present but empty OPTIONAL realm or e-text, read as absent.
//
// The last two re-encode to their canonical form; every other input a
// decoder accepts re-encodes to exactly itself. The fuzz targets check both.
//
// # Traps
//
// A KRB-ERROR's e-data is decoded as METHOD-DATA when it is one (it is for
// KDC_ERR_PREAUTH_REQUIRED) and kept raw otherwise. A TGS-REQ's
// authenticator checksum covers the req-body as the client encoded it:
// [KDCReq.RawReqBody] keeps those bytes. The PAC is inside AD-IF-RELEVANT
// ([AuthorizationData.PAC]); internal/krb5/msg/pac decodes it.
// [EncryptionKey] prints no key bytes.
package msg
