package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	ls "github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// resultError carries an LDAP result out of a store transaction (which
// then rolls back).
type resultError struct{ r ls.Result }

func (e *resultError) Error() string { return e.r.Message }

func fail(code ls.ResultCode, format string, args ...any) error {
	return &resultError{result(code, format, args...)}
}

// update runs fn in a write transaction and turns its error into a result.
func (d *Directory) update(dn string, fn func(tx *store.Tx) error) ls.Result {
	var res ls.Result
	err := d.db.Update(func(tx *store.Tx) error {
		err := fn(tx)
		var re *resultError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			res = re.r
		default:
			res = storeError(tx, dn, err)
		}
		return err
	})
	if err != nil && res.Code == ls.Success {
		res = result(ls.OperationsError, "lab: %v", err)
	}
	return res
}

func (d *Directory) mayWrite(c *ls.Conn) (ls.Result, bool) {
	id := identity(c)
	if id == nil {
		return errNotBound, false
	}
	if !id.Admin {
		return errNotAdmin, false
	}
	return ls.Result{}, true
}

// ---- add

func (h *ldapHandler) Add(ctx context.Context, c *ls.Conn, r *ls.AddRequest) ls.Result {
	d := h.d
	if res, ok := d.mayWrite(c); !ok {
		return res
	}
	if _, err := store.NormalizeDN(r.DN); err != nil {
		return result(ls.InvalidDNSyntax, "00002081: NameErr: DSID-03050F42, problem 2003 (BAD_ATT_SYNTAX), data 0, DN %q: %v", r.DN, err)
	}
	res := d.update(r.DN, func(tx *store.Tx) error { return d.add(tx, c, r) })
	if res.Code == ls.Success {
		d.log.Info("add", "dn", r.DN, "by", identity(c).SAM)
	}
	return res
}

func (d *Directory) add(tx *store.Tx, c *ls.Conn, r *ls.AddRequest) error {
	e := &store.Entry{DN: r.DN}
	var password *string
	for _, a := range r.Attrs {
		name := ls.BaseAttr(a.Name)
		low := strings.ToLower(name)
		switch {
		case low == "unicodepwd":
			if len(a.Values) != 1 {
				return fail(ls.ConstraintViolation, "0000052D: unicodePwd takes one value")
			}
			pw, err := d.decodePasswordWrite(c, a.Values[0])
			if err != nil {
				return err
			}
			password = &pw
			continue
		case low == "objectcategory" || low == "distinguishedname" || low == "name" || low == "instancetype":
			continue // the lab sets these
		case readOnlyAttrs[low] || secretAttrs[low]:
			return fail(ls.UnwillingToPerform, "0000209A: SvcErr: DSID-03152D2C, problem 5003 (WILL_NOT_PERFORM), data 0: %s is set by the DC", name)
		}
		if len(a.Values) == 0 {
			return fail(ls.ProtocolError, "attribute %s has no values", name)
		}
		e.Add(name, a.Values...)
	}
	cls := structuralClass(strs(e.Get("objectClass")))
	if len(e.Get("objectClass")) == 0 {
		return fail(ls.ObjectClassViolation, "0000207B: UpdErr: DSID-03050B62, problem 6002 (OBJ_CLASS_VIOLATION), data 0: objectClass is required")
	}
	if cls == nil {
		return fail(ls.ObjectClassViolation, "0000207B: UpdErr: problem 6002 (OBJ_CLASS_VIOLATION): none of the object classes %s is one the lab can create (user, computer, group, msDS-GroupManagedServiceAccount, msKds-ProvRootKey, container, organizationalUnit)",
			strings.Join(strs(e.Get("objectClass")), ", "))
	}
	for _, m := range cls.must {
		if e.First(m) == nil {
			return fail(ls.ObjectClassViolation, "0000207B: UpdErr: DSID-03050B62, problem 6002 (OBJ_CLASS_VIOLATION), data 0: %s requires %s", cls.name, m)
		}
	}
	e.Set("objectClass", bytesOf(cls.chain)...)
	e.Set("objectCategory", []byte("CN="+cls.category+","+d.dom.SchemaDN()))
	e.Set("distinguishedName", []byte(e.DN))
	e.Set("instanceType", []byte("4"))

	// Naming: the RDN attribute and value are the entry's.
	rdnAttr, rdnValue, err := firstRDN(r.DN)
	if err != nil {
		return fail(ls.InvalidDNSyntax, "DN %q: %v", r.DN, err)
	}
	if v := e.String(rdnAttr); v != "" && !strings.EqualFold(v, rdnValue) {
		return fail(ls.NamingViolation, "00002099: NameErr: problem 2005 (NAMING_VIOLATION): %s %q differs from the RDN value %q", rdnAttr, v, rdnValue)
	}
	e.Set(rdnAttr, []byte(rdnValue))
	e.Set("name", []byte(rdnValue))

	parentDN := store.ParentDN(r.DN)
	parent, err := tx.Get(parentDN)
	if err != nil {
		return err
	}
	if !anyClass(parent, cls.parents) {
		return fail(ls.NamingViolation, "00002099: NameErr: DSID-0305109C, problem 2005 (NAMING_VIOLATION), data 0: a %s cannot be created under %s", cls.name, parent.DN)
	}
	if err := d.checkValues(tx, e, ""); err != nil {
		return err
	}

	if cls.principal {
		if err := d.initPrincipal(tx, e, cls); err != nil {
			return err
		}
	}
	if cls.name == "msKds-ProvRootKey" {
		if _, err := adtypes.ParseGUID(rdnValue); err != nil {
			return fail(ls.NamingViolation, "a root key's cn must be its GUID, not %q", rdnValue)
		}
		if _, err := decodeRootKey(e); err != nil {
			return fail(ls.ConstraintViolation, "0000202F: root key attributes: %v", err)
		}
	}
	if password != nil {
		if cls.name != "user" && cls.name != "computer" {
			return fail(ls.UnwillingToPerform, "0000001F: SvcErr: problem 5003 (WILL_NOT_PERFORM): unicodePwd cannot be set on a %s", cls.name)
		}
		if err := setAccountPassword(e, &d.dom, e.String("sAMAccountName"), isMachine(e), *password, d.now()); err != nil {
			return fail(ls.ConstraintViolation, "0000052D: password: %v", err)
		}
	}
	return tx.Add(e)
}

func anyClass(e *store.Entry, names []string) bool {
	for _, n := range names {
		if hasClass(e.Get("objectClass"), n) {
			return true
		}
	}
	return false
}

// firstRDN splits the first RDN of dn into attribute and (unescaped) value.
func firstRDN(dn string) (string, string, error) {
	n, err := store.NormalizeDN(dn)
	if err != nil {
		return "", "", err
	}
	_ = n
	// Find the first unescaped comma.
	esc := false
	end := len(dn)
	for i := 0; i < len(dn); i++ {
		switch {
		case esc:
			esc = false
		case dn[i] == '\\':
			esc = true
		case dn[i] == ',':
			end = i
			i = len(dn)
		}
	}
	attr, value, ok := strings.Cut(dn[:end], "=")
	if !ok || strings.Contains(attr, "+") {
		return "", "", fmt.Errorf("first RDN %q is not attr=value", dn[:end])
	}
	return strings.TrimSpace(attr), unescapeRDN(strings.TrimSpace(value)), nil
}

func unescapeRDN(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
				n, _ := strconv.ParseUint(v[i+1:i+3], 16, 8)
				b.WriteByte(byte(n))
				i += 2
				continue
			}
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// initPrincipal gives a new security principal its SID, sAMAccountName
// and the defaults AD sets, and for a gMSA its first password ID.
func (d *Directory) initPrincipal(tx *store.Tx, e *store.Entry, cls *class) error {
	rid, err := allocateRID(tx)
	if err != nil {
		return err
	}
	e.Set("objectSid", d.dom.SID.WithRID(rid).Bytes())
	machine := cls.name == "computer" || cls.name == "msDS-GroupManagedServiceAccount"
	if e.First("sAMAccountName") == nil {
		sam := e.String("cn")
		if machine {
			sam = strings.ToUpper(sam) + "$"
		}
		e.Set("sAMAccountName", []byte(sam))
	}
	setDefault := func(name, value string) {
		if e.First(name) == nil {
			e.Set(name, []byte(value))
		}
	}
	switch cls.name {
	case "group":
		setDefault("groupType", strconv.Itoa(groupTypeGlobal|groupTypeSecurity))
		gt, err := strconv.ParseInt(e.String("groupType"), 10, 32)
		if err != nil {
			return fail(ls.ConstraintViolation, "0000202F: groupType %q: not a 32-bit integer", e.String("groupType"))
		}
		if gt&groupTypeDomainLocal != 0 {
			e.Set("sAMAccountType", []byte(strconv.Itoa(samAliasObject)))
		} else {
			e.Set("sAMAccountType", []byte(strconv.Itoa(samGroupObject)))
		}
	case "user":
		setDefault("userAccountControl", strconv.Itoa(uacNormalAccount|uacAccountDisable))
		setDefault("primaryGroupID", strconv.Itoa(ridDomainUsers))
		e.Set("sAMAccountType", []byte(strconv.Itoa(samNormalUserAccount)))
	case "computer":
		setDefault("userAccountControl", strconv.Itoa(uacWorkstationTrust))
		setDefault("primaryGroupID", strconv.Itoa(ridDomainComputers))
		e.Set("sAMAccountType", []byte(strconv.Itoa(samMachineAccount)))
	case "msDS-GroupManagedServiceAccount":
		setDefault("userAccountControl", strconv.Itoa(uacWorkstationTrust))
		setDefault("primaryGroupID", strconv.Itoa(ridDomainComputers))
		setDefault("msDS-ManagedPasswordInterval", strconv.Itoa(managedpassword.DefaultIntervalDays))
		setDefault("msDS-SupportedEncryptionTypes", "24")
		e.Set("sAMAccountType", []byte(strconv.Itoa(samMachineAccount)))
		days, err := strconv.ParseInt(e.String("msDS-ManagedPasswordInterval"), 10, 64)
		if err != nil || days < 1 {
			return fail(ls.ConstraintViolation, "0000202F: msDS-ManagedPasswordInterval %q: must be a whole number of days ≥ 1", e.String("msDS-ManagedPasswordInterval"))
		}
		if _, err := managedpassword.RolloverInterval(days); err != nil {
			return fail(ls.ConstraintViolation, "0000202F: %v", err)
		}
		root, err := d.creationRootKey(tx)
		if err != nil {
			// Samba's answer when no root key is usable.
			return fail(ls.NoSuchObject, "%v", err)
		}
		created, err := adtypes.FileTimeOf(d.KDSNow())
		if err != nil {
			return err
		}
		env := &gkdi.KeyEnvelope{Version: root.Version, Flags: gkdi.FlagKeyMayEncryptNewData, GKID: gkdi.GKIDAt(created),
			RootKeyID: root.ID, Domain: d.dom.DNSName, Forest: d.dom.DNSName}
		b, err := env.Marshal()
		if err != nil {
			return err
		}
		e.Set("msDS-ManagedPasswordId", b)
		e.Set("msDS-KeyVersionNumber", []byte("1"))
	}
	return nil
}

// checkValues applies the lab's uniqueness and syntax rules to e's
// attributes (self is the entry's normalized DN when it already exists).
func (d *Directory) checkValues(tx *store.Tx, e *store.Entry, self string) error {
	for _, a := range e.Attrs {
		switch strings.ToLower(a.Name) {
		case "samaccountname":
			if len(a.Values) != 1 {
				return fail(ls.ConstraintViolation, "0000202F: sAMAccountName takes one value")
			}
			v := string(a.Values[0])
			if v == "" || len(strings.TrimSuffix(v, "$")) > 20 || strings.ContainsAny(v, `"/\[]:;|=,+*?<>@`) {
				return fail(ls.ConstraintViolation, "0000202F: sAMAccountName %q: at most 20 characters, none of \"/\\[]:;|=,+*?<>@", v)
			}
			if other := d.holder(tx, "sAMAccountName", a.Values[0], self); other != "" {
				return fail(ls.EntryAlreadyExists, "00000524: UpdErr: DSID-031A11E2, problem 6005 (ENTRY_EXISTS), data 0: sAMAccountName %s is used by %s", v, other)
			}
		case "serviceprincipalname":
			for _, v := range a.Values {
				if !strings.Contains(string(v), "/") {
					return fail(ls.ConstraintViolation, "0000202F: servicePrincipalName %q: want service/host[:port][/name]", v)
				}
				if other := d.holder(tx, "servicePrincipalName", v, self); other != "" {
					return fail(ls.ConstraintViolation, "00002083: AtrErr: DSID-03151904, problem 1005 (CONSTRAINT_ATT_TYPE): servicePrincipalName %s is already registered on %s", v, other)
				}
			}
		case "userprincipalname":
			if other := d.holder(tx, "userPrincipalName", a.Values[0], self); other != "" {
				return fail(ls.ConstraintViolation, "0000202F: userPrincipalName %s is already used by %s", a.Values[0], other)
			}
		case "member":
			for _, v := range a.Values {
				if _, err := tx.Get(string(v)); err != nil {
					r := noSuchObject(tx, string(v))
					r.Message = "0000208D: NameErr: DSID-03100245, problem 2001 (NO_OBJECT), data 0: member " + string(v) + " does not exist"
					return &resultError{r}
				}
			}
		case "msds-groupmsamembership":
			for _, v := range a.Values {
				if _, err := adtypes.ParseSecurityDescriptor(v); err != nil {
					return fail(ls.InvalidAttributeSyntax, "00000057: msDS-GroupMSAMembership is not a security descriptor: %v", err)
				}
			}
		}
		if syntaxOf(a.Name) == synInteger {
			for _, v := range a.Values {
				if _, err := parseInt(v); err != nil {
					return fail(ls.InvalidAttributeSyntax, "00000057: LdapErr: DSID-0C090D8A, comment: Error in attribute conversion operation: %s %q is not an integer", a.Name, v)
				}
			}
		}
	}
	return nil
}

// holder returns the sAMAccountName (or DN) of another entry that has
// attr=value, "" when none.
func (d *Directory) holder(tx *store.Tx, attr string, value []byte, self string) string {
	dns, err := tx.Lookup(attr, value)
	if err != nil {
		return ""
	}
	for _, dn := range dns {
		if lowerDN(dn) == self {
			continue
		}
		if e, err := tx.Get(dn); err == nil {
			if s := e.String("sAMAccountName"); s != "" {
				return s
			}
		}
		return dn
	}
	return ""
}

// decodePasswordWrite checks that a unicodePwd write arrives over a
// confidential connection and decodes it.
func (d *Directory) decodePasswordWrite(c *ls.Conn, v []byte) (string, error) {
	if !c.Confidential() {
		return "", fail(ls.UnwillingToPerform,
			"0000001F: SvcErr: DSID-031A126C, problem 5003 (WILL_NOT_PERFORM), data 0: unicodePwd can only be set over an encrypted connection (LDAPS, StartTLS or a sealed SASL bind)")
	}
	pw, err := decodeUnicodePwd(v)
	if err != nil {
		return "", fail(ls.ConstraintViolation, "0000052D: Constraint violation: %v", err)
	}
	return pw, nil
}

// ---- modify

func (h *ldapHandler) Modify(ctx context.Context, c *ls.Conn, r *ls.ModifyRequest) ls.Result {
	d := h.d
	if res, ok := d.mayWrite(c); !ok {
		return res
	}
	res := d.update(r.DN, func(tx *store.Tx) error { return d.modify(tx, c, r) })
	if res.Code == ls.Success {
		d.log.Info("modify", "dn", r.DN, "by", identity(c).SAM)
	}
	return res
}

func (d *Directory) modify(tx *store.Tx, c *ls.Conn, r *ls.ModifyRequest) error {
	e, err := tx.Get(r.DN)
	if err != nil {
		return err
	}
	self := lowerDN(e.DN)
	var password *string
	for _, ch := range r.Changes {
		name := ls.BaseAttr(ch.Attr.Name)
		low := strings.ToLower(name)
		if low == "unicodepwd" {
			if ch.Op == ls.ChangeDelete {
				continue // the old password of a change; an admin reset does not check it
			}
			if len(ch.Attr.Values) != 1 {
				return fail(ls.ConstraintViolation, "0000052D: unicodePwd takes one value")
			}
			pw, err := d.decodePasswordWrite(c, ch.Attr.Values[0])
			if err != nil {
				return err
			}
			password = &pw
			continue
		}
		if readOnlyAttrs[low] || secretAttrs[low] || low == "objectclass" {
			return fail(ls.UnwillingToPerform, "0000209A: SvcErr: problem 5003 (WILL_NOT_PERFORM): %s cannot be modified", name)
		}
		if rdnAttr, _, _ := firstRDN(e.DN); strings.EqualFold(rdnAttr, name) {
			return fail(ls.NotAllowedOnRDN, "000020B1: UpdErr: problem 6004 (CANT_ON_RDN): rename the entry to change %s", name)
		}
		switch ch.Op {
		case ls.ChangeAdd:
			for _, v := range ch.Attr.Values {
				if hasValue(e, name, v) {
					return fail(ls.AttributeOrValueExists, "00002083: AtrErr: problem 1006 (ATT_OR_VALUE_EXISTS): %s already has that value", name)
				}
			}
			e.Add(name, ch.Attr.Values...)
		case ls.ChangeDelete:
			if e.Get(name) == nil {
				return fail(ls.NoSuchAttribute, "00002080: AtrErr: problem 10 (NO_ATTRIBUTE_OR_VAL): %s has no values", name)
			}
			if len(ch.Attr.Values) == 0 {
				e.Set(name)
				continue
			}
			for _, v := range ch.Attr.Values {
				if !hasValue(e, name, v) {
					return fail(ls.NoSuchAttribute, "00002080: AtrErr: problem 10 (NO_ATTRIBUTE_OR_VAL): %s does not have that value", name)
				}
				removeValue(e, name, v)
			}
		case ls.ChangeReplace:
			e.Set(name, ch.Attr.Values...)
		default:
			return fail(ls.ProtocolError, "unknown modify operation %d", ch.Op)
		}
	}
	if err := d.checkValues(tx, e, self); err != nil {
		return err
	}
	if password != nil {
		if !hasClass(e.Get("objectClass"), "user") || isGMSAEntry(e) {
			return fail(ls.UnwillingToPerform, "0000001F: SvcErr: problem 5003 (WILL_NOT_PERFORM): unicodePwd cannot be set on %s", e.DN)
		}
		if err := setAccountPassword(e, &d.dom, e.String("sAMAccountName"), isMachine(e), *password, d.now()); err != nil {
			return fail(ls.ConstraintViolation, "0000052D: password: %v", err)
		}
	}
	return tx.Put(e)
}

// hasValue compares with the attribute's syntax (case-insensitively for
// strings, normalized for DNs).
func hasValue(e *store.Entry, name string, v []byte) bool {
	for _, x := range e.Get(name) {
		if sameValue(name, x, v) {
			return true
		}
	}
	return false
}

func sameValue(name string, a, b []byte) bool {
	switch syntaxOf(name) {
	case synOctet, synSID:
		return bytes.Equal(a, b)
	case synDN:
		return lowerDN(string(a)) == lowerDN(string(b))
	case synInteger:
		x, e1 := parseInt(a)
		y, e2 := parseInt(b)
		return e1 == nil && e2 == nil && x == y
	}
	return strings.EqualFold(string(a), string(b))
}

func removeValue(e *store.Entry, name string, v []byte) {
	var keep [][]byte
	for _, x := range e.Get(name) {
		if !sameValue(name, x, v) {
			keep = append(keep, x)
		}
	}
	e.Set(name, keep...)
}

// ---- delete

func (h *ldapHandler) Delete(ctx context.Context, c *ls.Conn, r *ls.DeleteRequest) ls.Result {
	d := h.d
	if res, ok := d.mayWrite(c); !ok {
		return res
	}
	res := d.update(r.DN, func(tx *store.Tx) error {
		e, err := tx.Get(r.DN)
		if err != nil {
			return err
		}
		if e.String("isCriticalSystemObject") == "TRUE" {
			return fail(ls.UnwillingToPerform, "0000209A: SvcErr: problem 5003 (WILL_NOT_PERFORM): %s is a critical system object", e.DN)
		}
		// The store also removes the entry from the member values of the
		// groups that list it, as AD keeps links consistent.
		return tx.Delete(e.DN)
	})
	if res.Code == ls.Success {
		d.log.Info("delete", "dn", r.DN, "by", identity(c).SAM)
	}
	return res
}

// ---- modify DN

func (h *ldapHandler) ModifyDN(ctx context.Context, c *ls.Conn, r *ls.ModifyDNRequest) ls.Result {
	d := h.d
	if res, ok := d.mayWrite(c); !ok {
		return res
	}
	return d.update(r.DN, func(tx *store.Tx) error {
		e, err := tx.Get(r.DN)
		if err != nil {
			return err
		}
		if e.String("isCriticalSystemObject") == "TRUE" {
			return fail(ls.UnwillingToPerform, "0000209A: SvcErr: problem 5003 (WILL_NOT_PERFORM): %s is a critical system object", e.DN)
		}
		superior := r.NewSuperior
		if superior == "" {
			superior = store.ParentDN(e.DN)
		}
		newDN := r.NewRDN + "," + superior
		attr, value, err := firstRDN(newDN)
		if err != nil {
			return fail(ls.InvalidDNSyntax, "new RDN %q: %v", r.NewRDN, err)
		}
		oldAttr, _, _ := firstRDN(e.DN)
		if !strings.EqualFold(attr, oldAttr) {
			return fail(ls.NamingViolation, "00002099: NameErr: problem 2005 (NAMING_VIOLATION): the RDN attribute must stay %s", oldAttr)
		}
		if err := tx.Rename(e.DN, newDN); err != nil {
			return err
		}
		moved, err := tx.Get(newDN)
		if err != nil {
			return err
		}
		moved.Set(attr, []byte(value))
		moved.Set("name", []byte(value))
		moved.Set("distinguishedName", []byte(moved.DN))
		return tx.Put(moved)
	})
}
