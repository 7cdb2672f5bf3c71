package kdc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// Defaults for the zero fields of [KDC].
const (
	DefaultMaxTicketLife  = 10 * time.Hour     // Active Directory's "maximum lifetime for user ticket"
	DefaultMaxRenewLife   = 7 * 24 * time.Hour // Active Directory's "maximum lifetime for user ticket renewal"
	DefaultMaxSkew        = 5 * time.Minute    // RFC 4120 §1.6's customary skew and AD's default
	DefaultMaxRequestSize = 64 << 10           // bytes of one request over TCP
	// DefaultMaxUDPReply is the largest reply sent in a UDP datagram; a
	// larger one is replaced by KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 §7.2.1),
	// after which clients retry over TCP. 4096 is MIT krb5kdc's
	// kdc_max_dgram_reply_size: a TGT with a PAC of a few groups fits, one
	// of a user in hundreds of groups goes over TCP.
	DefaultMaxUDPReply = 4096
	// DefaultReadTimeout bounds how long a TCP connection may take to send
	// one request (and how long an idle connection stays open).
	DefaultReadTimeout = 10 * time.Second
)

// ErrUnknown is what a [Backend] returns for a name no account has.
var ErrUnknown = errors.New("kdc: no such principal")

// Key is one long-term key of a principal and its key version number
// (msDS-KeyVersionNumber).
type Key struct {
	Kvno uint32
	Key  crypto.Key
}

// Principal is an account as the KDC needs it: its keys, its state and
// what goes into the PAC. The lab fills it from its directory.
type Principal struct {
	SAMAccountName string // as stored: "WebApp01$", "Administrator", "krbtgt"
	Realm          string // upper-case realm
	// Keys are the long-term keys, those of the highest kvno first. A gMSA
	// may also carry its previous password's keys (same or older kvno):
	// pre-authentication is accepted with any of them, tickets are issued
	// with the first kvno's. rc4-hmac keys work only once passed through
	// crypto.AllowRC4 (and listed in Enctypes).
	Keys []Key
	Salt string // the AD salt, sent in PA-ETYPE-INFO2
	// Enctypes are the encryption types allowed, from
	// msDS-SupportedEncryptionTypes; when empty, aes256-cts-hmac-sha1-96
	// and aes128-cts-hmac-sha1-96.
	Enctypes []crypto.EncType

	UserSID         adtypes.SID   // the account's SID; the domain SID is its prefix
	PrimaryGroupRID uint32        // 513 for users, 515 for computers and gMSAs
	GroupSIDs       []adtypes.SID // every group, nested groups resolved, in any domain

	UPN           string // userPrincipalName; "" to construct sAMAccountName@dnsdomain
	DNSDomain     string // "contoso.com"
	NetBIOSDomain string // "CONTOSO"
	FullName      string // displayName

	Disabled, Expired, LockedOut bool
	AccountExpires               time.Time // zero: never
	// IsService says the account may be the target of a TGS exchange (it
	// has SPNs, or is a computer, a gMSA or krbtgt).
	IsService bool
}

// Backend finds accounts. Names are compared case-insensitively, as Active
// Directory does.
type Backend interface {
	// Client finds the client of an AS-REQ: a sAMAccountName (with or
	// without the trailing $ of a machine account), a "host/name" form,
	// or a UPN (NT-ENTERPRISE). It returns an error wrapping ErrUnknown
	// when no account matches.
	Client(ctx context.Context, name msg.PrincipalName, realm string) (*Principal, error)
	// Service finds the target of a ticket: krbtgt/REALM, any
	// servicePrincipalName, and the NAME$ and host/NAME forms. It returns
	// an error wrapping ErrUnknown when no account matches.
	Service(ctx context.Context, name msg.PrincipalName, realm string) (*Principal, error)
}

// KDC answers AS and TGS requests for one realm. Its fields are read-only
// once it serves; one KDC may serve UDP and TCP at once.
type KDC struct {
	Realm   string // upper case: "CONTOSO.COM"
	Backend Backend
	// Now is the clock for ticket times: time.Now in the lab (the lab's
	// clock offset moves gMSA passwords, never Kerberos times).
	Now func() time.Time
	// Rand supplies session keys and confounders; crypto/rand.Reader when
	// nil.
	Rand io.Reader

	MaxTicketLife  time.Duration // DefaultMaxTicketLife when zero
	MaxRenewLife   time.Duration // DefaultMaxRenewLife when zero
	MaxSkew        time.Duration // DefaultMaxSkew when zero
	MaxRequestSize int           // DefaultMaxRequestSize when zero
	MaxUDPReply    int           // DefaultMaxUDPReply when zero
	ReadTimeout    time.Duration // DefaultReadTimeout when zero
	// LogonServer is the NetBIOS name of the DC written in the PAC; "DC1"
	// when empty.
	LogonServer string
	// Logger receives one line per request (client, server, outcome),
	// never key material; nothing is logged when nil.
	Logger *slog.Logger
}

func (k *KDC) now() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}

func (k *KDC) rand() io.Reader {
	if k.Rand == nil {
		return rand.Reader
	}
	return k.Rand
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

func (k *KDC) maxSkew() time.Duration { return orDefault(k.MaxSkew, DefaultMaxSkew) }

func (k *KDC) logger() *slog.Logger {
	if k.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Logger
}

// kdcError is a refusal: the KRB-ERROR code and, for the log and the
// e-text, why. It never holds key material.
type kdcError struct {
	code   msg.ErrorCode
	reason string
	md     msg.MethodData // e-data METHOD-DATA (KDC_ERR_PREAUTH_REQUIRED)
	edata  []byte         // other e-data (KERB-ERROR-DATA with an NTSTATUS)
}

func (e *kdcError) Error() string { return fmt.Sprintf("%v: %s", e.code, e.reason) }

func refuse(code msg.ErrorCode, format string, args ...any) *kdcError {
	return &kdcError{code: code, reason: fmt.Sprintf(format, args...)}
}

// Handle answers one request — an AS-REQ or a TGS-REQ in DER, as received
// over UDP or inside a TCP frame — with the reply's DER: an AS-REP, a
// TGS-REP or a KRB-ERROR. It returns nil only when the input is not worth
// an answer (not a Kerberos request at all and not even an APPLICATION
// tag), which a server drops. It never panics. remote is for the log and
// may be nil.
func (k *KDC) Handle(ctx context.Context, req []byte, remote net.Addr) (reply []byte) {
	start := k.now()
	defer func() {
		if r := recover(); r != nil {
			k.logger().Error("kdc: internal error", "remote", addrString(remote), "panic", fmt.Sprint(r))
			reply = k.errorReply(refuse(msg.KRBErrGeneric, "internal error"), nil, start)
		}
	}()
	t, err := msg.Peek(req)
	if err != nil {
		return nil
	}
	if t != msg.MsgTypeASReq && t != msg.MsgTypeTGSReq {
		return k.errorReply(refuse(msg.APErrMsgType, "%v is not a KDC request", t), nil, start)
	}
	r, err := msg.ParseKDCReq(req)
	if err != nil {
		return k.errorReply(refuse(msg.KRBErrGeneric, "malformed %v: %v", t, err), nil, start)
	}
	var (
		out  []byte
		info logInfo
	)
	now := start.UTC().Truncate(time.Second) // KerberosTime has whole seconds
	if r.MsgType == msg.MsgTypeASReq {
		out, info, err = k.as(ctx, r, now)
	} else {
		out, info, err = k.tgs(ctx, r, now)
	}
	attrs := []any{"remote", addrString(remote), "client", info.client, "server", info.server}
	var ke *kdcError
	switch {
	case err == nil:
		k.logger().Info("kdc: "+info.op+" issued", append(attrs, "etype", info.etype.String())...)
		return out
	case errors.As(err, &ke):
		k.logger().Info("kdc: "+info.op+" refused", append(attrs, "code", ke.code.String(), "reason", ke.reason)...)
	default:
		k.logger().Error("kdc: "+info.op+" failed", append(attrs, "err", err.Error())...)
		ke = refuse(msg.KRBErrGeneric, "internal error")
	}
	return k.errorReply(ke, r, start)
}

// logInfo is what one request's log line says.
type logInfo struct {
	op             string // "AS", "TGS", "renewal"
	client, server string
	etype          crypto.EncType // of the ticket's session key
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// errorReply encodes a KRB-ERROR for e, about the request r when there is
// one (RFC 4120 §5.9.1: the server's name and realm, and the client's when
// the request named one).
func (k *KDC) errorReply(e *kdcError, r *msg.KDCReq, now time.Time) []byte {
	now = now.UTC()
	ke := &msg.KRBError{
		STime:      now.Truncate(time.Second),
		SUSec:      int32(now.Nanosecond() / 1000),
		ErrorCode:  e.code,
		Realm:      k.Realm,
		SName:      k.tgsName(),
		MethodData: e.md,
		EData:      e.edata,
	}
	if e.code != msg.KDCErrPreauthRequired {
		ke.EText = e.code.String()
	}
	if r != nil {
		if r.ReqBody.SName != nil {
			ke.SName = *r.ReqBody.SName
		}
		if r.ReqBody.CName != nil {
			ke.CName = r.ReqBody.CName
			ke.CRealm = r.ReqBody.Realm
		}
	}
	b, err := ke.Marshal()
	if err != nil {
		// Only a name from the request can make this fail (a bad
		// GeneralString); answer without echoing it.
		ke.SName, ke.CName, ke.CRealm = k.tgsName(), nil, ""
		if b, err = ke.Marshal(); err != nil {
			return nil
		}
	}
	return b
}

// tgsName is krbtgt/REALM.
func (k *KDC) tgsName() msg.PrincipalName {
	return msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", k.Realm}}
}

func isTGS(name msg.PrincipalName, realm string) bool {
	return len(name.NameString) == 2 && strings.EqualFold(name.NameString[0], "krbtgt") && strings.EqualFold(name.NameString[1], realm)
}

// krbtgt looks up the realm's krbtgt account.
func (k *KDC) krbtgt(ctx context.Context) (*Principal, error) {
	p, err := k.Backend.Service(ctx, k.tgsName(), k.Realm)
	if err != nil {
		return nil, fmt.Errorf("looking up krbtgt/%s: %w", k.Realm, err)
	}
	if len(p.Keys) == 0 {
		return nil, fmt.Errorf("krbtgt/%s has no keys", k.Realm)
	}
	return p, nil
}
