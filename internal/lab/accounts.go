package lab

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/lab/store"
)

// AccountKeys are the long-term keys the lab stores for a user or computer
// password (AD's unicodePwd and supplementalCredentials): the NT hash and
// the AES keys with the account's salt. The clear password is never stored.
type AccountKeys struct {
	Kvno   uint32 `json:"kvno"`
	Salt   string `json:"salt"`
	NT     []byte `json:"nt"`
	AES256 []byte `json:"aes256"`
	AES128 []byte `json:"aes128"`
}

// accountSalt is AD's Kerberos salt: machines REALM + "host" + lower(name
// without $) + "." + domain; users REALM + sAMAccountName as stored.
func accountSalt(d *Domain, sam string, machine bool) string {
	if machine {
		return d.Realm() + "host" + strings.ToLower(strings.TrimSuffix(sam, "$")) + "." + d.DNSName
	}
	return d.Realm() + sam
}

// deriveAccountKeys computes the stored keys of a password.
func deriveAccountKeys(password, salt string, kvno uint32) (*AccountKeys, error) {
	nt, err := crypto.StringToKey(crypto.RC4HMAC, password, "", nil)
	if err != nil {
		return nil, err
	}
	a256, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, password, salt, nil)
	if err != nil {
		return nil, err
	}
	a128, err := crypto.StringToKey(crypto.AES128CTSHMACSHA196, password, salt, nil)
	if err != nil {
		return nil, err
	}
	return &AccountKeys{Kvno: kvno, Salt: salt, NT: nt.Bytes(), AES256: a256.Bytes(), AES128: a128.Bytes()}, nil
}

// isMachine reports whether an entry is a computer (or gMSA) account.
func isMachine(e *store.Entry) bool { return hasClass(e.Get("objectClass"), "computer") }

// setAccountPassword stores the keys of password on e and bumps
// msDS-KeyVersionNumber and pwdLastSet.
func setAccountPassword(e *store.Entry, d *Domain, sam string, machine bool, password string, now time.Time) error {
	if password == "" {
		return errors.New("empty password")
	}
	kvno := uint32(1)
	if v, err := strconv.ParseUint(e.String("msDS-KeyVersionNumber"), 10, 32); err == nil {
		kvno = uint32(v) + 1
	}
	k, err := deriveAccountKeys(password, accountSalt(d, sam, machine), kvno)
	if err != nil {
		return err
	}
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	e.Set(attrKeys, b)
	e.Set("msDS-KeyVersionNumber", []byte(strconv.FormatUint(uint64(kvno), 10)))
	ft, _ := adtypes.FileTimeOf(now)
	e.Set("pwdLastSet", []byte(ft.String()))
	return nil
}

// storedKeys returns an account's stored password keys, nil when it has no
// password.
func storedKeys(e *store.Entry) (*AccountKeys, error) {
	b := e.First(attrKeys)
	if b == nil {
		return nil, nil
	}
	var k AccountKeys
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("stored keys of %s are corrupt: %w", e.DN, err)
	}
	return &k, nil
}

// checkPassword compares password with the stored NT hash in constant
// time.
func checkPassword(e *store.Entry, password string) bool {
	k, err := storedKeys(e)
	if err != nil || k == nil || password == "" {
		return false
	}
	nt, err := crypto.StringToKey(crypto.RC4HMAC, password, "", nil)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(nt.Bytes(), k.NT) == 1
}

// decodeUnicodePwd decodes a unicodePwd value: the password in double
// quotes, UTF-16LE ([MS-ADTS] 3.1.1.3.1.5.1).
func decodeUnicodePwd(v []byte) (string, error) {
	if len(v)%2 != 0 || len(v) < 4 {
		return "", errors.New("unicodePwd must be a quoted UTF-16LE string")
	}
	u := make([]uint16, len(v)/2)
	for i := range u {
		u[i] = uint16(v[2*i]) | uint16(v[2*i+1])<<8
	}
	if u[0] != '"' || u[len(u)-1] != '"' {
		return "", errors.New("unicodePwd must be enclosed in double quotes")
	}
	return string(utf16.Decode(u[1 : len(u)-1])), nil
}

// uac returns userAccountControl (0 when absent).
func uac(e *store.Entry) int64 {
	v, _ := strconv.ParseInt(e.String("userAccountControl"), 10, 64)
	return v
}

// entrySID decodes objectSid; zero when absent or malformed.
func entrySID(e *store.Entry) adtypes.SID {
	b := e.First("objectSid")
	if b == nil {
		return adtypes.SID{}
	}
	s, err := adtypes.SIDFromBytes(b)
	if err != nil {
		return adtypes.SID{}
	}
	return s
}

// Identity is who a connection is bound as, with its token computed at
// bind time as a DC does.
type Identity struct {
	DN     string
	SAM    string
	SID    adtypes.SID
	Groups []adtypes.SID // every group SID, nested groups included, plus well-known ones
	Admin  bool          // member of Domain Admins or BUILTIN\Administrators
}

var (
	sidEveryone       = adtypes.SID{Authority: 1, SubAuthorities: []uint32{0}}
	sidAuthenticated  = adtypes.SID{Authority: 5, SubAuthorities: []uint32{11}}
	sidAdministrators = adtypes.SID{Authority: 5, SubAuthorities: []uint32{32, 544}}
)

// Has reports whether the token holds sid.
func (id *Identity) Has(sid adtypes.SID) bool {
	if id == nil {
		return false
	}
	if id.SID.Equal(sid) {
		return true
	}
	for _, g := range id.Groups {
		if g.Equal(sid) {
			return true
		}
	}
	return false
}

// identityOf computes the token of the account at e: its SID, its primary
// group, every group that has it as a member (transitively), Everyone and
// Authenticated Users.
func (d *Directory) identityOf(tx *store.Tx, e *store.Entry) (*Identity, error) {
	id := &Identity{DN: e.DN, SAM: e.String("sAMAccountName"), SID: entrySID(e)}
	seen := map[string]bool{}
	add := func(s adtypes.SID) {
		if s.IsZero() || seen[s.String()] {
			return
		}
		seen[s.String()] = true
		id.Groups = append(id.Groups, s)
	}
	if rid, err := strconv.ParseUint(e.String("primaryGroupID"), 10, 32); err == nil && rid != 0 {
		add(d.dom.SID.WithRID(uint32(rid)))
	}
	groups, err := d.groupsOf(tx, e.DN)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		add(entrySID(g))
	}
	add(sidEveryone)
	add(sidAuthenticated)
	id.Admin = id.Has(d.dom.SID.WithRID(ridDomainAdmins)) || id.Has(sidAdministrators)
	return id, nil
}

// groupsOf returns every group dn is a member of, directly or through other
// groups (the member index), each once.
func (d *Directory) groupsOf(tx *store.Tx, dn string) ([]*store.Entry, error) {
	var out []*store.Entry
	seen := map[string]bool{}
	queue := []string{dn}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		parents, err := tx.Lookup("member", []byte(cur))
		if err != nil {
			return nil, err
		}
		for _, p := range parents {
			n, err := store.NormalizeDN(p)
			if err != nil || seen[n] {
				continue
			}
			seen[n] = true
			g, err := tx.Get(p)
			if err != nil {
				continue
			}
			out = append(out, g)
			queue = append(queue, g.DN)
		}
	}
	return out, nil
}

// findBindEntry resolves a simple-bind name as AD does: a DN, a UPN
// (name@domain), DOMAIN\name, or a bare sAMAccountName.
func (d *Directory) findBindEntry(tx *store.Tx, name string) (*store.Entry, error) {
	if strings.Contains(name, "=") {
		return tx.Get(name)
	}
	if user, dom, ok := strings.Cut(name, "@"); ok {
		if dns, err := tx.Lookup("userPrincipalName", []byte(name)); err == nil && len(dns) == 1 {
			return tx.Get(dns[0])
		}
		if !strings.EqualFold(dom, d.dom.DNSName) && !strings.EqualFold(dom, d.dom.NetBIOS) {
			return nil, store.ErrNotFound
		}
		name = user
	}
	if dom, user, ok := strings.Cut(name, `\`); ok {
		if !strings.EqualFold(dom, d.dom.NetBIOS) && !strings.EqualFold(dom, d.dom.DNSName) {
			return nil, store.ErrNotFound
		}
		name = user
	}
	return d.findSAM(tx, name)
}

// findSAM finds an account by sAMAccountName; a name without "$" also finds
// "name$" when there is no exact match.
func (d *Directory) findSAM(tx *store.Tx, name string) (*store.Entry, error) {
	for _, n := range []string{name, name + "$"} {
		dns, err := tx.Lookup("sAMAccountName", []byte(n))
		if err != nil {
			return nil, err
		}
		if len(dns) > 0 {
			return tx.Get(dns[0])
		}
		if strings.HasSuffix(name, "$") {
			break
		}
	}
	return nil, store.ErrNotFound
}

// allocateRID hands out the next relative ID.
func allocateRID(tx *store.Tx) (uint32, error) {
	n, err := strconv.ParseUint(string(tx.Meta(metaNextRID)), 10, 32)
	if err != nil || n < firstUserRID {
		n = firstUserRID
	}
	if err := tx.SetMeta(metaNextRID, []byte(strconv.FormatUint(n+1, 10))); err != nil {
		return 0, err
	}
	return uint32(n), nil
}

// accessAllowed evaluates a security descriptor's DACL for right against a
// token, in ACE order as [MS-DTYP] 2.5.3.2 does: the first deny or allow ACE
// naming one of the token's SIDs decides; no match denies; no DACL allows.
func accessAllowed(sd *adtypes.SecurityDescriptor, id *Identity, right uint32) bool {
	if sd.DACL == nil {
		return true
	}
	for _, ace := range sd.DACL.ACEs {
		if ace.Mask&right == 0 || !id.Has(ace.SID) {
			continue
		}
		switch ace.Type {
		case adtypes.ACETypeAccessDenied:
			return false
		case adtypes.ACETypeAccessAllowed:
			return true
		}
	}
	return false
}
