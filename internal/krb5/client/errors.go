package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// Sentinels, for errors.Is. A *KDCError matches the one its code stands for.
var (
	// ErrPreauthFailed: KDC_ERR_PREAUTH_FAILED (24) — the key (password,
	// salt, gMSA key) is wrong — or an AS-REP that the key cannot decrypt.
	ErrPreauthFailed = errors.New("pre-authentication failed")
	// ErrPrincipalUnknown: KDC_ERR_C_PRINCIPAL_UNKNOWN (6) or
	// KDC_ERR_S_PRINCIPAL_UNKNOWN (7).
	ErrPrincipalUnknown = errors.New("principal unknown")
	// ErrClockSkew: KRB_AP_ERR_SKEW (37), even after the retry with the
	// KDC's offset.
	ErrClockSkew = errors.New("clock skew too great")
	// ErrClientRevoked: KDC_ERR_CLIENT_REVOKED (18) — the account is
	// disabled, expired or locked out.
	ErrClientRevoked = errors.New("client credentials revoked")
	// ErrNoCommonEncType: KDC_ERR_ETYPE_NOSUPP (14), or the KDC's
	// ETYPE-INFO2 names no encryption type this client has a key for.
	ErrNoCommonEncType = errors.New("no common encryption type")
	// ErrKeyExpired: KDC_ERR_KEY_EXPIRED (23) — the password has expired.
	ErrKeyExpired = errors.New("password expired")
	// ErrPolicy: KDC_ERR_POLICY (12).
	ErrPolicy = errors.New("refused by KDC policy")
	// ErrTicketExpired: KRB_AP_ERR_TKT_EXPIRED (32) — the TGT presented in
	// a TGS exchange has expired.
	ErrTicketExpired = errors.New("ticket expired")
	// ErrCannotRenew: the TGT is not renewable, or its renew-till has
	// passed; also KDC_ERR_BADOPTION (13) for a renewal.
	ErrCannotRenew = errors.New("ticket cannot be renewed")
	// ErrBadReply: the KDC's reply does not match the request (nonce,
	// client or server name) or is not a KDC reply at all.
	ErrBadReply = errors.New("KDC reply does not match the request")
	// ErrNoKey: a KeySource has no key for the encryption type asked for.
	ErrNoKey = errors.New("no key for this encryption type")
	// ErrNotATicket: a ccache entry given to FromCCache holds no usable
	// ticket (a configuration entry, or no ticket or key).
	ErrNotATicket = errors.New("not a ticket")
)

// KDCError is a KRB-ERROR a KDC answered with (RFC 4120 §5.9.1), with what
// the client asked for. It never holds key material.
type KDCError struct {
	Op     string        // "AS exchange", "TGS exchange", "renewal"
	Code   msg.ErrorCode // the error-code
	EText  string        // the KDC's e-text, may be empty
	Client string        // the client principal, "name@REALM"
	Server string        // the server principal the KRB-ERROR names, "name@REALM"
	// KDCOffset is the KDC's clock minus the host's, from the KRB-ERROR's
	// stime; zero when the KDC sent none.
	KDCOffset time.Duration
	// EncTypes are the encryption types the client offered.
	EncTypes []crypto.EncType
}

func (e *KDCError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "krb5 client: %s", e.Op)
	if e.Client != "" {
		fmt.Fprintf(&b, " for %s", e.Client)
	}
	if e.Server != "" {
		fmt.Fprintf(&b, " (server %s)", e.Server)
	}
	fmt.Fprintf(&b, ": %s (%d)", e.Code, int32(e.Code))
	if e.EText != "" {
		fmt.Fprintf(&b, ": %q", e.EText)
	}
	return b.String()
}

// Is matches the sentinel that stands for the error code.
func (e *KDCError) Is(target error) bool {
	switch target {
	case ErrPreauthFailed:
		return e.Code == msg.KDCErrPreauthFailed
	case ErrPrincipalUnknown:
		return e.Code == msg.KDCErrCPrincipalUnknown || e.Code == msg.KDCErrSPrincipalUnknown
	case ErrClockSkew:
		return e.Code == msg.APErrSkew
	case ErrClientRevoked:
		return e.Code == msg.KDCErrClientRevoked
	case ErrNoCommonEncType:
		return e.Code == msg.KDCErrETypeNoSupp
	case ErrKeyExpired:
		return e.Code == msg.KDCErrKeyExpired
	case ErrPolicy:
		return e.Code == msg.KDCErrPolicy
	case ErrTicketExpired:
		return e.Code == msg.APErrTktExpired
	case ErrCannotRenew:
		return e.Op == opRenew && e.Code == msg.KDCErrBadOption
	}
	return false
}

// Hint says what a person can do about the error.
func (e *KDCError) Hint() string {
	switch e.Code {
	case msg.APErrSkew:
		return "clock skew: sync the host clock (" + describeOffset(e.KDCOffset) + ")"
	case msg.KDCErrPreauthFailed:
		return "pre-authentication failed: wrong key or salt (a wrong password, or keys derived from a stale gMSA password)"
	case msg.KDCErrCPrincipalUnknown:
		return "principal unknown: check the name and realm of " + e.Client
	case msg.KDCErrSPrincipalUnknown:
		return "principal unknown: check the name and realm of " + e.Server + " (AD: no account has this SPN)"
	case msg.KDCErrClientRevoked:
		return "client revoked: the account is disabled or locked (AD: userAccountControl)"
	case msg.KDCErrETypeNoSupp:
		return "no common encryption type: the account's keys do not include " + encTypeList(e.EncTypes) +
			" (AD: check msDS-SupportedEncryptionTypes)"
	case msg.KDCErrKeyExpired:
		return "password expired: set a new password for " + e.Client
	case msg.KDCErrPolicy:
		return "refused by KDC policy: logon hours, workstation or authentication policy restrictions"
	case msg.APErrTktExpired:
		return "ticket expired: log in again"
	case msg.KDCErrBadOption:
		if e.Op == opRenew {
			return "cannot renew: the ticket is not renewable or its renew-till has passed; log in again"
		}
		return "the KDC refused an option of the request"
	case msg.KDCErrWrongRealm:
		return "wrong realm: cross-realm referrals are not supported; use the account's own realm"
	}
	return "the KDC refused the request: " + e.Code.String()
}

func describeOffset(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s > 0:
		return fmt.Sprintf("KDC is %d s ahead", s)
	case s < 0:
		return fmt.Sprintf("KDC is %d s behind", -s)
	}
	return "KDC offset unknown"
}

func encTypeList(es []crypto.EncType) string {
	if len(es) == 0 {
		return "any offered type"
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.String()
	}
	return "any of " + strings.Join(names, ", ")
}

// NoCommonEncTypeError is returned when the KDC's ETYPE-INFO2 lists no
// encryption type that is both offered and held by the KeySource.
type NoCommonEncTypeError struct {
	Client  string
	Offered []crypto.EncType // the client's list
	KDC     []crypto.EncType // what the KDC's ETYPE-INFO2 named
}

func (e *NoCommonEncTypeError) Error() string {
	return fmt.Sprintf("krb5 client: AS exchange for %s: %v: the KDC offers %s, the keys cover %s",
		e.Client, ErrNoCommonEncType, strings.TrimPrefix(encTypeList(e.KDC), "any of "), strings.TrimPrefix(encTypeList(e.Offered), "any of "))
}

// Is matches ErrNoCommonEncType.
func (e *NoCommonEncTypeError) Is(target error) bool { return target == ErrNoCommonEncType }

// Hint says what a person can do about the error.
func (e *NoCommonEncTypeError) Hint() string {
	return "no common encryption type: the account's keys do not include " + encTypeList(e.KDC) +
		" (for rc4-hmac, list it in Client.EncTypes and pass the key through crypto.AllowRC4)"
}

const (
	opAS    = "AS exchange"
	opTGS   = "TGS exchange"
	opRenew = "renewal"
)

func newKDCError(op, client string, e *msg.KRBError, offset time.Duration, enc []crypto.EncType) *KDCError {
	return &KDCError{
		Op:        op,
		Code:      e.ErrorCode,
		EText:     e.EText,
		Client:    client,
		Server:    e.SName.WithRealm(e.Realm),
		KDCOffset: offset,
		EncTypes:  append([]crypto.EncType(nil), enc...),
	}
}
