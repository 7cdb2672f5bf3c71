// Package ccache reads and writes MIT Kerberos credential cache files — the
// FILE: ccache that kinit writes, klist shows and every GSSAPI client reads
// through KRB5CCNAME. The agent hands each container its gMSA's tickets in
// this form. The format is MIT krb5's "Credential cache file format"
// (doc/formats/ccache_file_format.rst in krb5/krb5; the marshalling itself
// is src/lib/krb5/ccache/ccmarshal.c).
//
// It is pure: [Parse] takes bytes and [Cache.Marshal] returns them; the
// caller reads, writes and locks the file. Times are the ticket's own; the
// KDC time offset is a field, never computed here.
//
// # Using it
//
// [Parse] reads versions 1 to 4; [Cache.Marshal] writes version 4, which
// every MIT krb5 since 1.0, Heimdal, Java and gokrb5 read. [Cache.TGT] finds
// the ticket-granting ticket of a realm, and [Cache.Config] the value of a
// configuration entry.
//
// # Format
//
// A file is 0x05 and the version (1–4), then — in version 4 only — a header
// of tagged fields (tag 1 is the KDC time offset, 32-bit seconds and
// microseconds), the default principal, and credentials until the end of
// the file. Versions 1 and 2 use the writer's host byte order (Parse uses
// this machine's, as MIT does), 3 and 4 big-endian. Version 1 principals
// have no name type and count the realm among their components; version 3
// writes a keyblock's enctype twice. A credential is: client and server
// principals, keyblock (16-bit enctype, 32-bit length, key), authtime,
// starttime, endtime and renew_till (32-bit seconds), is_skey (one byte),
// ticket flags (32 bits), addresses and authorization data (32-bit counts
// of 16-bit type and 32-bit-length value), ticket and second ticket (32-bit
// length, DER bytes, kept opaque here).
//
// # Configuration entries
//
// MIT stores per-cache settings as credentials whose server is
// krb5_ccache_conf_data/KEY[/PRINCIPAL]@X-CACHECONF: with the value in the
// ticket field (kinit writes fast_avail and pa_type; GSSAPI writes
// refresh_time). They stay in [Cache.Credentials] in file order, are marked
// by [Credential.IsConfig], and are written back unchanged.
//
// # Secrets
//
// A cache holds session keys: whoever reads it acts as the client until the
// tickets expire. Keys never print (see [crypto.Key]); errors name the
// credential and field, never key or ticket bytes.
package ccache
