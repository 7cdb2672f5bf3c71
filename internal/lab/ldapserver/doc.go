// Package ldapserver is an LDAPv3 server protocol engine: it reads and
// writes the messages of RFC 4511 over plain TCP, LDAPS and StartTLS
// (RFC 4513), decodes and evaluates search filters (RFC 4511 §4.5.1, shown
// in the RFC 4515 string form), serves the simple paged results control
// (RFC 2696), answers the WhoAmI extended operation (RFC 4532) and frames
// PDUs through a SASL security layer (RFC 4422 §3.7) once a bind installs
// one. It knows nothing about Active Directory: the directory semantics
// live in a [Handler], which internal/lab implements.
//
// # Connections and operations
//
// [Server.Serve] and [Server.ServeTLS] accept connections until their
// context is cancelled. Each connection has a reader goroutine that decodes
// request PDUs and one worker that runs operations in order; Abandon is
// acted on by the reader as soon as it arrives, by cancelling the target
// operation's context. Bind and extended requests wait until every earlier
// operation has finished (RFC 4511 §4.2.1), and run before the next PDU is
// read, so that a security layer or TLS takes effect exactly after their
// response; an Abandon sent during a bind is read only after it. StartTLS
// is refused with operationsError while other operations are outstanding,
// and when TLS or a SASL layer is already in place.
//
// A connection with no outstanding operation is closed after
// [Server.IdleTimeout] without requests. [Server.MaxConns] connections at
// most are served; one more receives a Notice of Disconnection (busy).
//
// A PDU whose outer structure cannot be decoded (wrong tags or lengths, a
// message ID that is not an INTEGER, an unknown protocolOp, a PDU larger
// than [Server.MaxMessageSize]) ends the connection with a Notice of
// Disconnection (protocolError) as RFC 4511 §4.1.1 asks. A request whose
// outer structure is sound but whose fields are not (a bind version other
// than 3, a modify operation outside add/delete/replace, an unknown
// critical control) gets its own response with the matching result code.
//
// # Paged results
//
// The server itself serves control 1.2.840.113556.1.4.319: the first
// request of a paged search runs [Handler.Search] once and buffers its
// entries and references (at most [Server.MaxSearchEntries]) in the
// connection, under a random 16-byte cookie; later requests with that
// cookie are served from the buffer. A request whose cookie is unknown, or
// whose base, scope, filter or attribute list differs from the search that
// made the cookie, gets unwillingToPerform. A page size of 0 frees the
// state; so does abandoning the message that fetched the last page, and
// closing the connection. A connection keeps at most 16 paged searches; the
// oldest is dropped first.
//
// # Filters
//
// [Filter] is the full filter CHOICE. [Filter.Match] evaluates it
// three-valued against an [Entry], with syntaxes from a [Schema]. Attribute
// descriptions are compared case-insensitively and their options
// (";binary", ";range=0-*") are ignored when matching: the attribute's base
// name is what [Entry.Get] receives.
package ldapserver
