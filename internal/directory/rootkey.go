package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

// ProvRootKey is an msKds-ProvRootKey object ([MS-ADSC] 2.159) with every
// attribute: Key holds what password derivation reads (its Data is the
// secret, which it never prints); the rest is what Windows writes beside it.
type ProvRootKey struct {
	DN  string
	Key *gkdi.RootKey
	// DomainID is msKds-DomainID: the DN of the DC computer object that
	// created the key.
	DomainID                 string
	KDFAlgorithm             string // msKds-KDFAlgorithmID, "SP800_108_CTR_HMAC"
	KDFParam                 []byte // msKds-KDFParam, nil when absent (SHA256)
	SecretAgreementAlgorithm string // msKds-SecretAgreementAlgorithmID, "DH"
	SecretAgreementParam     []byte // msKds-SecretAgreementParam
	PublicKeyLength          int64  // msKds-PublicKeyLength, 2048
	PrivateKeyLength         int64  // msKds-PrivateKeyLength, 512 (Windows)
}

var rootKeyAttrs = []string{
	"cn", "msKds-RootKeyData", "msKds-Version", "msKds-DomainID", "msKds-UseStartTime", "msKds-CreateTime",
	"msKds-KDFAlgorithmID", "msKds-KDFParam", "msKds-SecretAgreementAlgorithmID",
	"msKds-SecretAgreementParam", "msKds-PublicKeyLength", "msKds-PrivateKeyLength",
}

// rootKeysDN is the container of the forest's KDS root keys.
func rootKeysDN(configNC string) string {
	return "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services," + configNC
}

const hintRootKeyAccess = "KDS root keys are readable by Domain Admins, Enterprise Admins and the DCs only " +
	"(msKds-RootKeyData is a confidential attribute); bind as one of them"

// RootKeys returns the forest's KDS root keys, for password derivation.
// Objects whose cn is not a GUID are skipped, as DCs skip them. If keys are
// visible without msKds-RootKeyData (a bind that is not a Domain Admin) the
// error wraps [ErrNoRootKeyData]; if none is visible, [ErrNotFound].
func (c *Conn) RootKeys(ctx context.Context) ([]*gkdi.RootKey, error) {
	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	prov, err := c.ProvRootKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]*gkdi.RootKey, 0, len(prov))
	for _, p := range prov {
		if len(p.Key.Data) == 0 {
			return nil, &Error{Op: "read KDS root key", DN: p.DN, Err: ErrNoRootKeyData, Hint: hintRootKeyAccess}
		}
		keys = append(keys, p.Key)
	}
	if len(keys) == 0 {
		return nil, &Error{Op: "read KDS root keys", DN: rootKeysDN(dse.ConfigurationNamingContext), Err: ErrNotFound,
			Hint: "the forest has no KDS root key (create one: gmsa kds root-key add), or " + hintRootKeyAccess}
	}
	return keys, nil
}

// ProvRootKeys returns every KDS root key object with all its attributes.
// Key.Data is empty when the bound identity may not read it.
func (c *Conn) ProvRootKeys(ctx context.Context) ([]*ProvRootKey, error) {
	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	base := rootKeysDN(dse.ConfigurationNamingContext)
	entries, err := c.search(ctx, searchOpt{base: base, scope: ldap.ScopeSingleLevel,
		filter: "(objectClass=msKds-ProvRootKey)", attrs: rootKeyAttrs, paged: true})
	if err != nil {
		return nil, &Error{Op: "read KDS root keys", DN: base, Err: err}
	}
	var keys []*ProvRootKey
	for _, le := range entries {
		id, err := adtypes.ParseGUID(le.GetEqualFoldAttributeValue("cn"))
		if err != nil || len(le.GetEqualFoldAttributeValue("cn")) != 36 {
			continue // Samba ignores such keys too
		}
		k, err := decodeRootKey(le, id)
		if err != nil {
			return nil, &Error{Op: "read KDS root key", DN: le.DN, Err: err}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func decodeRootKey(le *ldap.Entry, id adtypes.GUID) (*ProvRootKey, error) {
	e := &entry{Entry: le}
	p := &ProvRootKey{
		DN:                       le.DN,
		DomainID:                 e.str("msKds-DomainID"),
		KDFAlgorithm:             e.str("msKds-KDFAlgorithmID"),
		KDFParam:                 e.raw("msKds-KDFParam"),
		SecretAgreementAlgorithm: e.str("msKds-SecretAgreementAlgorithmID"),
		SecretAgreementParam:     e.raw("msKds-SecretAgreementParam"),
		PublicKeyLength:          e.int64("msKds-PublicKeyLength", 0),
		PrivateKeyLength:         e.int64("msKds-PrivateKeyLength", 0),
	}
	version := e.int64("msKds-Version", 0)
	if version < 0 || version > 1<<32-1 {
		e.fail("msKds-Version", strconv.FormatInt(version, 10), "out of range")
	}
	k := &gkdi.RootKey{
		ID:       id,
		Version:  uint32(version),
		Data:     e.raw("msKds-RootKeyData"),
		Created:  e.fileTime("msKds-CreateTime"),
		UseStart: e.fileTime("msKds-UseStartTime"),
	}
	if e.err != nil {
		return nil, e.err
	}
	h, err := gkdi.ParseKDFParameters(p.KDFParam)
	if err != nil {
		return nil, fmt.Errorf("%w: msKds-KDFParam: %w", ErrMalformed, err)
	}
	k.Hash = h
	p.Key = k
	return p, nil
}

// RootKeyOptions say how [Conn.AddRootKey] makes a key.
type RootKeyOptions struct {
	// UseStart is msKds-UseStartTime, when the key takes effect. Zero
	// means Now (samba-tool's default; Add-KdsRootKey's is Now + 10 days,
	// and a DC uses a key for new gMSAs only 10 h 05 min after it).
	UseStart time.Time
	// Now is msKds-CreateTime; zero means the current time.
	Now time.Time
	// Rand supplies the GUID and the 64 key bytes; nil means crypto/rand.
	Rand io.Reader
}

// AddRootKey creates a KDS root key with every attribute Windows and Samba
// write (msKds-DomainID is the DC's computer object, found through the
// rootDSE's dsServiceName and its server object's serverReference) and
// returns what it wrote. It needs Domain Admins (or Enterprise Admins in a
// multi-domain forest).
func (c *Conn) AddRootKey(ctx context.Context, opt RootKeyOptions) (*ProvRootKey, error) {
	const op = "add KDS root key"
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.UseStart.IsZero() {
		opt.UseStart = opt.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	created, err := adtypes.FileTimeOf(opt.Now)
	if err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("Now: %w", err)}
	}
	useStart, err := adtypes.FileTimeOf(opt.UseStart)
	if err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("UseStart: %w", err)}
	}
	var rnd [16 + gkdi.RootKeyDataLen]byte
	if _, err := io.ReadFull(opt.Rand, rnd[:]); err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("reading randomness: %w", err)}
	}
	// 16 random bytes, no RFC 4122 version bits: what Samba writes.
	id, _ := adtypes.GUIDFromBytes(rnd[:16])
	data := rnd[16:]

	dse, err := c.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	domainID, err := c.dcComputerDN(ctx, dse)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	sap, err := gkdi.RFC5114Group2048.Marshal()
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	p := &ProvRootKey{
		DN:                       "CN=" + id.String() + "," + rootKeysDN(dse.ConfigurationNamingContext),
		Key:                      &gkdi.RootKey{ID: id, Version: gkdi.SupportedRootKeyVersion, Data: data, Hash: gkdi.SHA512, Created: created, UseStart: useStart},
		DomainID:                 domainID,
		KDFAlgorithm:             gkdi.KDFAlgorithmSP800108,
		KDFParam:                 gkdi.MarshalKDFParameters(gkdi.SHA512),
		SecretAgreementAlgorithm: gkdi.SecretAgreementDH,
		SecretAgreementParam:     sap,
		PublicKeyLength:          gkdi.PublicKeyLength,
		PrivateKeyLength:         gkdi.PrivateKeyLength,
	}
	req := ldap.NewAddRequest(p.DN, nil)
	for _, a := range []struct {
		name  string
		value string
	}{
		{"objectClass", "msKds-ProvRootKey"},
		{"cn", id.String()},
		{"msKds-RootKeyData", string(data)},
		{"msKds-Version", strconv.FormatUint(uint64(p.Key.Version), 10)},
		{"msKds-DomainID", domainID},
		{"msKds-UseStartTime", strconv.FormatUint(uint64(useStart), 10)},
		{"msKds-CreateTime", strconv.FormatUint(uint64(created), 10)},
		{"msKds-KDFAlgorithmID", p.KDFAlgorithm},
		{"msKds-KDFParam", string(p.KDFParam)},
		{"msKds-SecretAgreementAlgorithmID", p.SecretAgreementAlgorithm},
		{"msKds-SecretAgreementParam", string(p.SecretAgreementParam)},
		{"msKds-PublicKeyLength", strconv.FormatInt(p.PublicKeyLength, 10)},
		{"msKds-PrivateKeyLength", strconv.FormatInt(p.PrivateKeyLength, 10)},
	} {
		req.Attribute(a.name, []string{a.value})
	}
	if err := c.do(ctx, func() error { return c.l.Add(req) }); err != nil {
		e := &Error{Op: op, DN: p.DN, Err: err}
		if ldap.IsErrorAnyOf(err, ldap.LDAPResultInsufficientAccessRights) {
			e.Hint = "creating KDS root keys needs Domain Admins (Enterprise Admins in a multi-domain forest)"
		}
		return nil, e
	}
	return p, nil
}

// dcComputerDN finds the DN of the DC's computer object, which
// msKds-DomainID names: the serverReference of the server object that
// holds the rootDSE's dsServiceName (as Samba's samdb_server_reference_dn),
// else the computer whose dNSHostName is the DC's.
func (c *Conn) dcComputerDN(ctx context.Context, dse *RootDSE) (string, error) {
	if dn, err := ldap.ParseDN(dse.DSServiceName); err == nil && len(dn.RDNs) > 1 {
		server := (&ldap.DN{RDNs: dn.RDNs[1:]}).String()
		entries, err := c.search(ctx, searchOpt{base: server, scope: ldap.ScopeBaseObject, attrs: []string{"serverReference"}})
		if err != nil {
			return "", err
		}
		if len(entries) == 1 {
			if ref := entries[0].GetEqualFoldAttributeValue("serverReference"); ref != "" {
				return ref, nil
			}
		}
	}
	if dse.DNSHostName == "" {
		return "", errors.Join(ErrNotFound, errors.New("the DC's computer object: no dsServiceName or dnsHostName in the rootDSE"))
	}
	entries, err := c.search(ctx, searchOpt{base: dse.DefaultNamingContext, scope: ldap.ScopeWholeSubtree,
		filter: "(&(objectCategory=computer)(dNSHostName=" + ldap.EscapeFilter(dse.DNSHostName) + "))", attrs: []string{"dn"}})
	if err != nil {
		return "", err
	}
	if len(entries) != 1 {
		return "", errors.Join(ErrNotFound, fmt.Errorf("the DC's computer object: %d computers with dNSHostName %s", len(entries), strings.ToLower(dse.DNSHostName)))
	}
	return entries[0].DN, nil
}
