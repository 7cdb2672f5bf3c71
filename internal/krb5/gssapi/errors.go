package gssapi

import (
	"errors"
	"fmt"
)

// Error is what every function of the package returns on failure: the
// operation, a reason a person can act on, and a sentinel for errors.Is. It
// never holds a key, a ticket or a plaintext.
type Error struct {
	Op     string // "accept", "initiate", "unwrap", "verify MIC", "decode token", …
	Reason string
	Err    error // a sentinel below, or a wrapped error from crypto or msg
}

func (e *Error) Error() string {
	s := "gssapi: " + e.Op
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels, for errors.Is.
var (
	// ErrMalformed means a token is not what RFC 4121 / RFC 1964 frame:
	// wrong framing, OID, token ID, filler, length or an undecodable
	// Kerberos message inside.
	ErrMalformed = errors.New("malformed token")
	// ErrBadMIC means a checksum or an encryption's integrity check failed:
	// the token was altered, or made with another key or key usage.
	ErrBadMIC = errors.New("bad MIC or integrity check")
	// ErrReplay means a per-message token or an authenticator was seen
	// before.
	ErrReplay = errors.New("replayed token")
	// ErrOutOfOrder means a per-message token arrived after a later one
	// while sequencing was requested, or is older than the replay window.
	ErrOutOfOrder = errors.New("token out of order")
	// ErrReflected means a token claims to come from our own side of the
	// context (the SentByAcceptor flag), or carries the wrong
	// AcceptorSubkey flag: someone sent our own token back to us.
	ErrReflected = errors.New("reflected token or wrong direction flag")
	// ErrSkew means the authenticator's time, or the ticket's validity,
	// is off the acceptor's clock by more than the allowed skew.
	ErrSkew = errors.New("clock skew too great or ticket not valid now")
	// ErrWrongService means the ticket names a service this acceptor does
	// not serve, or the keytab has no key for it.
	ErrWrongService = errors.New("ticket is for another service")
	// ErrChannelBinding means the channel bindings do not match, or the
	// acceptor requires them and the initiator sent none.
	ErrChannelBinding = errors.New("channel bindings mismatch")
	// ErrMutualFailed means the AP-REP does not prove the acceptor holds
	// the session key (ctime/cusec not echoed).
	ErrMutualFailed = errors.New("mutual authentication failed")
	// ErrConfig means an InitiatorConfig or AcceptorConfig lacks a
	// required field or holds an invalid one.
	ErrConfig = errors.New("invalid configuration")
	// ErrState means a method was called in the wrong state: Step after
	// completion, Wrap before it.
	ErrState = errors.New("wrong context state")
	// ErrUnsupported means a key of an encryption type RFC 4121's tokens
	// do not serve here: rc4-hmac and DES use RFC 4757/1964 per-message
	// tokens, which this package does not implement.
	ErrUnsupported = errors.New("unsupported encryption type")
	// ErrKRBError means the peer answered with a KRB-ERROR token.
	ErrKRBError = errors.New("peer sent KRB-ERROR")
)

func errorf(op string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// wrapErr keeps cause reachable with errors.Is while naming sentinel too.
func wrapErr(op string, sentinel error, reason string, cause error) *Error {
	return &Error{Op: op, Reason: reason, Err: fmt.Errorf("%w: %w", sentinel, cause)}
}
