package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

// Values Windows and Samba write into every msKds-ProvRootKey
// (gmsa-protocol-notes.md §1).
const (
	kdfAlgorithm             = "SP800_108_CTR_HMAC"
	secretAgreementAlgorithm = "DH"
	publicKeyLength          = 2048
	// privateKeyLength is Windows' 512; Samba's C code falls back to 256
	// when its server configuration lacks the value. Neither is used for
	// gMSA passwords.
	privateKeyLength = 512
)

// rfc5114Group is the RFC 5114 §2.3 group (2048-bit MODP with a 256-bit
// prime-order subgroup) that Windows stores in msKds-SecretAgreementParam.
var rfc5114Group = gkdi.FfcDHParameters{
	FieldOrder: mustHex("" +
		"87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00" +
		"e00df8f1d61957d4faf7df4561b2aa3016c3d91134096faa3bf4296d830e9a7c" +
		"209e0c6497517abd5a8a9d306bcf67ed91f9e6725b4758c022e0b1ef4275bf7b" +
		"6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c4fdb70c581b23f76" +
		"b63acae1caa6b7902d52526735488a0ef13c6d9a51bfa4ab3ad8347796524d8e" +
		"f6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026" +
		"c0b857f689962856ded4010abd0be621c3a3960a54e710c375f26375d7014103" +
		"a4b54330c198af126116d2276e11715f693877fad7ef09cadb094ae91e1a1597"),
	Generator: mustHex("" +
		"3fb32c9b73134d0b2e77506660edbd484ca7b18f21ef205407f4793a1a0ba125" +
		"10dbc15077be463fff4fed4aac0bb555be3a6c1b0c6b47b1bc3773bf7e8c6f62" +
		"901228f8c28cbb18a55ae31341000a650196f931c77a57f2ddf463e5e9ec144b" +
		"777de62aaab8a8628ac376d282d6ed3864e67982428ebc831d14348f6f2f9193" +
		"b5045af2767164e1dfc967c1fb3f2e55a4bd1bffe83b9c80d052b985d182ea0a" +
		"db2a3b7313d3fe14c8484b1e052588b9b7d2bbd2df016199ecd06e1557cd0915" +
		"b3353bbb64e0ec377fd028370df92b52c7891428cdc67eb6184b523d1db246c3" +
		"2f63078490f00ef8d647d148d47954515e2327cfef98c582664b4c0f6cc41659"),
	KeyLength: 256,
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("directory: bad hex constant")
	}
	return n
}

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
	sap, err := rfc5114Group.Marshal()
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	p := &ProvRootKey{
		DN:                       "CN=" + id.String() + "," + rootKeysDN(dse.ConfigurationNamingContext),
		Key:                      &gkdi.RootKey{ID: id, Version: gkdi.SupportedRootKeyVersion, Data: data, Hash: gkdi.SHA512, Created: created, UseStart: useStart},
		DomainID:                 domainID,
		KDFAlgorithm:             kdfAlgorithm,
		KDFParam:                 gkdi.MarshalKDFParameters(gkdi.SHA512),
		SecretAgreementAlgorithm: secretAgreementAlgorithm,
		SecretAgreementParam:     sap,
		PublicKeyLength:          publicKeyLength,
		PrivateKeyLength:         privateKeyLength,
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
