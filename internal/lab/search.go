package lab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	ls "github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// Controls the lab understands (besides paged results, which the server
// handles): the SD flags control clients send when they read security
// descriptors; the lab returns the whole descriptor regardless.
var supportedControls = []string{
	"1.2.840.113556.1.4.319",  // paged results
	"1.2.840.113556.1.4.801",  // LDAP_SERVER_SD_FLAGS_OID
	"1.2.840.113556.1.4.1413", // LDAP_SERVER_PERMISSIVE_MODIFY_OID
	"1.2.840.113556.1.4.417",  // LDAP_SERVER_SHOW_DELETED_OID (nothing is deleted-but-kept)
}

// SupportedControls lists the control OIDs the lab's handler accepts.
func SupportedControls() []string { return append([]string(nil), supportedControls...) }

func (h *ldapHandler) Search(ctx context.Context, c *ls.Conn, r *ls.SearchRequest, w *ls.SearchWriter) ls.Result {
	d := h.d
	if r.BaseDN == "" && r.Scope == ls.ScopeBaseObject {
		return d.searchRootDSE(c, r, w)
	}
	id := identity(c)
	if id == nil {
		return errNotBound
	}
	wantPassword := requested(r.Attributes, "msDS-ManagedPassword")
	filter := d.rewriteCategory(r.Filter)

	// A read that finds a gMSA's password ID out of date updates it first,
	// as a writable DC does; then the search runs again on fresh data.
	for attempt := 0; ; attempt++ {
		var stale []string
		var res ls.Result
		var out []outEntry
		err := d.db.View(func(tx *store.Tx) error {
			base, err := tx.Get(r.BaseDN)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					res = noSuchObject(tx, r.BaseDN)
					return nil
				}
				res = result(ls.InvalidDNSyntax, "0000208F: NameErr: DSID-03100225, problem 2006 (BAD_NAME), data 8350, best match of:\n\t'%s'\n", r.BaseDN)
				return nil
			}
			if !d.visible(base, id) {
				res = noSuchObject(tx, r.BaseDN)
				return nil
			}
			schema := labSchema{d, tx}
			return d.candidates(tx, base, r.Scope, filter, func(e *store.Entry) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if !d.visible(e, id) || filter.Match(&filterEntry{e: e, d: d, tx: tx}, schema) != ls.True {
					return nil
				}
				if attempt == 0 && isGMSAEntry(e) && d.passwordIDStale(tx, e) {
					stale = append(stale, e.DN)
				}
				out = append(out, outEntry{dn: e.DN, attrs: d.entryAttributes(tx, e, r, id)})
				if wantPassword && isGMSAEntry(e) {
					out[len(out)-1].gmsa = e
				}
				return nil
			})
		})
		if err != nil {
			if ctx.Err() != nil {
				return result(ls.TimeLimitExceeded, "time limit exceeded")
			}
			return result(ls.OperationsError, "lab: %v", err)
		}
		if res.Code != ls.Success {
			return res
		}
		if len(stale) > 0 && attempt == 0 {
			for _, dn := range stale {
				if _, err := d.maintainPasswordID(dn); err != nil {
					d.log.Warn("could not update a gMSA password ID", "dn", dn, "err", err)
				}
			}
			continue
		}
		// msDS-ManagedPassword: only over a confidential connection (else
		// the whole search fails, as Samba does), only to allowed principals
		// (else silently omitted, as AD does).
		for i := range out {
			if out[i].gmsa == nil {
				continue
			}
			if !c.Confidential() {
				return result(ls.OperationsError,
					"00002020: msDS-ManagedPassword can only be read over a confidential connection (LDAPS, StartTLS, or a sealed SASL bind); this connection is neither encrypted nor sealed")
			}
			if a := d.managedPasswordAttr(out[i].gmsa, id); a != nil {
				out[i].attrs = append(out[i].attrs, *a)
			}
		}
		for _, o := range out {
			if err := w.Entry(o.dn, o.attrs); err != nil {
				return result(ls.SizeLimitExceeded, "size limit exceeded")
			}
		}
		return ls.Result{}
	}
}

type outEntry struct {
	dn    string
	attrs []ls.Attribute
	gmsa  *store.Entry
}

// requested reports whether attr is named in the attribute list.
func requested(list []string, attr string) bool {
	for _, a := range list {
		if strings.EqualFold(ls.BaseAttr(a), attr) {
			return true
		}
	}
	return false
}

// candidates visits the entries in scope that may match: through an index
// when the filter (or a top-level AND of it) has an equality on an indexed
// attribute, else by walking the scope.
func (d *Directory) candidates(tx *store.Tx, base *store.Entry, scope int, f ls.Filter, fn func(*store.Entry) error) error {
	// A subtree search stays in the base's naming context: the
	// configuration NC is not part of the domain's subtree (AD would return
	// a referral; the lab returns nothing).
	roots := tx.Roots()
	for i, r := range roots {
		roots[i] = lowerDN(r)
	}
	baseN := lowerDN(base.DN)
	baseNC := namingContext(baseN, roots)
	if eqs := indexedEqualities(f); eqs != nil && scope != ls.ScopeBaseObject {
		seen := map[string]bool{}
		ok := true
		var hits []string
		for _, eq := range eqs {
			value := eq.Value
			if strings.EqualFold(ls.BaseAttr(eq.Attr), "objectSid") && strings.HasPrefix(strings.ToUpper(string(value)), "S-") {
				if s, err := adtypes.ParseSID(string(value)); err == nil {
					value = s.Bytes()
				}
			}
			dns, err := tx.Lookup(ls.BaseAttr(eq.Attr), value)
			if err != nil {
				ok = false
				break
			}
			for _, dn := range dns {
				if n := lowerDN(dn); !seen[n] {
					seen[n] = true
					hits = append(hits, dn)
				}
			}
		}
		if ok {
			for _, dn := range hits {
				n := lowerDN(dn)
				if !inScope(n, baseN, scope) || namingContext(n, roots) != baseNC {
					continue
				}
				e, err := tx.Get(dn)
				if err != nil {
					continue
				}
				if err := fn(e); err != nil {
					return err
				}
			}
			return nil
		}
	}
	st := store.ScopeSubtree
	switch scope {
	case ls.ScopeBaseObject:
		st = store.ScopeBase
	case ls.ScopeSingleLevel:
		st = store.ScopeOne
	}
	return tx.Walk(base.DN, st, func(e *store.Entry) error {
		if n := lowerDN(e.DN); n != baseN && slices.Contains(roots, n) {
			return store.ErrSkipSubtree
		}
		return fn(e)
	})
}

// namingContext is the longest root that dn (normalized) lies under.
func namingContext(dn string, roots []string) string {
	best := ""
	for _, r := range roots {
		if (dn == r || strings.HasSuffix(dn, ","+r)) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// indexedEqualities returns equality filters on indexed attributes whose
// matches contain every entry f can match: one from an AND, all of an OR
// whose every branch has them; nil when the filter cannot use an index.
func indexedEqualities(f ls.Filter) []ls.Filter {
	switch f.Kind {
	case ls.FilterEquality:
		if store.Indexed(ls.BaseAttr(f.Attr)) {
			return []ls.Filter{f}
		}
	case ls.FilterAnd:
		for _, k := range f.Children {
			if eqs := indexedEqualities(k); eqs != nil {
				return eqs
			}
		}
	case ls.FilterOr:
		var all []ls.Filter
		for _, k := range f.Children {
			eqs := indexedEqualities(k)
			if eqs == nil {
				return nil
			}
			all = append(all, eqs...)
		}
		return all
	}
	return nil
}

// inScope compares normalized DNs.
func inScope(dn, base string, scope int) bool {
	switch scope {
	case ls.ScopeBaseObject:
		return dn == base
	case ls.ScopeSingleLevel:
		return lowerDN(store.ParentDN(dn)) == base
	}
	return dn == base || strings.HasSuffix(dn, ","+base)
}

// passwordIDStale reports whether a gMSA's stored password ID has expired at
// the KDS clock.
func (d *Directory) passwordIDStale(tx *store.Tx, e *store.Entry) bool {
	a, err := gmsaAccount(e)
	if err != nil {
		return false
	}
	keys, err := d.rootKeys(tx)
	if err != nil {
		return false
	}
	sch, err := managedpassword.PlanAt(d.kdsNow(), a, keys)
	return err == nil && sch.Stale
}

// entryAttributes is what a search returns of e: the stored attributes
// without secrets, with memberOf and the constructed attributes asked for,
// selected as RFC 4511 says.
func (d *Directory) entryAttributes(tx *store.Tx, e *store.Entry, r *ls.SearchRequest, id *Identity) []ls.Attribute {
	all := make([]ls.Attribute, 0, len(e.Attrs)+4)
	for _, a := range e.Attrs {
		if d.hiddenAttr(e, a.Name, id) {
			continue
		}
		all = append(all, ls.Attribute{Name: a.Name, Values: a.Values})
	}
	if mof := d.memberOf(tx, e.DN); len(mof) > 0 {
		all = append(all, ls.Attribute{Name: "memberOf", Values: mof})
	}
	if created := e.First("whenCreated"); created != nil {
		all = append(all, ls.Attribute{Name: "createTimeStamp", Values: [][]byte{created}})
	}
	if changed := e.First("whenChanged"); changed != nil {
		all = append(all, ls.Attribute{Name: "modifyTimeStamp", Values: [][]byte{changed}})
	}
	if requested(r.Attributes, "tokenGroups") && r.Scope == ls.ScopeBaseObject {
		if tid, err := d.identityOf(tx, e); err == nil {
			var vals [][]byte
			for _, g := range tid.Groups {
				if g.Equal(sidEveryone) || g.Equal(sidAuthenticated) {
					continue
				}
				vals = append(vals, g.Bytes())
			}
			all = append(all, ls.Attribute{Name: "tokenGroups", Values: vals})
		}
	}
	return ls.SelectAttributes(r.Attributes, all, func(name string) bool {
		return constructedAttrs[strings.ToLower(name)]
	}, r.TypesOnly)
}

// managedPasswordAttr computes msDS-ManagedPassword for id, or nil when
// msDS-GroupMSAMembership does not grant it (AD then omits the attribute).
func (d *Directory) managedPasswordAttr(e *store.Entry, id *Identity) *ls.Attribute {
	sdb := e.First("msDS-GroupMSAMembership")
	if sdb == nil {
		return nil
	}
	sd, err := adtypes.ParseSecurityDescriptor(sdb)
	if err != nil || !accessAllowed(sd, id, adtypes.RightReadProperty) {
		return nil
	}
	var blob []byte
	err = d.db.View(func(tx *store.Tx) error {
		b, _, err := d.ManagedPassword(tx, e)
		if err != nil {
			return err
		}
		blob = b.Marshal()
		return nil
	})
	if err != nil {
		d.log.Warn("cannot compute msDS-ManagedPassword", "dn", e.DN, "err", err)
		return nil
	}
	d.log.Info("msDS-ManagedPassword read", "account", e.String("sAMAccountName"), "by", id.SAM)
	return &ls.Attribute{Name: "msDS-ManagedPassword", Values: [][]byte{blob}}
}

// searchRootDSE answers the rootDSE (to anyone, bound or not).
func (d *Directory) searchRootDSE(c *ls.Conn, r *ls.SearchRequest, w *ls.SearchWriter) ls.Result {
	dom := d.dom
	mechs := [][]byte{[]byte(MechanismGSSAPI)} // GSS-SPNEGO is not implemented
	attrs := []ls.Attribute{
		{Name: "objectClass", Values: [][]byte{[]byte("top")}},
		{Name: "defaultNamingContext", Values: [][]byte{[]byte(dom.DN())}},
		{Name: "rootDomainNamingContext", Values: [][]byte{[]byte(dom.DN())}},
		{Name: "configurationNamingContext", Values: [][]byte{[]byte(dom.ConfigDN())}},
		{Name: "schemaNamingContext", Values: [][]byte{[]byte(dom.SchemaDN())}},
		{Name: "namingContexts", Values: [][]byte{[]byte(dom.DN()), []byte(dom.ConfigDN()), []byte(dom.SchemaDN())}},
		{Name: "dnsHostName", Values: [][]byte{[]byte(dom.DCName)}},
		{Name: "serverName", Values: [][]byte{[]byte(dom.ServerDN())}},
		{Name: "dsServiceName", Values: [][]byte{[]byte(dom.DSServiceName())}},
		{Name: "ldapServiceName", Values: [][]byte{[]byte(dom.DNSName + ":" + strings.ToLower(dom.DCShortName()) + "$@" + dom.Realm())}},
		{Name: "currentTime", Values: [][]byte{[]byte(d.now().UTC().Truncate(time.Second).Format("20060102150405") + ".0Z")}},
		{Name: "supportedLDAPVersion", Values: [][]byte{[]byte("3")}},
		{Name: "supportedSASLMechanisms", Values: mechs},
		{Name: "supportedControl", Values: bytesOf(supportedControls)},
		{Name: "supportedExtension", Values: bytesOf([]string{"1.3.6.1.4.1.1466.20037", "1.3.6.1.4.1.4203.1.11.3"})},
		{Name: "supportedCapabilities", Values: bytesOf([]string{"1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670", "1.2.840.113556.1.4.1791"})},
		{Name: "domainFunctionality", Values: [][]byte{[]byte("7")}},
		{Name: "forestFunctionality", Values: [][]byte{[]byte("7")}},
		{Name: "domainControllerFunctionality", Values: [][]byte{[]byte("7")}},
		{Name: "isSynchronized", Values: [][]byte{[]byte("TRUE")}},
		{Name: "isGlobalCatalogReady", Values: [][]byte{[]byte("FALSE")}},
	}
	e := &rootDSEEntry{attrs: attrs}
	if r.Filter.Match(e, nil) != ls.True {
		return ls.Result{}
	}
	sel := ls.SelectAttributes(r.Attributes, attrs, func(string) bool { return false }, r.TypesOnly)
	if err := w.Entry("", sel); err != nil {
		return result(ls.SizeLimitExceeded, "size limit exceeded")
	}
	return ls.Result{}
}

type rootDSEEntry struct{ attrs []ls.Attribute }

func (r *rootDSEEntry) DN() string { return "" }
func (r *rootDSEEntry) Get(attr string) [][]byte {
	for _, a := range r.attrs {
		if strings.EqualFold(a.Name, attr) {
			return a.Values
		}
	}
	return nil
}

func bytesOf(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
