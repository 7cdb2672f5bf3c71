// Package keytab reads and writes MIT Kerberos keytab files: the long-term
// keys a service or a client (a host, a gMSA) logs in with, without a
// password. The format is MIT krb5's "Keytab file format"
// (doc/formats/keytab_file_format.rst in krb5/krb5), which Heimdal, Java,
// Samba and Windows' ktpass also speak.
//
// It is pure: [Parse] takes bytes and [Keytab.Marshal] returns them; the
// caller reads and writes the file (mode 0600) and chooses each entry's
// timestamp — nothing here reads a clock.
//
// # Using it
//
// Build a [Keytab] from [Entry] values whose [crypto.Key] comes from
// [crypto.StringToKey] (password and salt) or [crypto.NewKey], then call
// [Keytab.Marshal]. Read one with [Parse] and pick a key with [Keytab.Find],
// which compares principal names case-insensitively, as Active Directory
// does.
//
// # Format
//
// A file is the bytes 0x05 0x02 (version 2, big-endian; version 1 used the
// writer's host byte order and is read only) followed by records, each a
// signed 32-bit length and an entry: principal (16-bit component count,
// realm and components as 16-bit-length strings, 32-bit name type — absent
// in version 1, whose count includes the realm), 32-bit timestamp, 8-bit
// key version, 16-bit enctype, 16-bit key length and the key, then, since
// MIT krb5 1.14, a 32-bit key version that supersedes the 8-bit one when
// the record has room for it and it is not zero. A negative length is a
// hole of that many zero bytes left by a deleted entry; a zero length ends
// the file. (Older copies of the MIT document show 32-bit count and key
// length fields; MIT's code, and this package, use 16 bits.)
//
// Marshal writes version 2 exactly as MIT krb5 1.20 does: no holes, and the
// 32-bit key version after every entry (the 8-bit field holds its low 8
// bits), so that an MIT-written keytab re-encodes to the same bytes.
//
// # Secrets
//
// Every entry holds a key that logs in as its principal. Keys never print
// (see [crypto.Key]); errors name the entry and the field, never key bytes.
// An entry whose encryption type [crypto] does not implement (des3,
// camellia…) is kept, so that Marshal writes it back unchanged, but its Key
// has no bytes and [Keytab.Find] passes over it.
package keytab
