package directory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// ComputerOptions describe a computer account to create: a "domain join"
// for a test host.
type ComputerOptions struct {
	// Name is the computer's name, with or without the trailing "$"; the
	// CN is Name without it and the sAMAccountName Name with it.
	Name string
	// DNSHostName defaults to lower(Name) + "." + the domain's DNS name.
	DNSHostName string
	// Container is the parent DN; default CN=Computers,<domain DN>.
	Container string
	// SPNs default to host/NAME and host/<DNSHostName>, what `net ads join`
	// registers.
	SPNs []string
	// ExtraSPNs are registered besides the default ones (a service the
	// computer runs, e.g. postgres/db1.contoso.com); ignored with SPNs.
	ExtraSPNs []string
	// Password, when set, is written as unicodePwd in the same add, so the
	// account never exists without a key (the DC needs a confidential
	// connection for that; see [Conn.SetPassword]). Without it the account
	// is created without a password; set one with SetPassword.
	Password string
}

// computerEncTypes is msDS-SupportedEncryptionTypes of a new computer:
// AES128|AES256.
const computerEncTypes = 24

// CreateComputer creates a computer account (objectClass computer,
// sAMAccountName NAME$, userAccountControl 4096 = WORKSTATION_TRUST_ACCOUNT,
// msDS-SupportedEncryptionTypes 24 = AES) and returns it as the DC stores
// it, so that the caller learns its SID and msDS-KeyVersionNumber.
//
// With o.Password the password goes into the add itself (unicodePwd, as
// [MS-ADTS] 3.1.1.5.2.3 allows on a confidential connection): the account is
// never visible without a key, and one round trip makes it whole. It is
// refused here, before anything is sent, when the connection is not
// confidential ([ErrConfidentialityRequired]).
//
// A taken sAMAccountName (NAME or NAME$) is [ErrExists]; an SPN registered
// on another account is [ErrSPNInUse], checked before the add as setspn -S
// does.
func (c *Conn) CreateComputer(ctx context.Context, o ComputerOptions) (*Account, error) {
	const op = "create computer"
	name := strings.TrimSuffix(o.Name, "$")
	if name == "" || strings.ContainsAny(name, "\x00$@/\\\"[]:;|=+*?<>,") || len(name) > 15 {
		return nil, &Error{Op: op, Account: o.Name, Err: errors.New("invalid computer name: want 1 to 15 characters, no punctuation"),
			Hint: "a computer name is a NetBIOS name such as node1 (at most 15 characters)"}
	}
	if o.Password != "" && !c.Confidential() {
		return nil, &Error{Op: op, Account: name + "$", Err: ErrConfidentialityRequired,
			Hint: "a password is sent only over ldaps://, StartTLS or a sealed Kerberos bind"}
	}
	base, err := c.baseDN(ctx)
	if err != nil {
		return nil, &Error{Op: op, Account: name + "$", Err: err}
	}
	if o.DNSHostName == "" {
		info, err := c.DomainInfo(ctx)
		if err != nil {
			return nil, err
		}
		o.DNSHostName = strings.ToLower(name) + "." + info.DNSName
	}
	if o.Container == "" {
		o.Container = "CN=Computers," + base
	}
	if len(o.SPNs) == 0 || len(o.ExtraSPNs) > 0 {
		o.SPNs = append([]string{"host/" + name, "host/" + o.DNSHostName}, o.ExtraSPNs...)
	}
	if err := c.checkNew(ctx, op, name+"$"); err != nil {
		return nil, err
	}
	if err := c.checkSPNs(ctx, op, name+"$", base, o.SPNs); err != nil {
		return nil, err
	}
	dn := "CN=" + ldap.EscapeDN(name) + "," + o.Container
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user", "computer"})
	req.Attribute("sAMAccountName", []string{name + "$"})
	req.Attribute("userAccountControl", []string{strconv.Itoa(uacWorkstationTrust)})
	req.Attribute("dNSHostName", []string{o.DNSHostName})
	req.Attribute("servicePrincipalName", o.SPNs)
	req.Attribute("msDS-SupportedEncryptionTypes", []string{strconv.Itoa(computerEncTypes)})
	if o.Password != "" {
		req.Attribute("unicodePwd", []string{unicodePwd(o.Password)})
	}
	if err := c.add(ctx, op, name+"$", req); err != nil {
		return nil, passwordRefusal(err)
	}
	a, err := c.FindAccount(ctx, name+"$")
	if err != nil {
		return nil, &Error{Op: op, Account: name + "$", DN: dn, Err: fmt.Errorf("created, but reading it back failed: %w", err)}
	}
	return a, nil
}

// checkSPNs returns an ErrSPNInUse error when one of spns is registered on
// any account (account is the one being created, for the message).
func (c *Conn) checkSPNs(ctx context.Context, op, account, base string, spns []string) error {
	for _, spn := range spns {
		holders, err := c.spnHolders(ctx, base, spn)
		if err != nil {
			return &Error{Op: op, Account: account, Err: err}
		}
		if len(holders) > 0 {
			h := holders[0].SAMAccountName
			return &Error{Op: op, Account: account, Err: fmt.Errorf("%w: %s is registered on %s", ErrSPNInUse, spn, h),
				Hint: "an SPN may be on one account only; remove it from " + h + " first (setspn -D) or choose another"}
		}
	}
	return nil
}

// SPNHolder is an account that has a servicePrincipalName.
type SPNHolder struct {
	DN             string
	SAMAccountName string
}

// SPNHolders returns every account of the domain — users, computers,
// gMSAs — that has spn among its servicePrincipalNames (compared
// case-insensitively, as the DC does): what `setspn -Q` shows, and how a
// duplicate SPN is found.
func (c *Conn) SPNHolders(ctx context.Context, spn string) ([]SPNHolder, error) {
	base, err := c.baseDN(ctx)
	if err != nil {
		return nil, err
	}
	h, err := c.spnHolders(ctx, base, spn)
	if err != nil {
		return nil, &Error{Op: "find the holders of SPN " + spn, Err: err}
	}
	return h, nil
}

func (c *Conn) spnHolders(ctx context.Context, base, spn string) ([]SPNHolder, error) {
	entries, err := c.search(ctx, searchOpt{base: base, scope: ldap.ScopeWholeSubtree,
		filter: "(servicePrincipalName=" + ldap.EscapeFilter(spn) + ")", attrs: []string{"sAMAccountName"}, paged: true})
	if err != nil {
		return nil, err
	}
	out := make([]SPNHolder, len(entries))
	for i, e := range entries {
		out[i] = SPNHolder{DN: e.DN, SAMAccountName: e.GetEqualFoldAttributeValue("sAMAccountName")}
	}
	return out, nil
}

// SetPassword sets the password of a user or computer account named by its
// DN or sAMAccountName (as [Conn.FindAccount] takes it) with an
// administrative reset: a replace of unicodePwd, the password in double
// quotes in UTF-16LE ([MS-ADTS] 3.1.1.3.1.5.2). It returns the account's
// new msDS-KeyVersionNumber, the kvno its keytab entries must carry.
//
// The DC accepts unicodePwd only on a confidential connection, and this
// package never sends a password on another: without TLS or a sealed SASL
// layer the call fails with [ErrConfidentialityRequired] before anything is
// sent. A password the domain's policy rejects, or a bound identity without
// the reset-password right, is the server's *ldap.Error with a hint.
func (c *Conn) SetPassword(ctx context.Context, dnOrName, password string) (uint32, error) {
	const op = "set password of"
	dn, name := dnOrName, ""
	if !strings.Contains(dnOrName, "=") {
		name = dnOrName
	}
	if !c.Confidential() {
		return 0, &Error{Op: op, Account: name, DN: dn, Err: ErrConfidentialityRequired,
			Hint: "a password is sent only over ldaps://, StartTLS or a sealed Kerberos bind (not a sign-only one)"}
	}
	if password == "" {
		return 0, &Error{Op: op, Account: name, DN: dn, Err: errors.New("empty password")}
	}
	if name != "" {
		a, err := c.FindAccount(ctx, name)
		if err != nil {
			return 0, err
		}
		dn = a.DN
	}
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace("unicodePwd", []string{unicodePwd(password)})
	if err := c.do(ctx, func() error { return c.l.Modify(req) }); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return 0, passwordRefusal(&Error{Op: op, Account: name, DN: dn, Err: err})
	}
	es, err := c.search(ctx, searchOpt{base: dn, scope: ldap.ScopeBaseObject, attrs: []string{"msDS-KeyVersionNumber"}})
	if err == nil && len(es) != 1 {
		err = ErrNotFound
	}
	if err != nil {
		return 0, &Error{Op: op, Account: name, DN: dn, Err: fmt.Errorf("password set, but reading msDS-KeyVersionNumber failed: %w", err)}
	}
	e := &entry{Entry: es[0]}
	kvno := e.uint32("msDS-KeyVersionNumber")
	if e.err == nil && kvno == 0 {
		e.fail("msDS-KeyVersionNumber", "", "missing after a password set")
	}
	if e.err != nil {
		return 0, &Error{Op: op, Account: name, DN: dn, Err: e.err}
	}
	return kvno, nil
}

// passwordRefusal adds hints to the DC's usual answers to a password write:
// constraintViolation or unwillingToPerform for a password the policy
// rejects (or a connection the DC does not find confidential),
// insufficientAccessRights for a caller without the right to reset it.
func passwordRefusal(err error) error {
	var de *Error
	if !errors.As(err, &de) || de.Hint != "" {
		return err
	}
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultConstraintViolation), ldap.IsErrorWithCode(err, ldap.LDAPResultUnwillingToPerform):
		de.Hint = "the DC rejected the password: check the domain's password policy (length, complexity, history)"
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights):
		de.Hint = "the bound identity may not create computers or reset their passwords: bind as a Domain Admin or an account delegated that right"
	}
	return err
}

// unicodePwd is the value of the unicodePwd attribute: the password in
// double quotes, in UTF-16LE.
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return string(b)
}
