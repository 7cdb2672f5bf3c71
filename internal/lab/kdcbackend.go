package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/lab/kdc"
	"github.com/opengmsa/gmsa/internal/lab/store"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

// kdcBackend gives the KDC the directory's accounts: stored keys for users
// and computers, and for gMSAs keys derived from the managed password in
// force at the KDS clock (current and previous), cached per password so
// that the KDC does not run PBKDF2 per request.
type kdcBackend struct {
	d *Directory

	mu    sync.Mutex
	cache map[string][]kdc.Key // "dn|current id|previous id" → keys
}

// KDCBackend returns the directory as a kdc.Backend.
func (d *Directory) KDCBackend() kdc.Backend {
	return &kdcBackend{d: d, cache: map[string][]kdc.Key{}}
}

func (b *kdcBackend) Client(ctx context.Context, name msg.PrincipalName, realm string) (*kdc.Principal, error) {
	return b.find(name, realm, false)
}

func (b *kdcBackend) Service(ctx context.Context, name msg.PrincipalName, realm string) (*kdc.Principal, error) {
	return b.find(name, realm, true)
}

func (b *kdcBackend) find(name msg.PrincipalName, realm string, service bool) (*kdc.Principal, error) {
	d := b.d
	if !strings.EqualFold(realm, d.dom.Realm()) {
		return nil, fmt.Errorf("%w: realm %s is not %s", kdc.ErrUnknown, realm, d.dom.Realm())
	}
	var e *store.Entry
	err := d.db.View(func(tx *store.Tx) error {
		var err error
		e, err = d.lookupPrincipal(tx, name, service)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", kdc.ErrUnknown, name)
	}
	if err != nil {
		return nil, err
	}
	// A gMSA whose password ID expired gets its new ID (and kvno) first.
	if isGMSAEntry(e) {
		stale := false
		_ = d.db.View(func(tx *store.Tx) error { stale = d.passwordIDStale(tx, e); return nil })
		if stale {
			if _, err := d.maintainPasswordID(e.DN); err != nil {
				d.log.Warn("could not update a gMSA password ID", "dn", e.DN, "err", err)
			}
			_ = d.db.View(func(tx *store.Tx) error { e, err = tx.Get(e.DN); return err })
			if err != nil {
				return nil, err
			}
		}
	}
	return b.principal(e)
}

// lookupPrincipal resolves a Kerberos name to an entry: krbtgt/REALM, an
// enterprise name (UPN), a sAMAccountName (NAME or NAME$), or an SPN (and
// host/NAME for computers, which AD maps implicitly).
func (d *Directory) lookupPrincipal(tx *store.Tx, name msg.PrincipalName, service bool) (*store.Entry, error) {
	parts := name.NameString
	if len(parts) == 0 {
		return nil, store.ErrNotFound
	}
	if len(parts) == 2 && strings.EqualFold(parts[0], "krbtgt") {
		if !strings.EqualFold(parts[1], d.dom.Realm()) && !strings.EqualFold(parts[1], d.dom.NetBIOS) && !strings.EqualFold(parts[1], d.dom.DNSName) {
			return nil, store.ErrNotFound
		}
		return d.findSAM(tx, "krbtgt")
	}
	if len(parts) == 1 {
		n := parts[0]
		if user, dom, ok := strings.Cut(n, "@"); ok && (name.NameType == msg.NameTypeEnterprise || strings.Contains(dom, ".")) {
			if dns, err := tx.Lookup("userPrincipalName", []byte(n)); err == nil && len(dns) > 0 {
				return tx.Get(dns[0])
			}
			if !strings.EqualFold(dom, d.dom.DNSName) {
				return nil, store.ErrNotFound
			}
			n = user
		}
		return d.findSAM(tx, n)
	}
	spn := strings.Join(parts, "/")
	if dns, err := tx.Lookup("servicePrincipalName", []byte(spn)); err == nil && len(dns) > 0 {
		return tx.Get(dns[0])
	}
	if len(parts) == 2 && strings.EqualFold(parts[0], "host") {
		host, _, _ := strings.Cut(parts[1], ".")
		if e, err := d.findSAM(tx, host+"$"); err == nil {
			return e, nil
		}
	}
	return nil, store.ErrNotFound
}

// Encryption type bits of msDS-SupportedEncryptionTypes.
const (
	etRC4    = 0x4
	etAES128 = 0x8
	etAES256 = 0x10
)

func (b *kdcBackend) principal(e *store.Entry) (*kdc.Principal, error) {
	d := b.d
	var id *Identity
	err := d.db.View(func(tx *store.Tx) error {
		var err error
		id, err = d.identityOf(tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	sam := e.String("sAMAccountName")
	p := &kdc.Principal{
		SAMAccountName: sam, Realm: d.dom.Realm(), UserSID: entrySID(e),
		UPN: e.String("userPrincipalName"), DNSDomain: d.dom.DNSName, NetBIOSDomain: d.dom.NetBIOS,
		FullName:  e.String("displayName"),
		Disabled:  uac(e)&uacAccountDisable != 0 && !strings.EqualFold(sam, "krbtgt"),
		IsService: isMachine(e) || len(e.Get("servicePrincipalName")) > 0 || strings.EqualFold(sam, "krbtgt"),
	}
	if rid, err := strconv.ParseUint(e.String("primaryGroupID"), 10, 32); err == nil {
		p.PrimaryGroupRID = uint32(rid)
	}
	// accountExpires: 0 and 0x7FFFFFFFFFFFFFFF mean never ([MS-ADA1]).
	if v, err := strconv.ParseUint(e.String("accountExpires"), 10, 64); err == nil && v != 0 && v != 1<<63-1 {
		p.AccountExpires = adtypes.FileTime(v).Time()
	}
	// lockoutTime other than 0: locked out (the lab has no lockout policy,
	// but an administrator may set it).
	if v, err := strconv.ParseUint(e.String("lockoutTime"), 10, 64); err == nil && v != 0 {
		p.LockedOut = true
	}
	for _, g := range id.Groups {
		if g.Equal(sidEveryone) || g.Equal(sidAuthenticated) {
			continue
		}
		p.GroupSIDs = append(p.GroupSIDs, g)
	}
	et := int64(etAES128 | etAES256)
	if s := e.String("msDS-SupportedEncryptionTypes"); s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v&(etRC4|etAES128|etAES256) != 0 {
			et = v
		}
	}
	if et&etAES256 != 0 {
		p.Enctypes = append(p.Enctypes, crypto.AES256CTSHMACSHA196)
	}
	if et&etAES128 != 0 {
		p.Enctypes = append(p.Enctypes, crypto.AES128CTSHMACSHA196)
	}
	if et&etRC4 != 0 {
		p.Enctypes = append(p.Enctypes, crypto.RC4HMAC)
	}
	if isGMSAEntry(e) {
		p.Salt = d.gmsaSalt(e)
		keys, err := b.gmsaKeys(e)
		if err != nil {
			return nil, err
		}
		p.Keys = keys
		return p, nil
	}
	k, err := storedKeys(e)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%w: %s has no password", kdc.ErrUnknown, sam)
	}
	p.Salt = k.Salt
	p.Keys, err = kdcKeys(k.Kvno, k.AES256, k.AES128, k.NT)
	return p, err
}

func kdcKeys(kvno uint32, aes256, aes128, nt []byte) ([]kdc.Key, error) {
	var out []kdc.Key
	for _, k := range []struct {
		e crypto.EncType
		b []byte
	}{{crypto.AES256CTSHMACSHA196, aes256}, {crypto.AES128CTSHMACSHA196, aes128}, {crypto.RC4HMAC, nt}} {
		if k.b == nil {
			continue
		}
		key, err := crypto.NewKey(k.e, k.b)
		if err != nil {
			return nil, err
		}
		if k.e == crypto.RC4HMAC {
			key = crypto.AllowRC4(key)
		}
		out = append(out, kdc.Key{Kvno: kvno, Key: key})
	}
	return out, nil
}

// gmsaKeys derives (or takes from the cache) the keys of the gMSA's current
// password at msDS-KeyVersionNumber and of its previous password, if any,
// at the kvno before.
func (b *kdcBackend) gmsaKeys(e *store.Entry) ([]kdc.Key, error) {
	d := b.d
	var blob *managedpassword.Blob
	var sch *managedpassword.Schedule
	err := d.db.View(func(tx *store.Tx) error {
		var err error
		blob, sch, err = d.ManagedPassword(tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	kvno := uint32(1)
	if v, err := strconv.ParseUint(e.String("msDS-KeyVersionNumber"), 10, 32); err == nil && v > 0 {
		kvno = uint32(v)
	}
	cacheKey := e.DN + "|" + strconv.FormatUint(uint64(kvno), 10) + "|" + sch.Current.RootKey.ID.String() + sch.Current.GKID.String()
	if sch.Previous != nil {
		cacheKey += "|" + sch.Previous.RootKey.ID.String() + sch.Previous.GKID.String()
	}
	b.mu.Lock()
	if k, ok := b.cache[cacheKey]; ok {
		b.mu.Unlock()
		return k, nil
	}
	b.mu.Unlock()
	sam := e.String("sAMAccountName")
	derive := func(p *managedpassword.Password, kvno uint32) ([]kdc.Key, error) {
		k, err := managedpassword.KeysFor(p, d.dom.Realm(), sam, d.dom.DNSName)
		if err != nil {
			return nil, err
		}
		return kdcKeys(kvno, k.AES256.Bytes(), k.AES128.Bytes(), k.RC4.Bytes())
	}
	// Tickets are issued with the password in force. In the last five
	// minutes of a period the blob's current password is already the next
	// one (its previous is in force): accept both, issue with the one in
	// force.
	inForce, inForceKvno, other, otherKvno := &blob.Current, kvno, blob.Previous, kvno-1
	if sch.LookAhead && blob.Previous != nil {
		inForce, other, otherKvno = blob.Previous, &blob.Current, kvno+1
	}
	keys, err := derive(inForce, inForceKvno)
	if err != nil {
		return nil, err
	}
	if other != nil && otherKvno > 0 {
		more, err := derive(other, otherKvno)
		if err != nil {
			return nil, err
		}
		keys = append(keys, more...)
	}
	b.mu.Lock()
	if len(b.cache) > 4096 {
		clear(b.cache)
	}
	b.cache[cacheKey] = keys
	b.mu.Unlock()
	return keys, nil
}
