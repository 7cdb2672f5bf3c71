// Package store is the lab domain controller's directory database: the
// entries of `gmsa lab`, kept in one bbolt file in the lab's data directory.
//
// It knows about DNs, attributes, the bookkeeping attributes every Active
// Directory object carries (objectGUID, whenCreated, whenChanged,
// uSNCreated, uSNChanged) and a few equality indexes; it knows nothing of
// schemas, access control or LDAP. internal/lab builds AD semantics on top,
// and internal/lab/ldapserver serves them.
//
// # Opening and transactions
//
// [Open] opens (or creates, mode 0600) the database file and takes bbolt's
// exclusive file lock; a second process gets an error matching [ErrInUse]
// after about a second. [Store.View] runs a read-only snapshot,
// [Store.Update] a read-write transaction that is durable (fsynced) when it
// returns nil. A [*Tx] is valid only inside the function it is passed to;
// entries it returns are copies that may be kept afterwards.
//
// # Names
//
// DNs are compared after [NormalizeDN]: RFC 4514 parsing, attribute types
// lower-cased, values unescaped, insignificant spaces removed, values
// compared case-insensitively, multi-valued RDNs sorted. Entries keep the DN
// and attribute names as first given. An entry's key is its normalized RDNs
// in reverse order, each followed by a NUL byte
// ("dc=com\x00dc=contoso\x00cn=users\x00"), so a subtree is a key prefix and
// sorts parent first: [Tx.Walk] never scans outside the base's subtree, and
// skips grandchildren in one-level walks by seeking past them.
//
// # Indexes
//
// sAMAccountName, servicePrincipalName and userPrincipalName (case-insensitive),
// objectSid and objectGUID (binary) and member (by normalized DN) are indexed
// ([Indexed], [Tx.Lookup]); the indexes are updated in the same transaction as
// the entries, and [Tx.Check] verifies that they agree. Like AD's linked
// attributes, member values follow their targets: [Tx.Rename] rewrites
// member values that point into the moved subtree and [Tx.Delete] drops
// member values that name the deleted entry.
//
// # Performance
//
// Get and an indexed Lookup are a B-tree descent each (a few microseconds
// on 10,000 entries); walks read only the base's subtree. bbolt splits
// pages only when a transaction commits, so a single transaction that
// writes tens of thousands of keys slows down quadratically: bulk loads
// should commit every few thousand entries. Every Update that writes pays
// an fsync (Options.NoSync turns it off for throw-away databases).
//
// # Record format
//
// Each entry is stored as a versioned, length-prefixed record: a version byte
// (1), then uvarint-length-prefixed DN, a uvarint attribute count, and per
// attribute its length-prefixed name, a uvarint value count and the
// length-prefixed values. The decoder treats the bytes as untrusted: a
// corrupt record is a [*CorruptError] naming the entry's key, never a panic.
package store
