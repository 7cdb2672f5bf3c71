package directory

import (
	"context"
	"errors"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// DomainInfo names the domain a DC serves: everything a credential spec's
// DomainJoinConfig holds.
type DomainInfo struct {
	DN            string       // "DC=contoso,DC=com"
	DNSName       string       // "contoso.com" (the crossRef's dnsRoot)
	NetBIOSName   string       // "CONTOSO" (the crossRef's nETBIOSName)
	SID           adtypes.SID  // objectSid of the domain head
	GUID          adtypes.GUID // objectGUID of the domain head
	ForestDNSName string       // dnsRoot of the forest root domain's crossRef
}

// DomainInfo reads the domain head and the crossRefs under
// CN=Partitions of the configuration partition.
func (c *Conn) DomainInfo(ctx context.Context) (*DomainInfo, error) {
	const op = "read domain info"
	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	heads, err := c.search(ctx, searchOpt{base: dse.DefaultNamingContext, scope: ldap.ScopeBaseObject,
		attrs: []string{"objectSid", "objectGUID"}})
	if err == nil && len(heads) != 1 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, &Error{Op: op, DN: dse.DefaultNamingContext, Err: err}
	}
	h := &entry{Entry: heads[0]}
	info := &DomainInfo{DN: heads[0].DN, SID: h.sid("objectSid"), GUID: h.guid("objectGUID")}
	if h.err == nil && info.SID.IsZero() {
		h.fail("objectSid", "", "missing on the domain head")
	}
	if h.err != nil {
		return nil, &Error{Op: op, DN: info.DN, Err: h.err}
	}

	partitions := "CN=Partitions," + dse.ConfigurationNamingContext
	refs, err := c.search(ctx, searchOpt{base: partitions, scope: ldap.ScopeSingleLevel,
		filter: "(objectClass=crossRef)", attrs: []string{"nCName", "dnsRoot", "nETBIOSName"}})
	if err != nil {
		return nil, &Error{Op: op, DN: partitions, Err: err}
	}
	domainRef := findCrossRef(refs, dse.DefaultNamingContext)
	forestRef := findCrossRef(refs, dse.RootDomainNamingContext)
	if domainRef == nil || forestRef == nil {
		return nil, &Error{Op: op, DN: partitions, Err: errors.Join(ErrNotFound,
			errors.New("no crossRef whose nCName is the domain or the forest root")),
			Hint: "the bound identity may not read the configuration partition"}
	}
	info.DNSName = strings.ToLower(domainRef.GetEqualFoldAttributeValue("dnsRoot"))
	info.NetBIOSName = domainRef.GetEqualFoldAttributeValue("nETBIOSName")
	info.ForestDNSName = strings.ToLower(forestRef.GetEqualFoldAttributeValue("dnsRoot"))
	return info, nil
}

// findCrossRef returns the crossRef whose nCName is dn, compared as DNs.
func findCrossRef(refs []*ldap.Entry, dn string) *ldap.Entry {
	want, err := ldap.ParseDN(dn)
	if err != nil {
		return nil
	}
	for _, r := range refs {
		nc, err := ldap.ParseDN(r.GetEqualFoldAttributeValue("nCName"))
		if err == nil && nc.EqualFold(want) {
			return r
		}
	}
	return nil
}
