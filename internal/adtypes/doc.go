// Package adtypes holds the Active Directory data types from [MS-DTYP] that
// the rest of opengmsa shares: security identifiers (SIDs), GUIDs in the
// MS-DTYP byte order AD uses for objectGUID, FILETIME, self-relative security
// descriptors, and the SDDL subset AD uses for gMSAs (msDS-GroupMSAMembership).
//
// The directory client, the lab domain controller, the managed-password code
// and the CLI all read and write these values; keeping one implementation
// here means a SID or a security descriptor has one byte layout and one text
// form everywhere. The package is pure: bytes and strings in, values out, no
// clock, files or network.
//
// # SIDs, GUIDs and times
//
// [ParseSID] and [SIDFromBytes] read a SID in its string ("S-1-5-21-…") and
// binary forms; [SID.String] and [SID.Bytes] write them. [ReadSID] reads a SID
// at the start of a longer buffer, as security descriptors embed them.
// [ParseGUID] and [GUIDFromBytes] do the same for GUIDs; [GUID] is stored in
// its binary layout, so a GUID read from objectGUID can be compared with one
// parsed from text. [FileTime] converts between Windows FILETIME values and
// [time.Time] over the whole uint64 range.
//
// # Security descriptors
//
// [ParseSecurityDescriptor] reads a self-relative SECURITY_DESCRIPTOR as AD
// stores it (msDS-GroupMSAMembership, nTSecurityDescriptor);
// [SecurityDescriptor.Bytes] writes one in the layout Windows uses. [ParseSDDL]
// and [SecurityDescriptor.SDDL] convert to and from the SDDL text form.
// [GMSAMembership] builds the descriptor that lists the principals allowed to
// retrieve a gMSA's password, as Windows writes it.
//
// # Untrusted input
//
// Security descriptors arrive from the network: the lab domain controller
// stores whatever msDS-GroupMSAMembership a client writes and later decides
// from it who may read a gMSA's password. The decoders therefore check every
// length and offset, never panic, and return nothing partial on error; fuzz
// targets hold them to that and to exact round trips.
//
// # Errors
//
// Every parse error is an [*Error] naming the field and the offending value.
package adtypes
