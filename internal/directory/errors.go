package directory

import (
	"errors"
	"strings"
)

// Sentinels that errors.Is finds inside an [*Error].
var (
	// ErrNotFound: the object (account, root key container, …) does not
	// exist or the bound identity cannot see it.
	ErrNotFound = errors.New("not found")
	// ErrNotAllowed: the DC returned the object without the secret
	// attribute because the bound identity may not read it (for
	// msDS-ManagedPassword: it is not in msDS-GroupMSAMembership).
	ErrNotAllowed = errors.New("not allowed to read")
	// ErrConfidentialityRequired: the DC refused because the connection is
	// neither TLS nor sealed.
	ErrConfidentialityRequired = errors.New("the server requires a confidential (TLS or sealed) connection")
	// ErrInsecureBind: a simple bind was asked for on a connection without
	// TLS; this package refuses to send the password.
	ErrInsecureBind = errors.New("simple bind refused: a password is never sent without TLS (use ldaps:// or StartTLS)")
	// ErrNoRootKeyData: KDS root keys are visible but msKds-RootKeyData is
	// not (a confidential attribute readable by Domain Admins and the DCs).
	ErrNoRootKeyData = errors.New("msKds-RootKeyData is not readable")
	// ErrNotGMSA: the account exists but is not a group managed service
	// account.
	ErrNotGMSA = errors.New("not a group managed service account")
	// ErrMalformed: the DC returned a value this package cannot decode.
	ErrMalformed = errors.New("malformed value from the directory")
)

// Error is every error this package returns. Op names the operation
// ("bind", "search", "find account", "add root key", …); DN and Account
// name the object when there is one. Err wraps the cause: a sentinel of
// this package, the server's *ldap.Error (errors.As keeps its result code),
// a context error, or several of these. Hint, when set, tells a person what
// to do; it is kept apart from the message, so that the CLI can print it on
// its own "hint:" line.
type Error struct {
	Op      string
	DN      string
	Account string
	Hint    string
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("directory: ")
	b.WriteString(e.Op)
	if e.Account != "" {
		b.WriteString(" ")
		b.WriteString(quote(e.Account))
	}
	if e.DN != "" {
		b.WriteString(" (")
		b.WriteString(e.DN)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func quote(s string) string { return `"` + s + `"` }
