package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	ls "github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/lab/store"
)

// LDAPHandler returns the directory's ldapserver.Handler: the AD semantics
// of the lab's LDAP service.
func (d *Directory) LDAPHandler() ls.Handler { return &ldapHandler{d: d} }

type ldapHandler struct {
	d  *Directory
	cb []byte // the DC certificate's channel bindings (sasl.go), nil when unknown
}

// The diagnostic messages follow Windows' (code, DSID-free) so that a
// person who has seen AD's recognises them.
func result(code ls.ResultCode, format string, args ...any) ls.Result {
	return ls.Result{Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	errNotBound = result(ls.OperationsError,
		"000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563")
	errNotAdmin = result(ls.InsufficientAccessRights,
		"00000005: SecErr: DSID-03152E29, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0 (the lab lets members of Domain Admins write)")
)

func noSuchObject(tx *store.Tx, dn string) ls.Result {
	matched := ""
	for p := store.ParentDN(dn); p != ""; p = store.ParentDN(p) {
		if e, err := tx.Get(p); err == nil {
			matched = e.DN
			break
		}
	}
	r := result(ls.NoSuchObject, "0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'%s'\n", matched)
	r.MatchedDN = matched
	return r
}

func storeError(tx *store.Tx, dn string, err error) ls.Result {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrNoParent):
		return noSuchObject(tx, dn)
	case errors.Is(err, store.ErrExists):
		return result(ls.EntryAlreadyExists, "00000524: UpdErr: DSID-031A11E2, problem 6005 (ENTRY_EXISTS), data 0")
	case errors.Is(err, store.ErrNotLeaf):
		return result(ls.NotAllowedOnNonLeaf, "00002015: UpdErr: DSID-031A0D6F, problem 6003 (CANT_ON_NON_LEAF), data 0")
	}
	return result(ls.OperationsError, "lab: %v", err)
}

func identity(c *ls.Conn) *Identity {
	id, _ := c.Identity().(*Identity)
	return id
}

// ---- bind

func (h *ldapHandler) Bind(ctx context.Context, c *ls.Conn, r *ls.BindRequest) ls.BindResult {
	d := h.d
	if r.Version != 3 {
		return ls.BindResult{Result: result(ls.ProtocolError, "only LDAP version 3 is supported")}
	}
	if r.Simple == nil {
		return h.bindSASL(ctx, c, r) // sasl.go
	}
	if r.Name == "" && len(r.Simple) == 0 {
		c.SetAuthzID("")
		return ls.BindResult{} // anonymous
	}
	if len(r.Simple) == 0 {
		return ls.BindResult{Result: result(ls.UnwillingToPerform, "unauthenticated bind (a name without a password) is refused (RFC 4513 §5.1.2)")}
	}
	if c.TLS() == nil {
		return ls.BindResult{Result: result(ls.StrongerAuthRequired, "BindSimple: Transport encryption required.")}
	}
	var id *Identity
	var res ls.Result
	err := d.db.View(func(tx *store.Tx) error {
		e, err := d.findBindEntry(tx, r.Name)
		if err != nil || !checkPassword(e, string(r.Simple)) {
			res = result(ls.InvalidCredentials, "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563")
			return nil
		}
		if uac(e)&uacAccountDisable != 0 {
			res = result(ls.InvalidCredentials, "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563")
			return nil
		}
		id, err = d.identityOf(tx, e)
		return err
	})
	if err != nil {
		return ls.BindResult{Result: result(ls.OperationsError, "lab: %v", err)}
	}
	if id == nil {
		d.log.Info("simple bind failed", "conn", c.ID(), "name", r.Name)
		return ls.BindResult{Result: res}
	}
	c.SetIdentity(id)
	c.SetAuthzID("u:" + d.dom.NetBIOS + `\` + id.SAM)
	d.log.Info("simple bind", "conn", c.ID(), "as", id.SAM)
	return ls.BindResult{}
}

// ---- schema adapter for filters

type labSchema struct {
	d  *Directory
	tx *store.Tx
}

func (s labSchema) Syntax(attr string) ls.Syntax {
	switch syntaxOf(attr) {
	case synInteger:
		return ls.Integer
	case synOctet:
		return ls.OctetString
	case synDN:
		return ls.DN
	case synTime:
		return ls.GeneralizedTime
	case synBool:
		return ls.Boolean
	case synSID:
		return ls.SID
	}
	return ls.CaseIgnoreString
}

func (s labSchema) NormalizeDN(dn string) (string, bool) {
	n, err := store.NormalizeDN(dn)
	return n, err == nil
}

// InChain follows member/memberOf transitively (LDAP_MATCHING_RULE_IN_CHAIN).
func (s labSchema) InChain(e ls.Entry, attr string, dn string) bool {
	target := lowerDN(dn)
	switch strings.ToLower(attr) {
	case "memberof":
		groups, err := s.d.groupsOf(s.tx, e.DN())
		if err != nil {
			return false
		}
		for _, g := range groups {
			if lowerDN(g.DN) == target {
				return true
			}
		}
	case "member":
		// e is a group: is dn a (nested) member of it?
		groups, err := s.d.groupsOf(s.tx, dn)
		if err != nil {
			return false
		}
		self := lowerDN(e.DN())
		for _, g := range groups {
			if lowerDN(g.DN) == self {
				return true
			}
		}
	}
	return false
}

// filterEntry presents a stored entry to the filter with the attributes AD
// constructs that filters use (memberOf).
type filterEntry struct {
	e   *store.Entry
	d   *Directory
	tx  *store.Tx
	mof [][]byte
	got bool
}

func (f *filterEntry) DN() string { return f.e.DN }

func (f *filterEntry) Get(attr string) [][]byte {
	switch strings.ToLower(attr) {
	case "memberof":
		if !f.got {
			f.got = true
			f.mof = f.d.memberOf(f.tx, f.e.DN)
		}
		return f.mof
	case "distinguishedname":
		return [][]byte{[]byte(f.e.DN)}
	}
	if secretAttrs[strings.ToLower(attr)] {
		return nil
	}
	return f.e.Get(attr)
}

// memberOf lists the groups that have dn as a direct member.
func (d *Directory) memberOf(tx *store.Tx, dn string) [][]byte {
	parents, err := tx.Lookup("member", []byte(dn))
	if err != nil {
		return nil
	}
	out := make([][]byte, 0, len(parents))
	for _, p := range parents {
		out = append(out, []byte(p))
	}
	return out
}

// rewriteCategory maps AD's shorthand (objectCategory=computer) to the
// category's DN, as AD does for a value that is an ldapDisplayName.
func (d *Directory) rewriteCategory(f ls.Filter) ls.Filter {
	if len(f.Children) > 0 {
		kids := make([]ls.Filter, len(f.Children))
		for i, k := range f.Children {
			kids[i] = d.rewriteCategory(k)
		}
		f.Children = kids
		return f
	}
	if f.Kind == ls.FilterEquality && strings.EqualFold(ls.BaseAttr(f.Attr), "objectCategory") && !strings.Contains(string(f.Value), "=") {
		cat := string(f.Value)
		if c := classByName(cat); c != nil {
			cat = c.category
		} else if strings.EqualFold(cat, "person") {
			cat = "Person"
		}
		f.Value = []byte("CN=" + cat + "," + d.dom.SchemaDN())
	}
	return f
}

// ---- compare

func (h *ldapHandler) Compare(ctx context.Context, c *ls.Conn, r *ls.CompareRequest) ls.Result {
	id := identity(c)
	if id == nil {
		return errNotBound
	}
	d := h.d
	var res ls.Result
	_ = d.db.View(func(tx *store.Tx) error {
		e, err := tx.Get(r.DN)
		if err != nil || !d.visible(e, id) {
			res = noSuchObject(tx, r.DN)
			return nil
		}
		f := ls.Filter{Kind: ls.FilterEquality, Attr: r.Attr, Value: r.Value}
		if d.hiddenAttr(e, r.Attr, id) {
			res = result(ls.NoSuchAttribute, "0000200A: ... no such attribute %s", r.Attr)
			return nil
		}
		switch f.Match(&filterEntry{e: e, d: d, tx: tx}, labSchema{d, tx}) {
		case ls.True:
			res = ls.Result{Code: ls.CompareTrue}
		case ls.False:
			res = ls.Result{Code: ls.CompareFalse}
		default:
			res = result(ls.NoSuchAttribute, "00002080: AtrErr: no attribute %s on %s", r.Attr, e.DN)
		}
		return nil
	})
	return res
}

// visible: KDS root keys are invisible to everyone but Domain Admins (what
// Samba does too).
func (d *Directory) visible(e *store.Entry, id *Identity) bool {
	if hasClass(e.Get("objectClass"), "msKds-ProvRootKey") && !id.Admin {
		return false
	}
	return true
}

// hiddenAttr: secrets are never readable; root key data only by admins.
func (d *Directory) hiddenAttr(e *store.Entry, attr string, id *Identity) bool {
	a := strings.ToLower(ls.BaseAttr(attr))
	if secretAttrs[a] || a == "msds-managedpassword" {
		return true
	}
	return strings.HasPrefix(a, "mskds-rootkeydata") && !id.Admin
}

// parseInt reads a decimal attribute value.
func parseInt(v []byte) (int64, error) { return strconv.ParseInt(string(v), 10, 64) }
