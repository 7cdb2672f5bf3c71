package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Sentinels of the write operations.
var (
	// ErrExists: an object with that name or sAMAccountName exists.
	ErrExists = errors.New("already exists")
	// ErrSPNInUse: a service principal name is registered on another
	// account (what setspn -S refuses).
	ErrSPNInUse = errors.New("service principal name already registered")
)

// GroupScope is the scope of a security group.
type GroupScope int

const (
	ScopeGlobal GroupScope = iota
	ScopeDomainLocal
	ScopeUniversal
)

// groupType is the groupType attribute of a security group of the scope.
func (s GroupScope) groupType() int32 {
	switch s {
	case ScopeDomainLocal:
		return int32(-0x80000000 | 0x4)
	case ScopeUniversal:
		return int32(-0x80000000 | 0x8)
	default:
		return int32(-0x80000000 | 0x2)
	}
}

// ParseGroupScope reads "global", "domainlocal" (or "domain-local") and
// "universal", case-insensitively.
func ParseGroupScope(s string) (GroupScope, error) {
	switch strings.ReplaceAll(strings.ToLower(s), "-", "") {
	case "global", "":
		return ScopeGlobal, nil
	case "domainlocal":
		return ScopeDomainLocal, nil
	case "universal":
		return ScopeUniversal, nil
	}
	return 0, fmt.Errorf("group scope %q: want global, domainlocal or universal", s)
}

// GroupOptions describe a security group to create.
type GroupOptions struct {
	Name           string // the CN
	SAMAccountName string // default Name
	Scope          GroupScope
	Container      string // default CN=Users,<domain DN>
}

// add runs one LDAP add, mapping "already exists" to ErrExists.
func (c *Conn) add(ctx context.Context, op, name string, req *ldap.AddRequest) error {
	err := c.do(ctx, func() error { return c.l.Add(req) })
	switch {
	case err == nil:
		return nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists):
		return &Error{Op: op, Account: name, DN: req.DN, Err: fmt.Errorf("%w: %v", ErrExists, err)}
	}
	return &Error{Op: op, Account: name, DN: req.DN, Err: err}
}

// baseDN returns the domain's naming context.
func (c *Conn) baseDN(ctx context.Context) (string, error) {
	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return "", err
	}
	return dse.DefaultNamingContext, nil
}

// checkNew returns an ErrExists error when sam (or sam$ / sam without $) is
// taken.
func (c *Conn) checkNew(ctx context.Context, op, sam string) error {
	a, err := c.FindAccount(ctx, sam)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return &Error{Op: op, Account: sam, DN: a.DN, Err: fmt.Errorf("%w: %s", ErrExists, a.SAMAccountName),
		Hint: "pick another name, or delete the existing account first"}
}

// CreateGroup creates a security group and returns its DN.
func (c *Conn) CreateGroup(ctx context.Context, o GroupOptions) (string, error) {
	const op = "create group"
	if o.Name == "" || strings.ContainsAny(o.Name, "\x00") {
		return "", &Error{Op: op, Err: errors.New("empty or invalid group name")}
	}
	if o.SAMAccountName == "" {
		o.SAMAccountName = o.Name
	}
	if o.Container == "" {
		base, err := c.baseDN(ctx)
		if err != nil {
			return "", &Error{Op: op, Account: o.Name, Err: err}
		}
		o.Container = "CN=Users," + base
	}
	if err := c.checkNew(ctx, op, o.SAMAccountName); err != nil {
		return "", err
	}
	dn := "CN=" + ldap.EscapeDN(o.Name) + "," + o.Container
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "group"})
	req.Attribute("sAMAccountName", []string{o.SAMAccountName})
	req.Attribute("groupType", []string{strconv.Itoa(int(o.Scope.groupType()))})
	return dn, c.add(ctx, op, o.Name, req)
}

// findPrincipal finds a user, computer, gMSA or group by sAMAccountName; a
// name without $ also finds name$.
func (c *Conn) findPrincipal(ctx context.Context, name string) (*Account, error) {
	return c.FindAccount(ctx, name)
}

// AddGroupMember adds member (a sAMAccountName; computers with or without
// the $) to group. A member already in the group is not an error.
func (c *Conn) AddGroupMember(ctx context.Context, group, member string) error {
	const op = "add group member"
	g, err := c.findPrincipal(ctx, group)
	if err != nil {
		return err
	}
	if !hasClass(g.ObjectClass, "group") {
		return &Error{Op: op, Account: group, DN: g.DN, Err: errors.New("not a group")}
	}
	m, err := c.findPrincipal(ctx, member)
	if err != nil {
		return err
	}
	req := ldap.NewModifyRequest(g.DN, nil)
	req.Add("member", []string{m.DN})
	err = c.do(ctx, func() error { return c.l.Modify(req) })
	if ldap.IsErrorWithCode(err, ldap.LDAPResultAttributeOrValueExists) || ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		return nil
	}
	if err != nil {
		return &Error{Op: op, Account: member, DN: g.DN, Err: err}
	}
	return nil
}

func hasClass(classes []string, want string) bool {
	for _, c := range classes {
		if strings.EqualFold(c, want) {
			return true
		}
	}
	return false
}

// GMSAOptions describe a group managed service account to create.
type GMSAOptions struct {
	Name        string // without the $; the CN
	DNSHostName string
	SPNs        []string
	// AllowedPrincipals are sAMAccountNames of users, computers or groups
	// that may retrieve the managed password.
	AllowedPrincipals []string
	// PasswordIntervalDays is msDS-ManagedPasswordInterval (default 30).
	PasswordIntervalDays int
	// EncTypes is msDS-SupportedEncryptionTypes (default 24: AES128|AES256).
	EncTypes uint32
}

// uacWorkstationTrust is WORKSTATION_TRUST_ACCOUNT.
const uacWorkstationTrust = 0x1000

// CreateGMSA creates a gMSA in CN=Managed Service Accounts and returns its
// DN. Each SPN must not be registered on another account; the allowed
// principals' SIDs go into msDS-GroupMSAMembership.
func (c *Conn) CreateGMSA(ctx context.Context, o GMSAOptions) (string, error) {
	const op = "create gMSA"
	name := strings.TrimSuffix(o.Name, "$")
	if name == "" || strings.ContainsAny(name, "\x00") {
		return "", &Error{Op: op, Err: errors.New("empty or invalid account name")}
	}
	if o.DNSHostName == "" {
		return "", &Error{Op: op, Account: name, Err: errors.New("a DNS host name is required")}
	}
	if o.PasswordIntervalDays <= 0 {
		o.PasswordIntervalDays = 30
	}
	if o.EncTypes == 0 {
		o.EncTypes = 24
	}
	base, err := c.baseDN(ctx)
	if err != nil {
		return "", &Error{Op: op, Account: name, Err: err}
	}
	if err := c.checkNew(ctx, op, name+"$"); err != nil {
		return "", err
	}
	if err := c.checkSPNs(ctx, op, name, base, o.SPNs); err != nil {
		return "", err
	}
	sids := make([]adtypes.SID, 0, len(o.AllowedPrincipals))
	for _, p := range o.AllowedPrincipals {
		a, err := c.findPrincipal(ctx, p)
		if err != nil {
			return "", err
		}
		sids = append(sids, a.SID)
	}
	dn := "CN=" + ldap.EscapeDN(name) + ",CN=Managed Service Accounts," + base
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"msDS-GroupManagedServiceAccount"})
	req.Attribute("sAMAccountName", []string{name + "$"})
	req.Attribute("userAccountControl", []string{strconv.Itoa(uacWorkstationTrust)})
	req.Attribute("dNSHostName", []string{o.DNSHostName})
	if len(o.SPNs) > 0 {
		req.Attribute("servicePrincipalName", o.SPNs)
	}
	req.Attribute("msDS-ManagedPasswordInterval", []string{strconv.Itoa(o.PasswordIntervalDays)})
	req.Attribute("msDS-SupportedEncryptionTypes", []string{strconv.FormatUint(uint64(o.EncTypes), 10)})
	req.Attribute("msDS-GroupMSAMembership", []string{string(adtypes.GMSAMembership(sids).Bytes())})
	err = c.add(ctx, op, name, req)
	var de *Error
	if err != nil && !errors.Is(err, ErrExists) && errors.As(err, &de) && kdsNotReady(de.Err) {
		de.Hint = "the domain has no KDS root key usable yet for new gMSAs: add one (gmsa kds root-key add, Add-KdsRootKey) and wait until it is effective"
		de.Err = fmt.Errorf("no usable KDS root key: %w", de.Err)
	}
	return dn, err
}

// kdsNotReady recognizes Samba's refusal to create a gMSA when no root key is
// usable yet: noSuchObject with "8009000D: failed to find a suitable root
// key" (Samba 4.22, source4/dsdb/gmsa/gkdi.c).
func kdsNotReady(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "root key") || strings.Contains(s, "8009000d")
}

// GMSA is one group managed service account as ListGMSAs returns it.
type GMSA struct {
	Account
	// Allowed are the SIDs of the ACEs of msDS-GroupMSAMembership.
	Allowed              []adtypes.SID
	PasswordIntervalDays int
}

// ListGMSAs returns every gMSA of the domain.
func (c *Conn) ListGMSAs(ctx context.Context) ([]GMSA, error) {
	const op = "list gMSAs"
	base, err := c.baseDN(ctx)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	attrs := append([]string{"msDS-GroupMSAMembership", "msDS-ManagedPasswordInterval"}, accountAttrs...)
	entries, err := c.search(ctx, searchOpt{base: base, scope: ldap.ScopeWholeSubtree,
		filter: "(objectClass=msDS-GroupManagedServiceAccount)", attrs: attrs, paged: true})
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	out := make([]GMSA, 0, len(entries))
	for _, le := range entries {
		a, err := decodeAccount(le)
		if err != nil {
			return nil, &Error{Op: op, DN: le.DN, Err: err}
		}
		g := GMSA{Account: *a}
		e := &entry{Entry: le}
		g.PasswordIntervalDays = int(e.int64("msDS-ManagedPasswordInterval", 30))
		if b := e.raw("msDS-GroupMSAMembership"); b != nil {
			sd, err := adtypes.ParseSecurityDescriptor(b)
			if err != nil {
				return nil, &Error{Op: op, DN: le.DN, Err: fmt.Errorf("%w: msDS-GroupMSAMembership: %v", ErrMalformed, err)}
			}
			if sd.DACL != nil {
				for _, ace := range sd.DACL.ACEs {
					if ace.Type == adtypes.ACETypeAccessAllowed {
						g.Allowed = append(g.Allowed, ace.SID)
					}
				}
			}
		}
		if e.err != nil {
			return nil, &Error{Op: op, DN: le.DN, Err: e.err}
		}
		out = append(out, g)
	}
	return out, nil
}

// NameOfSID returns the sAMAccountName of the object with the SID, or ""
// when there is none in the domain.
func (c *Conn) NameOfSID(ctx context.Context, sid adtypes.SID) (string, error) {
	base, err := c.baseDN(ctx)
	if err != nil {
		return "", err
	}
	var f strings.Builder
	for _, b := range sid.Bytes() {
		fmt.Fprintf(&f, `\%02x`, b)
	}
	es, err := c.search(ctx, searchOpt{base: base, scope: ldap.ScopeWholeSubtree,
		filter: "(objectSid=" + f.String() + ")", attrs: []string{"sAMAccountName"}})
	if err != nil || len(es) == 0 {
		return "", err
	}
	return es[0].GetEqualFoldAttributeValue("sAMAccountName"), nil
}

// DeleteAccount deletes the account name (a sAMAccountName; name$ too).
func (c *Conn) DeleteAccount(ctx context.Context, name string) error {
	const op = "delete account"
	a, err := c.FindAccount(ctx, name)
	if err != nil {
		return err
	}
	req := ldap.NewDelRequest(a.DN, nil)
	if err := c.do(ctx, func() error { return c.l.Del(req) }); err != nil {
		return &Error{Op: op, Account: name, DN: a.DN, Err: err}
	}
	return nil
}
