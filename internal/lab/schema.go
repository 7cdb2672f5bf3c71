package lab

import (
	"strings"
)

// The lab's schema is fixed: the classes and attributes the gMSA chain and
// the walkthrough use, with AD's ldapDisplayNames, syntaxes and class
// chains. Unknown classes in an add get objectClassViolation, as AD gives
// for a class the schema does not have.

// syntax is how the lab compares an attribute's values.
type syntax int

const (
	synString  syntax = iota // case-insensitive Unicode string (AD's default)
	synInteger               // decimal, signed 64-bit ordering
	synOctet                 // byte comparison
	synDN                    // distinguished name
	synTime                  // generalized time
	synBool                  // TRUE / FALSE
	synSID                   // objectSid: binary, or S-1-… in a filter
)

var syntaxes = map[string]syntax{
	"objectsid": synSID, "objectguid": synOctet, "msds-groupmsamembership": synOctet,
	"mskds-rootkeydata": synOctet, "mskds-kdfparam": synOctet, "mskds-secretagreementparam": synOctet,
	"msds-managedpasswordid": synOctet, "msds-managedpasswordpreviousid": synOctet,
	"msds-managedpassword": synOctet, "ntsecuritydescriptor": synOctet, "tokengroups": synSID,

	"useraccountcontrol": synInteger, "grouptype": synInteger, "samaccounttype": synInteger,
	"primarygroupid": synInteger, "msds-supportedencryptiontypes": synInteger,
	"msds-managedpasswordinterval": synInteger, "msds-keyversionnumber": synInteger,
	"usncreated": synInteger, "usnchanged": synInteger, "mskds-version": synInteger,
	"mskds-usestarttime": synInteger, "mskds-createtime": synInteger, "mskds-publickeylength": synInteger,
	"mskds-privatekeylength": synInteger, "systemflags": synInteger, "instancetype": synInteger,
	"msds-behavior-version": synInteger, "accountexpires": synInteger, "pwdlastset": synInteger,
	"admincount": synInteger, "lastlogontimestamp": synInteger, "badpwdcount": synInteger,
	"domainfunctionality": synInteger, "forestfunctionality": synInteger,
	"domaincontrollerfunctionality": synInteger,

	"member": synDN, "memberof": synDN, "distinguishedname": synDN, "objectcategory": synDN,
	"ncname": synDN, "serverreference": synDN, "mskds-domainid": synDN, "managedby": synDN,
	"defaultobjectcategory": synDN,

	"whencreated": synTime, "whenchanged": synTime, "createtimestamp": synTime, "modifytimestamp": synTime,

	"iscriticalsystemobject": synBool, "showinadvancedviewonly": synBool,
}

func syntaxOf(attr string) syntax {
	if s, ok := syntaxes[strings.ToLower(attr)]; ok {
		return s
	}
	return synString
}

// class is one structural object class the lab can create.
type class struct {
	name     string   // ldapDisplayName
	chain    []string // objectClass values, top first, as AD stores them
	category string   // objectCategory's CN in the schema NC
	// principal: gets an objectSid (a fresh RID) and a sAMAccountName.
	principal bool
	// must: attributes the add must carry (besides objectClass).
	must []string
	// parents: classes the entry may be created under.
	parents []string
}

var containerParents = []string{"domainDNS", "container", "organizationalUnit", "builtinDomain"}

var classes = []*class{
	{name: "user", chain: []string{"top", "person", "organizationalPerson", "user"}, category: "Person", principal: true, parents: containerParents},
	{name: "computer", chain: []string{"top", "person", "organizationalPerson", "user", "computer"}, category: "Computer", principal: true, parents: containerParents},
	{name: "msDS-GroupManagedServiceAccount", chain: []string{"top", "person", "organizationalPerson", "user", "computer", "msDS-GroupManagedServiceAccount"},
		category: "ms-DS-Group-Managed-Service-Account", principal: true, parents: containerParents},
	{name: "group", chain: []string{"top", "group"}, category: "Group", principal: true, parents: containerParents},
	{name: "container", chain: []string{"top", "container"}, category: "Container", parents: append([]string{"configuration", "crossRefContainer"}, containerParents...)},
	{name: "organizationalUnit", chain: []string{"top", "organizationalUnit"}, category: "Organizational-Unit", parents: []string{"domainDNS", "organizationalUnit"}},
	{name: "msKds-ProvRootKey", chain: []string{"top", "msKds-ProvRootKey"}, category: "ms-Kds-Prov-RootKey",
		must: []string{"msKds-RootKeyData", "msKds-Version", "msKds-UseStartTime", "msKds-CreateTime", "msKds-KDFAlgorithmID"}, parents: []string{"container"}},
}

// classByName finds a class by any of its names, case-insensitively.
func classByName(name string) *class {
	for _, c := range classes {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// structuralClass picks the most specific class a list of objectClass
// values names: the known class with the longest chain whose every value is
// in the list or implied by it. nil when none is known.
func structuralClass(values []string) *class {
	var best *class
	for _, v := range values {
		c := classByName(v)
		if c != nil && (best == nil || len(c.chain) > len(best.chain)) {
			best = c
		}
	}
	return best
}

// hasClass reports whether the objectClass values include name.
func hasClass(values [][]byte, name string) bool {
	for _, v := range values {
		if strings.EqualFold(string(v), name) {
			return true
		}
	}
	return false
}

// Attributes never returned to anyone: stored secrets.
var secretAttrs = map[string]bool{
	"unicodepwd": true, "dbcspwd": true, "supplementalcredentials": true, "ntpwdhistory": true,
	"lmpwdhistory": true, strings.ToLower(attrKeys): true,
}

// Attributes that AD computes on read and returns only when asked for by
// name (constructed), or with "+" (operational).
var constructedAttrs = map[string]bool{
	"msds-managedpassword": true, "tokengroups": true, "msds-keyversionnumber": true,
	"createtimestamp": true, "modifytimestamp": true, "subschemasubentry": true,
	"canonicalname": true, "structuralobjectclass": true,
}

// attrKeys is the internal attribute holding an account's password keys.
const attrKeys = "labKeys"

// Attributes clients may not write directly (AD: constraintViolation or
// unwillingToPerform; systemOnly or constructed).
var readOnlyAttrs = map[string]bool{
	"objectsid": true, "objectguid": true, "whencreated": true, "whenchanged": true, "usncreated": true,
	"usnchanged": true, "msds-managedpassword": true, "msds-managedpasswordid": true,
	"msds-managedpasswordpreviousid": true, "msds-keyversionnumber": true, "memberof": true,
	"tokengroups": true, "distinguishedname": true, "samaccounttype": true, "objectcategory": true,
	"instancetype": true, "name": true, "createtimestamp": true, "modifytimestamp": true,
	strings.ToLower(attrKeys): true,
}

// Group types ([MS-ADTS] 2.2.12) and sAMAccountType values (2.2.15).
const (
	groupTypeGlobal      = 0x00000002
	groupTypeDomainLocal = 0x00000004
	groupTypeUniversal   = 0x00000008
	groupTypeSecurity    = -0x80000000
	groupTypeBuiltin     = 0x00000001

	samGroupObject        = 0x10000000
	samAliasObject        = 0x20000000
	samNormalUserAccount  = 0x30000000
	samMachineAccount     = 0x30000001
	samTrustAccount       = 0x30000002
	uacAccountDisable     = 0x00000002
	uacNormalAccount      = 0x00000200
	uacWorkstationTrust   = 0x00001000
	uacServerTrust        = 0x00002000
	uacDontExpirePassword = 0x00010000
	uacTrustedForDeleg    = 0x00080000
)

// Well-known RIDs and SIDs.
const (
	ridAdministrator     = 500
	ridKrbtgt            = 502
	ridDomainAdmins      = 512
	ridDomainUsers       = 513
	ridDomainComputers   = 515
	ridDomainControllers = 516
	firstUserRID         = 1100
)
