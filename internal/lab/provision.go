package lab

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/lab/pki"
	"github.com/opengmsa/gmsa/internal/lab/store"
)

// InitOptions say what domain [Init] provisions.
type InitOptions struct {
	Domain  string // DNS name, default contoso.com
	NetBIOS string // default: the first label in upper case (CONTOSO)
	// AdminPassword is Administrator's password; empty means generate one
	// and write it to DIR/administrator.password (0600).
	AdminPassword string
	Options
}

// AdminPasswordFile is where Init writes a generated Administrator password.
const AdminPasswordFile = "administrator.password"

// ErrExists: the data directory already holds a lab domain.
var ErrExists = errors.New("a lab domain already exists in this data directory")

// newUseStartDelay is how long after its use-start time a root key becomes
// usable for new gMSAs: a DC picks the newest root key whose use-start is at
// least 10 h 05 min in the past (the KDS key cycle plus the maximum clock
// skew), which is why Microsoft's walkthrough adds a root key "effective
// 10 hours ago" in a lab.
const newUseStartDelay = 10*time.Hour + 5*time.Minute

// Init provisions a new lab domain in dir and returns it open. dir is
// created (0700) if needed; an existing database is ErrExists.
func Init(dir string, o InitOptions) (*Directory, error) {
	o.Options = o.Options.withDefaults()
	dom, err := newDomainIdentity(o)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	password := o.AdminPassword
	if password == "" {
		if password, err = generatePassword(o.Rand, 24); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(dir, AdminPasswordFile), []byte(password), 0o600); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(path, store.Options{Now: o.Now, Rand: o.Rand})
	if err != nil {
		return nil, err
	}
	now := o.Now().UTC()
	dom.Created = now
	if _, err := io.ReadFull(o.Rand, dom.GUID[:]); err != nil {
		db.Close()
		return nil, err
	}
	p := &provisioner{dom: dom, now: now, rand: o.Rand}
	err = db.Update(func(tx *store.Tx) error { return p.run(tx, password) })
	if err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("provisioning %s: %w", dom.DNSName, err)
	}
	d, err := newDirectory(db, o.Options)
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := pki.EnsureCA(dir, dom.DNSName, now, nil); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func newDomainIdentity(o InitOptions) (*Domain, error) {
	name := strings.ToLower(strings.TrimSuffix(o.Domain, "."))
	if name == "" {
		name = "contoso.com"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return nil, fmt.Errorf("--domain %q: want a DNS name with at least two labels, such as contoso.com", o.Domain)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return nil, fmt.Errorf("--domain %q: label %q is not a DNS label (letters, digits, hyphens)", o.Domain, l)
		}
	}
	nb := strings.ToUpper(o.NetBIOS)
	if nb == "" {
		nb = strings.ToUpper(labels[0])
		if len(nb) > 15 {
			nb = nb[:15]
		}
	}
	if len(nb) > 15 || strings.ContainsAny(nb, `\/:*?"<>|. `) {
		return nil, fmt.Errorf("--netbios %q: want at most 15 characters without \\/:*?\"<>|. or spaces", o.NetBIOS)
	}
	var sub [12]byte
	if _, err := io.ReadFull(o.Rand, sub[:]); err != nil {
		return nil, err
	}
	sid := adtypes.SID{Authority: 5, SubAuthorities: []uint32{21,
		binary.LittleEndian.Uint32(sub[0:]), binary.LittleEndian.Uint32(sub[4:]), binary.LittleEndian.Uint32(sub[8:])}}
	return &Domain{DNSName: name, NetBIOS: nb, SID: sid, DCName: "dc1." + name}, nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// provisioner writes the entries of a new domain.
type provisioner struct {
	dom  *Domain
	now  time.Time
	rand io.Reader
	tx   *store.Tx
	err  error
}

// attrs builds an entry from name/value pairs; a value may be a string,
// []byte, []string or int.
func newEntry(dn string, kv ...any) *store.Entry {
	e := &store.Entry{DN: dn}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			e.Add(name, []byte(v))
		case []byte:
			e.Add(name, v)
		case int:
			e.Add(name, []byte(strconv.Itoa(v)))
		case int64:
			e.Add(name, []byte(strconv.FormatInt(v, 10)))
		case []string:
			for _, s := range v {
				e.Add(name, []byte(s))
			}
		default:
			panic(fmt.Sprintf("lab: newEntry %s: unsupported value type %T", name, v))
		}
	}
	return e
}

func (p *provisioner) add(e *store.Entry, root bool) {
	if p.err != nil {
		return
	}
	if len(e.Get("objectClass")) == 0 {
		p.err = fmt.Errorf("entry %s has no objectClass", e.DN)
		return
	}
	if e.First("name") == nil {
		rdn, _, _ := strings.Cut(e.DN, ",")
		_, v, _ := strings.Cut(rdn, "=")
		e.Set("name", []byte(strings.ReplaceAll(v, `\,`, ",")))
	}
	e.Set("distinguishedName", []byte(e.DN))
	e.Set("instanceType", []byte("4"))
	if c := structuralClass(strs(e.Get("objectClass"))); c != nil && e.First("objectCategory") == nil {
		e.Set("objectCategory", []byte("CN="+c.category+","+p.dom.SchemaDN()))
	}
	if root {
		p.err = p.tx.AddRoot(e)
	} else {
		p.err = p.tx.Add(e)
	}
	if p.err != nil {
		p.err = fmt.Errorf("adding %s: %w", e.DN, p.err)
	}
}

func strs(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (p *provisioner) run(tx *store.Tx, adminPassword string) error {
	p.tx = tx
	d := p.dom
	dn, cfg := d.DN(), d.ConfigDN()
	first, _, _ := strings.Cut(d.DNSName, ".")
	sid := func(rid uint32) []byte { return d.SID.WithRID(rid).Bytes() }

	p.add(newEntry(dn, "objectClass", []string{"top", "domain", "domainDNS"}, "dc", first,
		"objectSid", d.SID.Bytes(), "objectGUID", d.GUID[:], "msDS-Behavior-Version", 7,
		"objectCategory", "CN=Domain-DNS,"+d.SchemaDN()), true)
	for _, c := range []string{"Users", "Computers", "Managed Service Accounts", "System"} {
		p.add(newEntry("CN="+c+","+dn, "objectClass", []string{"top", "container"}, "cn", c), false)
	}
	p.add(newEntry("OU=Domain Controllers,"+dn, "objectClass", []string{"top", "organizationalUnit"}, "ou", "Domain Controllers"), false)
	p.add(newEntry("CN=Builtin,"+dn, "objectClass", []string{"top", "builtinDomain"}, "cn", "Builtin",
		"objectSid", adtypes.SID{Authority: 5, SubAuthorities: []uint32{32}}.Bytes(),
		"objectCategory", "CN=Builtin-Domain,"+d.SchemaDN()), false)

	// Configuration and schema naming contexts.
	p.add(newEntry(cfg, "objectClass", []string{"top", "configuration"}, "cn", "Configuration",
		"objectCategory", "CN=Configuration,"+d.SchemaDN()), true)
	p.add(newEntry(d.SchemaDN(), "objectClass", []string{"top", "dMD"}, "cn", "Schema",
		"objectCategory", "CN=DMD,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Partitions,"+cfg, "objectClass", []string{"top", "crossRefContainer"}, "cn", "Partitions",
		"objectCategory", "CN=Cross-Ref-Container,"+d.SchemaDN()), false)
	p.add(newEntry("CN="+d.NetBIOS+",CN=Partitions,"+cfg, "objectClass", []string{"top", "crossRef"},
		"cn", d.NetBIOS, "nCName", dn, "dnsRoot", d.DNSName, "nETBIOSName", d.NetBIOS, "systemFlags", 3,
		"objectCategory", "CN=Cross-Ref,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Enterprise Configuration,CN=Partitions,"+cfg, "objectClass", []string{"top", "crossRef"},
		"cn", "Enterprise Configuration", "nCName", cfg, "dnsRoot", d.DNSName, "systemFlags", 1,
		"objectCategory", "CN=Cross-Ref,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Sites,"+cfg, "objectClass", []string{"top", "sitesContainer"}, "cn", "Sites",
		"objectCategory", "CN=Sites-Container,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Default-First-Site-Name,CN=Sites,"+cfg, "objectClass", []string{"top", "site"},
		"cn", "Default-First-Site-Name", "objectCategory", "CN=Site,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Servers,CN=Default-First-Site-Name,CN=Sites,"+cfg, "objectClass", []string{"top", "serversContainer"},
		"cn", "Servers", "objectCategory", "CN=Servers-Container,"+d.SchemaDN()), false)
	p.add(newEntry(d.ServerDN(), "objectClass", []string{"top", "server"}, "cn", d.DCShortName(),
		"dNSHostName", d.DCName, "serverReference", d.DCDN(), "objectCategory", "CN=Server,"+d.SchemaDN()), false)
	p.add(newEntry(d.DSServiceName(), "objectClass", []string{"top", "applicationSettings", "nTDSDSA"},
		"cn", "NTDS Settings", "objectCategory", "CN=NTDS-DSA,"+d.SchemaDN()), false)
	p.add(newEntry("CN=Services,"+cfg, "objectClass", []string{"top", "container"}, "cn", "Services"), false)
	p.add(newEntry("CN=Group Key Distribution Service,CN=Services,"+cfg, "objectClass", []string{"top", "container"},
		"cn", "Group Key Distribution Service"), false)
	p.add(newEntry(d.RootKeysDN(), "objectClass", []string{"top", "container"}, "cn", "Master Root Keys"), false)

	// Groups.
	users := "CN=Users," + dn
	group := func(cn string, rid uint32, gt int64, desc string) {
		p.add(newEntry("CN="+cn+","+users, "objectClass", []string{"top", "group"}, "cn", cn,
			"sAMAccountName", cn, "objectSid", sid(rid), "groupType", gt, "sAMAccountType", samGroupObject,
			"description", desc, "isCriticalSystemObject", "TRUE"), false)
	}
	global := int64(groupTypeGlobal | groupTypeSecurity)
	group("Domain Admins", ridDomainAdmins, global, "Designated administrators of the domain")
	group("Domain Users", ridDomainUsers, global, "All domain users")
	group("Domain Computers", ridDomainComputers, global, "All workstations and servers joined to the domain")
	group("Domain Controllers", ridDomainControllers, global, "All domain controllers in the domain")
	p.add(newEntry("CN=Administrators,CN=Builtin,"+dn, "objectClass", []string{"top", "group"}, "cn", "Administrators",
		"sAMAccountName", "Administrators", "objectSid", adtypes.SID{Authority: 5, SubAuthorities: []uint32{32, 544}}.Bytes(),
		"groupType", int64(groupTypeBuiltin|groupTypeDomainLocal|groupTypeSecurity), "sAMAccountType", samAliasObject,
		"isCriticalSystemObject", "TRUE"), false)

	// Accounts.
	admin := "CN=Administrator," + users
	p.add(newEntry(admin, "objectClass", []string{"top", "person", "organizationalPerson", "user"}, "cn", "Administrator",
		"sAMAccountName", "Administrator", "userPrincipalName", "Administrator@"+d.DNSName,
		"objectSid", sid(ridAdministrator), "primaryGroupID", ridDomainUsers,
		"userAccountControl", uacNormalAccount|uacDontExpirePassword, "sAMAccountType", samNormalUserAccount,
		"description", "Built-in account for administering the computer/domain", "isCriticalSystemObject", "TRUE"), false)
	p.setPassword(admin, "Administrator", false, adminPassword)
	krbtgt := "CN=krbtgt," + users
	p.add(newEntry(krbtgt, "objectClass", []string{"top", "person", "organizationalPerson", "user"}, "cn", "krbtgt",
		"sAMAccountName", "krbtgt", "objectSid", sid(ridKrbtgt), "primaryGroupID", ridDomainUsers,
		"servicePrincipalName", "kadmin/changepw",
		"userAccountControl", uacNormalAccount|uacAccountDisable, "sAMAccountType", samNormalUserAccount,
		"description", "Key Distribution Center Service Account", "isCriticalSystemObject", "TRUE"), false)
	p.setRandomPassword(krbtgt, "krbtgt", false)
	dc := d.DCDN()
	p.add(newEntry(dc, "objectClass", []string{"top", "person", "organizationalPerson", "user", "computer"},
		"cn", d.DCShortName(), "sAMAccountName", d.DCShortName()+"$", "dNSHostName", d.DCName,
		"servicePrincipalName", []string{"ldap/" + d.DCName, "ldap/localhost", "host/" + d.DCName, "host/" + d.DCShortName(),
			"ldap/" + d.DCName + "/" + d.DNSName, "GC/" + d.DCName + "/" + d.DNSName},
		"objectSid", sid(1000), "primaryGroupID", ridDomainControllers,
		"userAccountControl", uacServerTrust|uacTrustedForDeleg, "sAMAccountType", samMachineAccount,
		"msDS-SupportedEncryptionTypes", 28, "isCriticalSystemObject", "TRUE"), false)
	p.setRandomPassword(dc, d.DCShortName()+"$", true)

	// Memberships, stored on the group as AD does.
	p.addMember("CN=Domain Admins,"+users, admin)
	p.addMember("CN=Administrators,CN=Builtin,"+dn, admin)
	p.addMember("CN=Administrators,CN=Builtin,"+dn, "CN=Domain Admins,"+users)

	// One KDS root key usable at once for new gMSAs, as Samba provisions.
	p.addRootKey(p.now.Add(-newUseStartDelay - time.Minute))

	if p.err != nil {
		return p.err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := tx.SetMeta(metaDomain, b); err != nil {
		return err
	}
	return tx.SetMeta(metaNextRID, []byte(strconv.Itoa(firstUserRID)))
}

func (p *provisioner) addMember(group, member string) {
	if p.err != nil {
		return
	}
	g, err := p.tx.Get(group)
	if err != nil {
		p.err = err
		return
	}
	g.Add("member", []byte(member))
	p.err = p.tx.Put(g)
}

func (p *provisioner) setPassword(dn, sam string, machine bool, password string) {
	if p.err != nil {
		return
	}
	e, err := p.tx.Get(dn)
	if err != nil {
		p.err = err
		return
	}
	p.err = setAccountPassword(e, p.dom, sam, machine, password, p.now)
	if p.err == nil {
		p.err = p.tx.Put(e)
	}
}

func (p *provisioner) setRandomPassword(dn, sam string, machine bool) {
	pw, err := generatePassword(p.rand, 64)
	if err != nil {
		p.err = err
		return
	}
	p.setPassword(dn, sam, machine, pw)
}

func (p *provisioner) addRootKey(useStart time.Time) {
	if p.err != nil {
		return
	}
	_, p.err = addRootKey(p.tx, p.dom, p.rand, p.now, useStart)
}

// addRootKey stores a new msKds-ProvRootKey with every attribute Windows
// writes.
func addRootKey(tx *store.Tx, d *Domain, rand io.Reader, created, useStart time.Time) (*gkdi.RootKey, error) {
	var rnd [16 + gkdi.RootKeyDataLen]byte
	if _, err := io.ReadFull(rand, rnd[:]); err != nil {
		return nil, err
	}
	id, _ := adtypes.GUIDFromBytes(rnd[:16])
	c, err := adtypes.FileTimeOf(created)
	if err != nil {
		return nil, err
	}
	u, err := adtypes.FileTimeOf(useStart)
	if err != nil {
		return nil, err
	}
	sap, err := gkdi.RFC5114Group2048.Marshal()
	if err != nil {
		return nil, err
	}
	e := newEntry("CN="+id.String()+","+d.RootKeysDN(), "objectClass", []string{"top", "msKds-ProvRootKey"},
		"cn", id.String(), "msKds-RootKeyData", rnd[16:], "msKds-Version", int(gkdi.SupportedRootKeyVersion),
		"msKds-DomainID", d.DCDN(), "msKds-UseStartTime", strconv.FormatUint(uint64(u), 10),
		"msKds-CreateTime", strconv.FormatUint(uint64(c), 10), "msKds-KDFAlgorithmID", gkdi.KDFAlgorithmSP800108,
		"msKds-KDFParam", gkdi.MarshalKDFParameters(gkdi.SHA512), "msKds-SecretAgreementAlgorithmID", gkdi.SecretAgreementDH,
		"msKds-SecretAgreementParam", sap, "msKds-PublicKeyLength", gkdi.PublicKeyLength,
		"msKds-PrivateKeyLength", gkdi.PrivateKeyLength,
		"objectCategory", "CN=ms-Kds-Prov-RootKey,"+d.SchemaDN(), "name", id.String())
	e.Set("distinguishedName", []byte(e.DN))
	e.Set("instanceType", []byte("4"))
	if err := tx.Add(e); err != nil {
		return nil, err
	}
	return &gkdi.RootKey{ID: id, Version: gkdi.SupportedRootKeyVersion, Data: rnd[16:], Hash: gkdi.SHA512, Created: c, UseStart: u}, nil
}

// generatePassword returns n random characters from a set without
// look-alikes or shell metacharacters.
func generatePassword(rand io.Reader, n int) (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.+"
	b := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", err
		}
		// Rejection sampling keeps the characters uniform.
		if int(buf[0]) >= 256/len(alphabet)*len(alphabet) {
			continue
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b), nil
}
