// Package pac reads, writes, signs and verifies the Privilege Attribute
// Certificate of [MS-PAC]: the authorization data a Windows domain
// controller (and Samba, and the lab KDC) puts in every ticket, from which
// an acceptor learns the client's SID and group SIDs without asking the
// directory.
//
// It is pure: bytes and keys in, values and bytes out. It reads no clock,
// no files and no network.
//
// # Using it
//
// An acceptor that has decrypted a ticket and found the AD-WIN2K-PAC
// element calls [Verify] with its own key, then [Parse], then reads
// [LogonInfo.UserSID] and [LogonInfo.GroupSIDs] (and compares
// [ClientInfo] with the ticket's cname and authtime, RFC 4120 leaves that
// to it). A KDC builds a [PAC] from its typed fields and calls
// [PAC.Sign] with the service's key and its krbtgt key; it checks a PAC it
// is handed back with [VerifyKDC]. [PAC.Marshal] and Parse round-trip: a
// PAC that Windows or Samba wrote marshals back to the same bytes.
//
// # What is decoded
//
// PACTYPE and PAC_INFO_BUFFER framing (2.3, 2.4); KERB_VALIDATION_INFO
// (2.5) in NDR with its type serialization headers ([ParseLogonInfo]);
// PAC_CLIENT_INFO (2.7); PAC_SIGNATURE_DATA (2.8) for the server and KDC
// signatures; UPN_DNS_INFO (2.10) with the SAM name and SID extension;
// PAC_ATTRIBUTES_INFO (2.14) and PAC_REQUESTOR (2.15). Every other buffer
// (credentials, delegation, claims, device info, and the ticket and full
// PAC signatures of 2.8.3 and 2.8.5) is kept as bytes in [PAC.Buffers].
//
// # Traps
//
// NDR numbers unique pointers with referent IDs 0x00020000, 0x00020004, …;
// Windows numbers the SID pointers inside the ExtraSids array before
// ResourceGroupDomainSid, Samba after. Both are decoded, and a decoded
// [LogonInfo] re-encodes in the numbering it came with (Windows' for one
// built by hand). LogonServer and LogonDomainName carry a MaximumLength two
// bytes longer than their Length; the other strings do not. Signature
// verification zeroes everything after each signature's type, including
// an RODCIdentifier, as Heimdal and MIT do. The KDC signature of Windows
// 2003 to 2012 PACs is hmac-md5 with the krbtgt's rc4-hmac key even where
// the server signature is AES; rc4-hmac keys work only after
// [crypto.AllowRC4], the project's explicit opt-in.
//
// # Untrusted input
//
// A PAC arrives inside a ticket encrypted to the acceptor, but its content
// is only as good as its server signature, and a KDC handles PACs that
// clients send back. The decoders check every count, length and offset
// against the bytes present before allocating, never panic, return
// nothing partial on error, and refuse a second buffer of a type they
// decode rather than pick one. Fuzz targets hold them to that and to
// round-trips.
//
// # Errors
//
// Every error is an [*Error] naming the operation and the [MS-PAC]
// structure and field; branch on [ErrMalformed], [ErrUnsupported],
// [ErrMissing], [ErrKeyMismatch] and [ErrIntegrity] with [errors.Is].
package pac
