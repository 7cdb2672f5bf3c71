// Package agent is gmsad, the host agent: it leases the Kerberos identity of
// group managed service accounts to containers on a Linux host, as ccg.exe
// does for Windows containers.
//
// A lease is a directory (architecture.md, "Files") holding a credential
// cache for the credential spec's primary gMSA (krb5cc), one for each
// additional gMSA (krb5cc_<account>), a krb5.conf naming the domain's KDCs,
// and on request a keytab (krb5.keytab). The container mounts it read-only and
// points KRB5CCNAME and KRB5_CONFIG there; nobody handles a password.
//
// # Efficiency
//
// Work grows with the number of gMSAs, not containers: each gMSA has one
// identity in memory (never on disk) holding its password's Kerberos keys,
// read and derived once per password rotation, and one TGT that every lease
// of that gMSA receives in its ccache.
//
// # Renewal
//
// NextAction is the renewal policy as a pure function of the clock, the
// TGT's times and the password blob's query interval: a TGS renewal at about
// half of the ticket's life (with jitter) while renew-till allows, a new AS
// exchange after that, a password re-read right after the rotation the blob
// announced (and a new AS exchange when the password changed), and
// exponential backoff after failures. Agent.Run is the one loop that carries
// the actions out. While no DC answers, the files already written stay in
// place: a failure never removes a ticket.
//
// # State and security
//
// Leases (never tickets or keys) are persisted in a bbolt database in the
// state directory, so that a restarted agent restores every lease and resumes
// renewals. Files are written to a temporary file in the lease directory,
// fsynced and renamed, owned by the lease owner with mode 0600 in a 0700
// directory. The local API (Handler) is HTTP/JSON over a Unix socket; callers
// are identified by SO_PEERCRED: root and members of a configured group may
// create leases, and only the creating uid or root may read, renew or delete
// one. A lease may be tied to its creating process (`gmsa run`); it is
// collected after a TTL once that process is gone.
package agent
