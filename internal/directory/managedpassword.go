package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// ManagedPasswordResult is a gMSA's msDS-ManagedPassword as the DC returned
// it, with the attributes that let a client recompute or check it.
type ManagedPasswordResult struct {
	DN             string
	SAMAccountName string
	Blob           *managedpassword.Blob
	// Account is what the DC derives the blob from: objectSid,
	// whenCreated, msDS-ManagedPasswordInterval (DefaultIntervalDays when
	// absent) and the password IDs.
	Account managedpassword.Account
}

var managedPasswordAttrs = []string{
	"objectClass", "sAMAccountName", "objectSid", "whenCreated", "msDS-ManagedPassword",
	"msDS-ManagedPasswordId", "msDS-ManagedPasswordPreviousId", "msDS-ManagedPasswordInterval",
}

// ManagedPassword reads msDS-ManagedPassword of a gMSA named by its DN or
// by sAMAccountName (as [Conn.FindAccount] takes it). The DC computes the
// attribute on each read and returns it only to principals that
// msDS-GroupMSAMembership allows, and only over a confidential connection.
// The errors say which rule failed:
//   - [ErrNotFound]: no such account;
//   - [ErrNotGMSA]: the account is not a gMSA;
//   - [ErrNotAllowed]: the object came back without the attribute — the
//     bound identity is not in msDS-GroupMSAMembership (Windows and Samba
//     do not return an error for that);
//   - [ErrConfidentialityRequired]: the DC refused because the connection
//     is neither TLS nor sealed. Samba answers operationsError (1), Windows
//     confidentialityRequired (13); the server's *ldap.Error is kept.
func (c *Conn) ManagedPassword(ctx context.Context, dnOrName string) (*ManagedPasswordResult, error) {
	const op = "read msDS-ManagedPassword of"
	dn, name := dnOrName, ""
	// "=" cannot occur in a sAMAccountName ([MS-ADTS] 3.1.1.5.2.4 forbids
	// it), so a name with one is a DN.
	if !strings.Contains(dnOrName, "=") {
		a, err := c.FindAccount(ctx, dnOrName)
		if err != nil {
			return nil, err
		}
		dn, name = a.DN, dnOrName
	}
	fail := func(err error, hint string) (*ManagedPasswordResult, error) {
		return nil, &Error{Op: op, Account: name, DN: dn, Err: err, Hint: hint}
	}
	entries, err := c.search(ctx, searchOpt{base: dn, scope: ldap.ScopeBaseObject, attrs: managedPasswordAttrs})
	if err != nil {
		// A DC refuses the read as a whole on an unbound or an
		// unencrypted connection. Whether the connection is bound and
		// confidential is known here, so the result code says enough; no
		// diagnostic text is matched.
		if c.bound() == "" && ldap.IsErrorWithCode(err, ldap.LDAPResultOperationsError) {
			// AD's 00002020 "Operation unavailable without authentication".
			return fail(fmt.Errorf("%w: %w", ErrNotAllowed, err), "the connection is not bound: bind first")
		}
		if ldap.IsErrorWithCode(err, ldap.LDAPResultConfidentialityRequired) ||
			(!c.confidential.Load() && ldap.IsErrorWithCode(err, ldap.LDAPResultOperationsError)) {
			return fail(fmt.Errorf("%w: %w", ErrConfidentialityRequired, err),
				"connect with ldaps:// or --start-tls, or bind with Kerberos (which seals)")
		}
		return fail(err, "")
	}
	if len(entries) == 0 {
		return fail(ErrNotFound, "")
	}
	e := &entry{Entry: entries[0]}
	res := &ManagedPasswordResult{DN: entries[0].DN, SAMAccountName: e.str("sAMAccountName")}
	if !isGMSA(e.strs("objectClass")) {
		return fail(ErrNotGMSA, "only msDS-GroupManagedServiceAccount objects have a managed password")
	}
	raw := e.raw("msDS-ManagedPassword")
	if raw == nil {
		who := c.bound()
		if who == "" {
			who = "an anonymous connection"
		}
		hint := "the bound identity (" + who + ") is not allowed by the account's msDS-GroupMSAMembership " +
			"(PrincipalsAllowedToRetrieveManagedPassword): add it, or a group it is in, to the allowed principals"
		if !c.confidential.Load() {
			hint += "; the connection is also not confidential, which a DC may answer the same way"
		}
		return fail(ErrNotAllowed, hint)
	}
	blob, err := managedpassword.ParseBlob(raw)
	if err != nil {
		return fail(fmt.Errorf("%w: msDS-ManagedPassword: %w", ErrMalformed, err), "")
	}
	res.Blob = blob
	acct := managedpassword.Account{
		SID:          e.sid("objectSid"),
		IntervalDays: e.int64("msDS-ManagedPasswordInterval", managedpassword.DefaultIntervalDays),
	}
	if created := e.generalizedTime("whenCreated"); !created.IsZero() {
		ft, err := adtypes.FileTimeOf(created)
		if err != nil {
			e.fail("whenCreated", created.String(), err.Error())
		}
		acct.Created = ft
	}
	if e.err != nil {
		return fail(e.err, "")
	}
	for _, id := range []struct {
		name string
		dst  **gkdi.KeyEnvelope
	}{{"msDS-ManagedPasswordId", &acct.PasswordID}, {"msDS-ManagedPasswordPreviousId", &acct.PreviousID}} {
		if b := e.raw(id.name); b != nil {
			env, err := gkdi.ParseKeyEnvelope(b)
			if err != nil {
				return fail(fmt.Errorf("%w: %s: %w", ErrMalformed, id.name, err), "")
			}
			*id.dst = env
		}
	}
	res.Account = acct
	return res, nil
}

func isGMSA(classes []string) bool {
	for _, c := range classes {
		if strings.EqualFold(c, "msDS-GroupManagedServiceAccount") {
			return true
		}
	}
	return false
}
