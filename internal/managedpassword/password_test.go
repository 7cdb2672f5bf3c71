package managedpassword

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
)

func TestPasswordVector(t *testing.T) {
	t.Parallel()
	v, root, sid, g := loadPasswordVector(t)
	p, err := Derive(root, sid, g)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(p.Bytes()); got != v.Expected || len(p.Bytes()) != v.ExpectedLen {
		t.Fatalf("password = %s\nwant       %s", got, v.Expected)
	}
	d := NewDeriver(16)
	for range 2 {
		q, err := d.Password(root, sid, g)
		if err != nil || !q.Equal(&p) {
			t.Fatalf("Deriver.Password differs (%v)", err)
		}
	}
	if s := d.Stats(); s.L2Hits != 1 {
		t.Fatalf("second derivation did not hit the L2 cache: %+v", s)
	}
}

func TestPasswordVectorAsADCAtItsTime(t *testing.T) {
	t.Parallel()
	v, root, sid, g := loadPasswordVector(t)
	d := NewDeriver(4)
	p, err := d.PasswordAt(adtypes.FileTime(v.Now), KeyRef{RootKey: root, GKID: g}, sid)
	if err != nil || hex.EncodeToString(p.Bytes()) != v.Expected {
		t.Fatalf("at the vector's time: %v", err)
	}
	// A GKID beyond now + 5 minutes is refused, as is a root key not yet in use.
	future, _ := gkdi.GKIDAt(adtypes.FileTime(v.Now + gkdi.MaxClockSkew)).Add(1)
	if _, err := d.PasswordAt(adtypes.FileTime(v.Now), KeyRef{RootKey: root, GKID: future}, sid); !errors.Is(err, ErrInvalid) {
		t.Fatalf("future GKID: %v", err)
	}
	late := *root
	late.UseStart = adtypes.FileTime(v.Now + 1)
	if _, err := d.PasswordAt(adtypes.FileTime(v.Now), KeyRef{RootKey: &late, GKID: g}, sid); err == nil || !strings.Contains(err.Error(), "use-start") {
		t.Fatalf("root key before its use-start: %v", err)
	}
}

// TestKerberosKeysOfTheVector checks the NT hash, the salt, the munged UTF-8
// and the AES keys computed from the Samba password vector (regression
// values from an independent implementation; see the file's warning).
func TestKerberosKeysOfTheVector(t *testing.T) {
	t.Parallel()
	var v struct {
		SIDBinary string `json:"account_sid_binary_hex"`
		NTHash    string `json:"nt_hash_hex"`
		Account   struct {
			Name   string `json:"sAMAccountName"`
			Domain string `json:"dns_domain"`
			Realm  string `json:"realm"`
		} `json:"illustrative_account"`
		Salt       string `json:"salt"`
		UTF8       string `json:"password_utf8_hex"`
		AES256     string `json:"aes256_cts_hmac_sha1_96_hex"`
		AES128     string `json:"aes128_cts_hmac_sha1_96_hex"`
		Iterations int    `json:"iterations"`
	}
	loadJSON(t, "gmsa-derived-kerberos-keys.json", &v)
	_, root, sid, g := loadPasswordVector(t)
	if hex.EncodeToString(sid.Bytes()) != v.SIDBinary {
		t.Fatal("the two vector files disagree on the SID")
	}
	p, err := Derive(root, sid, g)
	if err != nil {
		t.Fatal(err)
	}
	nt := p.NTHash()
	if hex.EncodeToString(nt[:]) != v.NTHash {
		t.Errorf("NT hash = %x, want %s", nt, v.NTHash)
	}
	if got := hex.EncodeToString(p.UTF8()); got != v.UTF8 {
		t.Errorf("UTF-8 = %s\nwant    %s", got, v.UTF8)
	}
	if v.Iterations != 4096 {
		t.Fatalf("vector uses %d iterations; KeysFor uses the RFC 3962 default 4096", v.Iterations)
	}
	k, err := KeysFor(&p, v.Account.Realm, v.Account.Name, v.Account.Domain)
	if err != nil {
		t.Fatal(err)
	}
	if k.Salt != v.Salt {
		t.Errorf("salt = %q, want %q", k.Salt, v.Salt)
	}
	if got := hex.EncodeToString(k.AES256.Bytes()); got != v.AES256 {
		t.Errorf("AES256 = %s, want %s", got, v.AES256)
	}
	if got := hex.EncodeToString(k.AES128.Bytes()); got != v.AES128 {
		t.Errorf("AES128 = %s, want %s", got, v.AES128)
	}
	if got := hex.EncodeToString(k.RC4.Bytes()); got != v.NTHash {
		t.Errorf("RC4 key = %s, want the NT hash", got)
	}
}

func TestMungedUTF8Vector(t *testing.T) {
	t.Parallel()
	var v struct {
		Vectors []struct {
			In   string `json:"input_utf16le_hex"`
			Want string `json:"expected_utf8_hex"`
		} `json:"vectors"`
	}
	loadJSON(t, "utf16-munged-to-utf8.json", &v)
	if len(v.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, c := range v.Vectors {
		if got := hex.EncodeToString(MungedUTF8(unhex(t, c.In))); got != c.Want {
			t.Errorf("MungedUTF8(%s) = %s, want %s", c.In, got, c.Want)
		}
	}
}

func TestMungedUTF8Rules(t *testing.T) {
	t.Parallel()
	u := func(units ...uint16) []byte {
		var b []byte
		for _, x := range units {
			b = binary.LittleEndian.AppendUint16(b, x)
		}
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"a valid pair decodes to one code point", u(0xd83d, 0xde00), "😀"},
		{"a high surrogate at the end is replaced", u('a', 0xd800), "a\uFFFD"},
		{"a high surrogate before a non-surrogate is replaced and the next unit kept", u(0xd800, 'b'), "\uFFFDb"},
		{"two high surrogates then a low make one replacement and one pair", u(0xd800, 0xd83d, 0xde00), "\uFFFD😀"},
		{"a lone low surrogate is replaced", u(0xdc00, 'c'), "\uFFFDc"},
		{"a NUL unit becomes U+0001", u('x', 0, 'y'), "x\x01y"},
		{"an odd trailing byte is ignored", append(u('z'), 0x41), "z"},
	}
	for _, c := range cases {
		if got := string(MungedUTF8(c.in)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestPostProcessingReplacesNULUnits searches for accounts whose raw KDF
// output holds a 0x0000 unit (about 1 in 500) and checks that the password
// has 0x0001 there and is otherwise the raw output.
func TestPostProcessingReplacesNULUnits(t *testing.T) {
	t.Parallel()
	_, root, sid, g := loadPasswordVector(t)
	l2, err := gkdi.SeedKey(root, g, gkdi.GMSASecurityDescriptor)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for rid := uint32(1000); rid < 6000 && found < 3; rid++ {
		acct := adtypes.SID{Authority: sid.Authority, SubAuthorities: append(append([]uint32(nil), sid.SubAuthorities[:4]...), rid)}
		raw := gkdi.KDF(root.Hash, l2, labelGMSAPassword, acct.Bytes(), Len)
		nulAt := -1
		for i := 0; i < Len; i += 2 {
			if raw[i] == 0 && raw[i+1] == 0 {
				nulAt = i
			}
		}
		if nulAt < 0 {
			continue
		}
		found++
		p, err := Derive(root, acct, g)
		if err != nil {
			t.Fatal(err)
		}
		got := p.Bytes()
		if got[nulAt] != 1 || got[nulAt+1] != 0 {
			t.Fatalf("RID %d: unit at %d is %02x%02x, want 0100", rid, nulAt, got[nulAt], got[nulAt+1])
		}
		raw[nulAt] = 1
		for i := 0; i < Len; i += 2 {
			if raw[i] == 0 && raw[i+1] == 0 {
				raw[i] = 1
			}
		}
		if !bytes.Equal(got, raw) {
			t.Fatalf("RID %d: password differs from the post-processed KDF output beyond the NUL units", rid)
		}
	}
	if found == 0 {
		t.Fatal("no account with a NUL unit in 5000 tries; the search range needs widening")
	}
}

func TestDeriveRefusesNonL2GKIDs(t *testing.T) {
	t.Parallel()
	_, root, sid, _ := loadPasswordVector(t)
	for _, g := range []gkdi.GKID{{L0: 362, L1: 0, L2: -1}, {L0: 362, L1: -1, L2: -1}, {L0: 362, L1: 0, L2: 32}} {
		if _, err := Derive(root, sid, g); err == nil || !strings.Contains(err.Error(), g.String()) {
			t.Errorf("%v: err %v should name the GKID", g, err)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	_, root, sid, g := loadPasswordVector(t)
	p, _ := Derive(root, sid, g)
	blob := &Blob{Current: p, Previous: &p, QueryInterval: 1, UnchangedInterval: 1}
	keys, err := KeysFor(&p, "", "gmsa1$", "example.com")
	if err != nil {
		t.Fatal(err)
	}
	type holder struct{ p Password } // reflection path: unexported field
	secrets := []string{hex.EncodeToString(p.Bytes()[:12]), hex.EncodeToString(keys.AES256.Bytes()[:12]), fmt.Sprint(p.Bytes()[:6])}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "p", p, "blob", blob, "keys", keys)
	outputs := []string{
		fmt.Sprintf("%v %+v %#v %x %s %q", p, p, p, p, p, p),
		fmt.Sprintf("%v %+v %#v %x", blob, *blob, blob, *blob),
		fmt.Sprintf("%v %+v %#v %x", keys, *keys, keys, *keys),
		fmt.Sprintf("%v %+v %#v", holder{p}, holder{p}, holder{p}),
		logged.String(),
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("secret %s leaked in %q", s, out)
			}
		}
	}
}

func TestSalt(t *testing.T) {
	t.Parallel()
	cases := []struct{ realm, account, domain, want string }{
		{"CONTOSO.COM", "WebApp01$", "contoso.com", "CONTOSO.COMhostwebapp01.contoso.com"},
		{"", "WebApp01$", "Contoso.COM", "CONTOSO.COMhostwebapp01.contoso.com"},
		{"contoso.com", "gmsa1", "contoso.com", "CONTOSO.COMhostgmsa1.contoso.com"},
	}
	for _, c := range cases {
		if got, err := Salt(c.realm, c.account, c.domain); err != nil || got != c.want {
			t.Errorf("Salt(%q, %q, %q) = %q, %v; want %q", c.realm, c.account, c.domain, got, err, c.want)
		}
	}
	for _, bad := range [][2]string{{"$", "contoso.com"}, {"a/b$", "contoso.com"}, {"web$", ""}} {
		if _, err := Salt("", bad[0], bad[1]); err == nil {
			t.Errorf("Salt(%q, %q): want an error", bad[0], bad[1])
		}
	}
}
