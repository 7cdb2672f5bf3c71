package transport

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// The package has two error types because they answer different questions:
// a [*ConfigError] says where in which file krb5.conf is wrong, an [*Error]
// says which KDC addresses were tried and how each failed. Both wrap one of
// the sentinels below, for errors.Is.
var (
	// ErrSyntax means a krb5.conf line is not MIT profile syntax: an
	// unclosed or stray brace, a relation without "=", a section header
	// inside a subsection.
	ErrSyntax = errors.New("krb5.conf syntax error")
	// ErrBadValue means a krb5.conf value the package interprets is not
	// valid: a boolean other than yes/no/true/false/on/off/1/0, a number,
	// a duration, a kdc address.
	ErrBadValue = errors.New("invalid krb5.conf value")
	// ErrInclude means an include or includedir directive could not be
	// followed: no file system (ParseConfig), a missing file, a cycle.
	ErrInclude = errors.New("krb5.conf include failed")
	// ErrNoKDC means no KDC of the realm answered, or none could be found.
	ErrNoKDC = errors.New("no KDC answered")
	// ErrFraming means a KDC's reply was not a Kerberos message in its
	// framing: a TCP length with the reserved high bit set or over the
	// size bound, or bytes that are not an [APPLICATION n] message.
	ErrFraming = errors.New("bad KDC reply framing")
	// ErrUnsupported means a kdc entry names a transport this package does
	// not speak (MS-KKDCP, "https://").
	ErrUnsupported = errors.New("unsupported KDC transport")
)

// ConfigError is a problem in a krb5.conf file, at a line.
type ConfigError struct {
	File   string // the file's path, or "krb5.conf" for ParseConfig's bytes
	Line   int    // 1-based; 0 when the error is about the file as a whole
	Text   string // the offending line or value, trimmed
	Reason string // what is wrong, for a person
	Err    error  // ErrSyntax, ErrBadValue or ErrInclude
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("krb5.conf: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Text != "" {
		b.WriteString(": " + strconv.Quote(e.Text))
	}
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Attempt is one try of one KDC address over one protocol.
type Attempt struct {
	Network string // "udp" or "tcp"; "https" for an unsupported entry, "dns" for an SRV lookup
	Addr    string // host:port as dialled, or the SRV name looked up
	Err     error  // nil for the attempt that returned the reply
}

func (a Attempt) String() string {
	s := a.Network + " " + a.Addr
	if a.Err != nil {
		s += ": " + brief(a.Err)
	}
	return s
}

// Error is what RoundTrip and Discover return when no KDC of a realm
// answered or none could be found: every attempt with its failure.
type Error struct {
	Realm    string
	Attempts []Attempt
	Reason   string // set when there was nothing to try, e.g. "no kdc in krb5.conf and dns_lookup_kdc = false"
	Err      error  // ErrNoKDC; a context error when ctx ended first (errors.Is matches both)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("kdc: no KDC of " + e.Realm + " answered")
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	for i, a := range e.Attempts {
		if i == 0 && e.Reason == "" {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.String())
	}
	if e.Err != nil && !errors.Is(e.Err, ErrNoKDC) {
		b.WriteString(" (" + e.Err.Error() + ")")
	}
	return b.String()
}

// Unwrap returns ErrNoKDC and, when ctx ended the search, the context's
// error, so that errors.Is(err, context.DeadlineExceeded) holds too.
func (e *Error) Unwrap() []error {
	if e.Err == nil || errors.Is(e.Err, ErrNoKDC) {
		return []error{ErrNoKDC}
	}
	return []error{ErrNoKDC, e.Err}
}

// brief shortens a network error to its cause ("connection refused", "i/o
// timeout"): the attempt already names the protocol and address.
func brief(err error) string {
	for {
		var op *net.OpError
		var sys *os.SyscallError
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe) && pe.Err != nil:
			err = pe.Err
		case errors.As(err, &op) && op.Err != nil:
			if op.Timeout() {
				return "i/o timeout"
			}
			err = op.Err
		case errors.As(err, &sys) && sys.Err != nil:
			err = sys.Err
		default:
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return "i/o timeout"
			}
			return err.Error()
		}
	}
}
