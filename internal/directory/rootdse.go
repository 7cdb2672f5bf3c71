package directory

import (
	"context"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// RootDSE is what a DC says about itself before and after a bind
// ([MS-ADTS] 3.1.1.3.2).
type RootDSE struct {
	DefaultNamingContext       string // the domain's DN, "DC=contoso,DC=com"
	ConfigurationNamingContext string // "CN=Configuration,DC=contoso,DC=com"
	RootDomainNamingContext    string // the forest root domain's DN
	DNSHostName                string // the DC's FQDN
	// DSServiceName is the DN of the DC's nTDSDSA object ("CN=NTDS
	// Settings,CN=DC1,CN=Servers,…"); its parent's serverReference is
	// the DC's computer object.
	DSServiceName           string
	DomainFunctionality     int64 // 7 = Windows Server 2016
	CurrentTime             time.Time
	SupportedSASLMechanisms []string
}

// RootDSE reads the rootDSE. It works before a bind.
func (c *Conn) RootDSE(ctx context.Context) (*RootDSE, error) {
	entries, err := c.search(ctx, searchOpt{base: "", scope: ldap.ScopeBaseObject, attrs: []string{
		"defaultNamingContext", "configurationNamingContext", "rootDomainNamingContext", "dnsHostName",
		"dsServiceName", "domainFunctionality", "currentTime", "supportedSASLMechanisms",
	}})
	if err == nil && len(entries) != 1 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, &Error{Op: "read rootDSE of " + c.server, Err: err}
	}
	e := &entry{Entry: entries[0]}
	r := &RootDSE{
		DefaultNamingContext:       e.str("defaultNamingContext"),
		ConfigurationNamingContext: e.str("configurationNamingContext"),
		RootDomainNamingContext:    e.str("rootDomainNamingContext"),
		DNSHostName:                e.str("dnsHostName"),
		DSServiceName:              e.str("dsServiceName"),
		DomainFunctionality:        e.int64("domainFunctionality", 0),
		CurrentTime:                e.generalizedTime("currentTime"),
		SupportedSASLMechanisms:    e.strs("supportedSASLMechanisms"),
	}
	if e.err == nil && (r.DefaultNamingContext == "" || r.ConfigurationNamingContext == "") {
		e.fail("defaultNamingContext", "", "missing: is this an Active Directory DC?")
	}
	if e.err != nil {
		return nil, &Error{Op: "read rootDSE of " + c.server, Err: e.err}
	}
	c.rootDSE.Store(r)
	return r, nil
}

// cachedRootDSE returns the rootDSE read earlier on this connection, or
// reads it.
func (c *Conn) cachedRootDSE(ctx context.Context) (*RootDSE, error) {
	if r := c.rootDSE.Load(); r != nil {
		return r, nil
	}
	return c.RootDSE(ctx)
}
