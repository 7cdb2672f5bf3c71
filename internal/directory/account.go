package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

// Account is a security principal found by sAMAccountName: a user, a
// computer or a (group) managed service account.
type Account struct {
	DN             string
	ObjectClass    []string // every class, "top" first, as the DC lists them
	SID            adtypes.SID
	GUID           adtypes.GUID
	SAMAccountName string // as stored, e.g. "WebApp01$"
	// UserAccountControl holds the [MS-ADTS] 2.2.16 flags (4096 =
	// WORKSTATION_TRUST_ACCOUNT, 2 = ACCOUNTDISABLE).
	UserAccountControl uint32
	DNSHostName        string
	SPNs               []string // servicePrincipalName
	// SupportedEncryptionTypes is msDS-SupportedEncryptionTypes, 0 when
	// absent (the KDC then assumes RC4 for service tickets).
	SupportedEncryptionTypes uint32
	// KeyVersionNumber is msDS-KeyVersionNumber: the kvno keytab entries
	// must carry.
	KeyVersionNumber uint32
	WhenCreated      time.Time
}

// uacAccountDisable is ACCOUNTDISABLE in userAccountControl.
const uacAccountDisable = 0x2

// Disabled reports ACCOUNTDISABLE.
func (a *Account) Disabled() bool { return a.UserAccountControl&uacAccountDisable != 0 }

// IsGMSA reports whether the account is a group managed service account.
func (a *Account) IsGMSA() bool {
	return isGMSA(a.ObjectClass)
}

var accountAttrs = []string{
	"objectClass", "objectSid", "objectGUID", "sAMAccountName", "userAccountControl", "dNSHostName",
	"servicePrincipalName", "msDS-SupportedEncryptionTypes", "msDS-KeyVersionNumber", "whenCreated",
}

// FindAccount searches the whole domain for sAMAccountName name,
// case-insensitively, as AD compares it. A name without a trailing "$" also
// finds the computer or gMSA "name$"; if both "name" and "name$" exist, the
// exact one wins. A missing account is an [*Error] wrapping [ErrNotFound].
func (c *Conn) FindAccount(ctx context.Context, name string) (*Account, error) {
	const op = "find account"
	if name == "" || strings.ContainsAny(name, "\x00") {
		return nil, &Error{Op: op, Account: name, Err: errors.New("empty or invalid sAMAccountName")}
	}
	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	filter := "(sAMAccountName=" + ldap.EscapeFilter(name) + ")"
	if !strings.HasSuffix(name, "$") {
		filter = "(|" + filter + "(sAMAccountName=" + ldap.EscapeFilter(name+"$") + "))"
	}
	entries, err := c.search(ctx, searchOpt{base: dse.DefaultNamingContext, scope: ldap.ScopeWholeSubtree,
		filter: filter, attrs: accountAttrs, paged: true})
	if err != nil {
		return nil, &Error{Op: op, Account: name, Err: err}
	}
	if len(entries) == 0 {
		return nil, &Error{Op: op, Account: name, Err: ErrNotFound,
			Hint: "names are sAMAccountNames (WebApp01 or WebApp01$), searched under " + dse.DefaultNamingContext}
	}
	pick := entries[0]
	if len(entries) > 1 {
		i := slices.IndexFunc(entries, func(e *ldap.Entry) bool {
			return strings.EqualFold(e.GetEqualFoldAttributeValue("sAMAccountName"), name)
		})
		if i < 0 {
			return nil, &Error{Op: op, Account: name, Err: errors.New("more than one account matches")}
		}
		pick = entries[i]
	}
	a, err := decodeAccount(pick)
	if err != nil {
		return nil, &Error{Op: op, Account: name, DN: pick.DN, Err: err}
	}
	return a, nil
}

func decodeAccount(le *ldap.Entry) (*Account, error) {
	e := &entry{Entry: le}
	a := &Account{
		DN:                       le.DN,
		ObjectClass:              e.strs("objectClass"),
		SID:                      e.sid("objectSid"),
		GUID:                     e.guid("objectGUID"),
		SAMAccountName:           e.str("sAMAccountName"),
		UserAccountControl:       e.uint32("userAccountControl"),
		DNSHostName:              e.str("dNSHostName"),
		SPNs:                     e.strs("servicePrincipalName"),
		SupportedEncryptionTypes: e.uint32("msDS-SupportedEncryptionTypes"),
		KeyVersionNumber:         e.uint32("msDS-KeyVersionNumber"),
		WhenCreated:              e.generalizedTime("whenCreated"),
	}
	return a, e.err
}

// ServiceAccount is a gMSA with what Get-ADServiceAccount shows of it:
// the allowed principals, the password interval and the IDs of the current
// and previous passwords. None of it is secret.
type ServiceAccount struct {
	GMSA
	// PasswordID is msDS-ManagedPasswordId: the root key and GKID the
	// current password derives from; nil when the DC has none yet.
	PasswordID *gkdi.KeyEnvelope
	// PreviousPasswordID is msDS-ManagedPasswordPreviousId, nil before the
	// first rollover.
	PreviousPasswordID *gkdi.KeyEnvelope
}

var serviceAccountAttrs = append([]string{"msDS-GroupMSAMembership", "msDS-ManagedPasswordInterval",
	"msDS-ManagedPasswordId", "msDS-ManagedPasswordPreviousId"}, accountAttrs...)

// FindGMSA finds a gMSA by sAMAccountName (as [Conn.FindAccount] takes it)
// and reads its non-secret gMSA attributes. An account that is not a gMSA is
// [ErrNotGMSA]; a missing one [ErrNotFound].
func (c *Conn) FindGMSA(ctx context.Context, name string) (*ServiceAccount, error) {
	const op = "read gMSA"
	a, err := c.FindAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	if !a.IsGMSA() {
		return nil, &Error{Op: op, Account: name, DN: a.DN, Err: ErrNotGMSA,
			Hint: a.SAMAccountName + " is a " + a.ObjectClass[len(a.ObjectClass)-1] + "; gmsa account list shows the gMSAs"}
	}
	es, err := c.search(ctx, searchOpt{base: a.DN, scope: ldap.ScopeBaseObject, attrs: serviceAccountAttrs})
	if err == nil && len(es) != 1 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, &Error{Op: op, Account: name, DN: a.DN, Err: err}
	}
	sa, err := decodeServiceAccount(es[0])
	if err != nil {
		return nil, &Error{Op: op, Account: name, DN: a.DN, Err: err}
	}
	return sa, nil
}

func decodeServiceAccount(le *ldap.Entry) (*ServiceAccount, error) {
	a, err := decodeAccount(le)
	if err != nil {
		return nil, err
	}
	e := &entry{Entry: le}
	sa := &ServiceAccount{GMSA: GMSA{Account: *a, PasswordIntervalDays: int(e.int64("msDS-ManagedPasswordInterval", 30))}}
	if e.err != nil {
		return nil, e.err
	}
	if b := e.raw("msDS-GroupMSAMembership"); b != nil {
		sd, err := adtypes.ParseSecurityDescriptor(b)
		if err != nil {
			return nil, fmt.Errorf("%w: msDS-GroupMSAMembership: %v", ErrMalformed, err)
		}
		if sd.DACL != nil {
			for _, ace := range sd.DACL.ACEs {
				if ace.Type == adtypes.ACETypeAccessAllowed {
					sa.Allowed = append(sa.Allowed, ace.SID)
				}
			}
		}
	}
	for _, id := range []struct {
		name string
		dst  **gkdi.KeyEnvelope
	}{{"msDS-ManagedPasswordId", &sa.PasswordID}, {"msDS-ManagedPasswordPreviousId", &sa.PreviousPasswordID}} {
		if b := e.raw(id.name); b != nil {
			env, err := gkdi.ParseKeyEnvelope(b)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, id.name, err)
			}
			*id.dst = env
		}
	}
	return sa, nil
}
