package directory_test

// Tier 3: the directory client against a Samba 4.22 AD DC with its default
// strict LDAP settings (simple binds only over TLS, msDS-ManagedPassword only
// over a confidential connection). One DC serves the whole package; the
// answers are compared with what OpenLDAP's ldapsearch and samba-tool say,
// and the managed password with what our own derivation computes from the
// root keys this package reads.
//
// The confidentiality refusal for msDS-ManagedPassword on plain ldap:// can
// only be reached with a bind that works without TLS, i.e. Kerberos with a
// sign-only SASL layer; it is exercised once GSSAPI binds exist. Without a
// bind, Samba refuses the read as unauthenticated (ErrNotAllowed, "bind
// first").

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

var (
	dc    *testpeer.Samba
	dcErr error
)

func TestMain(m *testing.M) {
	dc, dcErr = testpeer.LaunchSamba(testpeer.SambaOptions{Addr: testpeer.Loopback("internal/directory")})
	code := m.Run()
	if dc != nil {
		if err := dc.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping samba:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const (
	node1Password = "Node1-Pw-Xy7!abc"
	bobPassword   = "Bob-Pw-Qz8!xyz"
)

var fixtureOnce sync.Once

// samba returns the package's DC with its accounts: the computer node1$,
// the gMSA WebApp01$ that node1$ may read, and the user bob who may not.
func samba(t *testing.T) *testpeer.Samba {
	t.Helper()
	testpeer.Check(t, dcErr)
	fixtureOnce.Do(func() {
		start := time.Now()
		dc.CreateComputer(t, "node1", node1Password)
		dc.CreateGMSA(t, "WebApp01", "webapp01."+dc.Domain, 30, "node1$")
		dc.Tool(t, "user", "create", "bob", "--random-password")
		dc.LDAPModify(t, fmt.Sprintf("dn: CN=bob,CN=Users,%s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n",
			dc.BaseDN, unicodePwd(bobPassword)))
		t.Logf("accounts made in %v", time.Since(start).Round(time.Millisecond))
	})
	return dc
}

func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// bind describes one way to connect.
type bind struct {
	url      string // "ldaps" or "ldap"
	startTLS bool
	user     string // "" for Administrator, "-" for no bind
	password string
}

func connect(t *testing.T, s *testpeer.Samba, b bind) *directory.Conn {
	t.Helper()
	c, err := dial(t, s, b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dial(t *testing.T, s *testpeer.Samba, b bind) (*directory.Conn, error) {
	t.Helper()
	if b.url == "" {
		b.url = "ldaps"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := directory.Dial(ctx, directory.Options{Server: b.url + "://" + s.Addr, StartTLS: b.startTLS,
		CAFile: s.CAFile, ServerName: "dc1." + s.Domain})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	switch b.user {
	case "-":
		return c, nil
	case "":
		b.user, b.password = "Administrator@"+s.Domain, s.AdminPassword
	}
	return c, c.BindSimple(ctx, b.user, b.password)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestBindAgainstSamba(t *testing.T) {
	s := samba(t)
	tests := []struct {
		name     string
		bind     bind
		wantErr  error
		wantCode uint16
	}{
		{name: "Administrator binds over ldaps", bind: bind{url: "ldaps"}},
		{name: "Administrator binds over StartTLS", bind: bind{url: "ldap", startTLS: true}},
		{name: "a computer account binds with its password over ldaps", bind: bind{user: "node1$@" + s.Domain, password: node1Password}},
		{name: "a simple bind over plain ldap is refused by us before sending", bind: bind{url: "ldap"}, wantErr: directory.ErrInsecureBind},
		{name: "a wrong password is the DC's invalidCredentials", bind: bind{user: "Administrator@" + s.Domain, password: "wrong"},
			wantCode: ldap.LDAPResultInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dial(t, s, tt.bind)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
			case tt.wantCode != 0:
				var le *ldap.Error
				if !errors.As(err, &le) || le.ResultCode != tt.wantCode {
					t.Fatalf("got %v, want LDAP result %d", err, tt.wantCode)
				}
				if strings.Contains(err.Error(), s.AdminPassword) {
					t.Fatal("the error carries a password")
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !c.Confidential() {
					t.Error("a TLS connection says it is not confidential")
				}
				if _, err := c.RootDSE(ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func first(t *testing.T, e map[string][][]byte, name string) []byte {
	t.Helper()
	for k, v := range e {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	t.Fatalf("ldapsearch returned no %s", name)
	return nil
}

func one(t *testing.T, entries []map[string][][]byte) map[string][][]byte {
	t.Helper()
	if len(entries) != 1 {
		t.Fatalf("ldapsearch: want one entry, got %d", len(entries))
	}
	return entries[0]
}

func TestDomainInfoEqualsLDAPSearch(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	start := time.Now()
	got, err := c.DomainInfo(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DomainInfo in %v: %+v", time.Since(start).Round(time.Microsecond), got)

	dse := one(t, s.LDAPSearch(t, "", "base", "", "defaultNamingContext", "configurationNamingContext", "rootDomainNamingContext", "dnsHostName"))
	head := one(t, s.LDAPSearch(t, string(first(t, dse, "defaultNamingContext")), "base", "", "objectSid", "objectGUID"))
	partitions := "CN=Partitions," + string(first(t, dse, "configurationNamingContext"))
	domainRef := one(t, s.LDAPSearch(t, partitions, "one", "(nCName="+string(first(t, dse, "defaultNamingContext"))+")", "dnsRoot", "nETBIOSName"))
	forestRef := one(t, s.LDAPSearch(t, partitions, "one", "(nCName="+string(first(t, dse, "rootDomainNamingContext"))+")", "dnsRoot"))
	sid, err := adtypes.SIDFromBytes(first(t, head, "objectSid"))
	if err != nil {
		t.Fatal(err)
	}
	guid, err := adtypes.GUIDFromBytes(first(t, head, "objectGUID"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ field, got, want string }{
		{"DN", got.DN, string(first(t, dse, "defaultNamingContext"))},
		{"DNSName", got.DNSName, string(first(t, domainRef, "dnsRoot"))},
		{"NetBIOSName", got.NetBIOSName, string(first(t, domainRef, "nETBIOSName"))},
		{"SID", got.SID.String(), sid.String()},
		{"GUID", got.GUID.String(), guid.String()},
		{"ForestDNSName", got.ForestDNSName, string(first(t, forestRef, "dnsRoot"))},
		{"DNSName is the test domain", got.DNSName, s.Domain},
		{"NetBIOSName is the test domain's", got.NetBIOSName, s.NetBIOS},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, ldapsearch says %q", f.field, f.got, f.want)
		}
	}
	rd, err := c.RootDSE(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if rd.DomainFunctionality != 7 || !strings.EqualFold(rd.DNSHostName, string(first(t, dse, "dnsHostName"))) ||
		time.Since(rd.CurrentTime).Abs() > time.Minute || !slices.Contains(rd.SupportedSASLMechanisms, "GSSAPI") {
		t.Errorf("rootDSE %+v: want functionality 7, dnsHostName %s, currentTime now, GSSAPI", rd, first(t, dse, "dnsHostName"))
	}
}

func TestFindAccountAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	tests := []struct {
		name, query, wantSAM, wantClass string
		wantDNS                         string
		wantErr                         error
	}{
		{name: "the DC is found by DC1$", query: "DC1$", wantSAM: "DC1$", wantClass: "computer", wantDNS: "dc1." + s.Domain},
		{name: "a computer is found by its name without $ in another case", query: "NODE1", wantSAM: "node1$", wantClass: "computer"},
		{name: "a gMSA is found by its lower-case name", query: "webapp01", wantSAM: "WebApp01$", wantClass: "msDS-GroupManagedServiceAccount", wantDNS: "webapp01." + s.Domain},
		{name: "a gMSA is found by its name as stored", query: "WebApp01$", wantSAM: "WebApp01$", wantClass: "msDS-GroupManagedServiceAccount"},
		{name: "a user is found by its name", query: "bob", wantSAM: "bob", wantClass: "user"},
		{name: "a missing account is ErrNotFound", query: "nosuch01", wantErr: directory.ErrNotFound},
		{name: "filter syntax in a name is only a name", query: "*)(cn=*", wantErr: directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			a, err := c.FindAccount(ctx(t), tt.query)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), strconv.Quote(tt.query)) {
					t.Fatalf("got %v, want %v naming %q", err, tt.wantErr, tt.query)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("found in %v", time.Since(start).Round(time.Microsecond))
			if a.SAMAccountName != tt.wantSAM || !slices.Contains(a.ObjectClass, tt.wantClass) {
				t.Fatalf("got %s %v, want %s of class %s", a.SAMAccountName, a.ObjectClass, tt.wantSAM, tt.wantClass)
			}
			if tt.wantDNS != "" && !strings.EqualFold(a.DNSHostName, tt.wantDNS) {
				t.Errorf("dNSHostName %q, want %q", a.DNSHostName, tt.wantDNS)
			}
			// Field by field against ldapsearch.
			e := one(t, s.LDAPSearch(t, a.DN, "base", "", "objectSid", "objectGUID", "userAccountControl", "whenCreated",
				"msDS-KeyVersionNumber", "msDS-SupportedEncryptionTypes", "servicePrincipalName"))
			sid, _ := adtypes.SIDFromBytes(first(t, e, "objectSid"))
			guid, _ := adtypes.GUIDFromBytes(first(t, e, "objectGUID"))
			created, _ := time.Parse("20060102150405.0Z", string(first(t, e, "whenCreated")))
			if !a.SID.Equal(sid) || a.GUID != guid || strconv.FormatUint(uint64(a.UserAccountControl), 10) != string(first(t, e, "userAccountControl")) ||
				!a.WhenCreated.Equal(created) {
				t.Errorf("got SID %s GUID %s UAC %d created %v; ldapsearch: %s %s %s %v", a.SID, a.GUID, a.UserAccountControl, a.WhenCreated,
					sid, guid, first(t, e, "userAccountControl"), created)
			}
			if v, ok := e["msDS-KeyVersionNumber"]; ok && strconv.FormatUint(uint64(a.KeyVersionNumber), 10) != string(v[0]) {
				t.Errorf("kvno %d, ldapsearch %s", a.KeyVersionNumber, v[0])
			}
			if v, ok := e["msDS-SupportedEncryptionTypes"]; ok && strconv.FormatUint(uint64(a.SupportedEncryptionTypes), 10) != string(v[0]) {
				t.Errorf("enctypes %d, ldapsearch %s", a.SupportedEncryptionTypes, v[0])
			}
			if len(a.SPNs) != len(e["servicePrincipalName"]) {
				t.Errorf("SPNs %v, ldapsearch %q", a.SPNs, e["servicePrincipalName"])
			}
			if a.IsGMSA() != (tt.wantClass == "msDS-GroupManagedServiceAccount") {
				t.Errorf("IsGMSA = %t", a.IsGMSA())
			}
		})
	}
}

func TestRootKeysAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	keys, err := c.RootKeys(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	base := "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,CN=Configuration," + s.BaseDN
	want := s.LDAPSearch(t, base, "one", "(objectClass=msKds-ProvRootKey)", "cn", "msKds-RootKeyData", "msKds-CreateTime", "msKds-UseStartTime", "msKds-Version")
	if len(keys) != len(want) || len(keys) == 0 {
		t.Fatalf("%d keys, ldapsearch lists %d", len(keys), len(want))
	}
	for _, w := range want {
		i := slices.IndexFunc(keys, func(k *gkdi.RootKey) bool { return k.ID.String() == string(first(t, w, "cn")) })
		if i < 0 {
			t.Fatalf("key %s missing", first(t, w, "cn"))
		}
		k := keys[i]
		if len(k.Data) != gkdi.RootKeyDataLen || string(k.Data) != string(first(t, w, "msKds-RootKeyData")) {
			t.Errorf("key %s: data differs from ldapsearch's (%d bytes)", k.ID, len(k.Data))
		}
		if k.Hash != gkdi.SHA512 && k.Hash != gkdi.DefaultHash {
			t.Errorf("key %s: hash %v", k.ID, k.Hash)
		}
		if strconv.FormatUint(uint64(k.Created), 10) != string(first(t, w, "msKds-CreateTime")) ||
			strconv.FormatUint(uint64(k.UseStart), 10) != string(first(t, w, "msKds-UseStartTime")) || k.Version != 1 {
			t.Errorf("key %s: times/version %d %d %d differ from ldapsearch's", k.ID, k.Created, k.UseStart, k.Version)
		}
		if err := k.Validate(); err != nil {
			t.Errorf("key %s: %v", k.ID, err)
		}
	}

	t.Run("a user who is not a Domain Admin gets a clear error", func(t *testing.T) {
		bob := connect(t, s, bind{user: "bob@" + s.Domain, password: bobPassword})
		_, err := bob.RootKeys(ctx(t))
		var de *directory.Error
		if !(errors.Is(err, directory.ErrNoRootKeyData) || errors.Is(err, directory.ErrNotFound)) || !errors.As(err, &de) || !strings.Contains(de.Hint, "Domain Admins") {
			t.Fatalf("got %v, want ErrNoRootKeyData or ErrNotFound with a hint naming Domain Admins", err)
		}
		t.Logf("as bob: %v (hint: %s)", err, de.Hint)
	})
}

func TestAddRootKeyAgainstSamba(t *testing.T) {
	s := samba(t)
	c := connect(t, s, bind{})
	now := time.Now().Truncate(time.Second)
	// 11 h ago: usable at once for new gMSAs (a DC wants 10 h 05 min).
	useStart := now.Add(-11 * time.Hour)
	start := time.Now()
	added, err := c.AddRootKey(ctx(t), directory.RootKeyOptions{UseStart: useStart, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("AddRootKey in %v: %s", time.Since(start).Round(time.Millisecond), added.DN)

	t.Run("samba-tool lists it with its use-start time", func(t *testing.T) {
		out := s.Tool(t, "domain", "kds", "root-key", "list", "-v")
		_, block, ok := strings.Cut(out, "name "+added.Key.ID.String()+"\n")
		if !ok {
			t.Fatalf("samba-tool does not list %s:\n%s", added.Key.ID, out)
		}
		block, _, _ = strings.Cut(block, "\nname ")
		for _, want := range []string{
			"usable from    " + useStart.UTC().Format("2006-01-02T15:04:05"),
			"created        " + now.UTC().Format("2006-01-02T15:04:05"),
			"msKds-PrivateKeyLength 512",
			"msKds-DomainID CN=DC1,OU=Domain Controllers," + s.BaseDN,
		} {
			if !strings.Contains(block, want) {
				t.Errorf("samba-tool's entry for the key lacks %q:\n%s", want, block)
			}
		}
	})

	t.Run("every attribute reads back as written", func(t *testing.T) {
		all, err := c.ProvRootKeys(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(all, func(p *directory.ProvRootKey) bool { return p.Key.ID == added.Key.ID })
		if i < 0 {
			t.Fatal("the new key is not read back")
		}
		got := all[i]
		dcComputer := one(t, s.LDAPSearch(t, s.BaseDN, "sub", "(sAMAccountName=DC1$)", "dn"))
		for _, f := range []struct{ field, got, want string }{
			{"DN", strings.ToLower(got.DN), strings.ToLower(added.DN)},
			{"DomainID", strings.ToLower(got.DomainID), strings.ToLower(string(first(t, dcComputer, "dn")))},
			{"KDFAlgorithm", got.KDFAlgorithm, "SP800_108_CTR_HMAC"},
			{"KDFParam", fmt.Sprintf("%x", got.KDFParam), fmt.Sprintf("%x", added.KDFParam)},
			{"SecretAgreementAlgorithm", got.SecretAgreementAlgorithm, "DH"},
			{"SecretAgreementParam", fmt.Sprintf("%x", got.SecretAgreementParam), fmt.Sprintf("%x", added.SecretAgreementParam)},
			{"PublicKeyLength", strconv.FormatInt(got.PublicKeyLength, 10), "2048"},
			{"PrivateKeyLength", strconv.FormatInt(got.PrivateKeyLength, 10), "512"},
			{"Version", strconv.Itoa(int(got.Key.Version)), "1"},
			{"Hash", got.Key.Hash.String(), "SHA512"},
			{"Data", fmt.Sprint(string(got.Key.Data) == string(added.Key.Data) && len(got.Key.Data) == 64), "true"},
			{"Created", got.Key.Created.Time().String(), now.UTC().String()},
			{"UseStart", got.Key.UseStart.Time().String(), useStart.UTC().String()},
		} {
			if f.got != f.want {
				t.Errorf("%s = %s, want %s", f.field, f.got, f.want)
			}
		}
	})

	t.Run("Samba derives a new gMSA's password from it as we do", func(t *testing.T) {
		s.CreateGMSA(t, "NewKey01", "newkey01."+s.Domain, 0, "node1$")
		node := connect(t, s, bind{user: "node1$@" + s.Domain, password: node1Password})
		res, err := node.ManagedPassword(ctx(t), "newkey01")
		if err != nil {
			t.Fatal(err)
		}
		if res.Account.PasswordID == nil || res.Account.PasswordID.RootKeyID != added.Key.ID {
			t.Fatalf("the DC derived the password from root key %v, not the new %s", res.Account.PasswordID, added.Key.ID)
		}
		keys, err := c.RootKeys(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		ours, _, err := managedpassword.NewDeriver(16).Blob(ft(t, time.Now()), res.Account, keys)
		if err != nil {
			t.Fatal(err)
		}
		if !ours.Current.Equal(&res.Blob.Current) {
			t.Fatal("our password from the new root key differs from Samba's")
		}
	})
}

func ft(t *testing.T, tm time.Time) adtypes.FileTime {
	t.Helper()
	f, err := adtypes.FileTimeOf(tm)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestManagedPasswordAgainstSamba(t *testing.T) {
	s := samba(t)
	admin := connect(t, s, bind{})
	roots, err := admin.RootKeys(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	d := managedpassword.NewDeriver(64)
	tests := []struct {
		name     string
		bind     bind
		account  string
		wantErr  error
		wantHint string
	}{
		{name: "the allowed computer reads it over ldaps", bind: bind{user: "node1$@" + s.Domain, password: node1Password}, account: "WebApp01"},
		{name: "the allowed computer reads it over StartTLS by DN", bind: bind{url: "ldap", startTLS: true, user: "node1$@" + s.Domain, password: node1Password},
			account: "CN=WebApp01,CN=Managed Service Accounts," + s.BaseDN},
		{name: "Administrator reads it", bind: bind{}, account: "webapp01$"},
		{name: "a user not in the membership gets ErrNotAllowed", bind: bind{user: "bob@" + s.Domain, password: bobPassword}, account: "WebApp01",
			wantErr: directory.ErrNotAllowed, wantHint: "msDS-GroupMSAMembership"},
		{name: "an anonymous plain ldap connection is told to bind", bind: bind{url: "ldap", user: "-"}, account: "CN=WebApp01,CN=Managed Service Accounts," + s.BaseDN,
			wantErr: directory.ErrNotAllowed, wantHint: "bind first"},
		{name: "a missing account is ErrNotFound", bind: bind{}, account: "nosuch02", wantErr: directory.ErrNotFound},
		{name: "a computer is not a gMSA", bind: bind{}, account: "node1", wantErr: directory.ErrNotGMSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, s, tt.bind)
			before := time.Now()
			res, err := c.ManagedPassword(ctx(t), tt.account)
			after := time.Now()
			if tt.wantErr != nil {
				var de *directory.Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &de) || !strings.Contains(de.Hint, tt.wantHint) {
					t.Fatalf("got %v (hint %q), want %v with a hint naming %q", err, hintOf(err), tt.wantErr, tt.wantHint)
				}
				t.Logf("%v\nhint: %s", err, de.Hint)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("read in %v", after.Sub(before).Round(time.Microsecond))
			if res.SAMAccountName != "WebApp01$" || res.Account.IntervalDays != 30 || res.Account.PasswordID == nil || res.Account.SID.IsZero() {
				t.Fatalf("result %s interval %d id %v sid %s", res.SAMAccountName, res.Account.IntervalDays, res.Account.PasswordID, res.Account.SID)
			}
			early, _, err := d.Blob(ft(t, before), res.Account, roots)
			if err != nil {
				t.Fatal(err)
			}
			late, _, err := d.Blob(ft(t, after), res.Account, roots)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Blob.Current.Equal(&early.Current) && !res.Blob.Current.Equal(&late.Current) {
				t.Fatal("the DC's current password differs from ours derived from the root keys we read")
			}
			if (res.Blob.Previous == nil) != (late.Previous == nil) {
				t.Fatalf("DC previous present %t, ours %t", res.Blob.Previous != nil, late.Previous != nil)
			}
			if res.Blob.QueryInterval > early.QueryInterval || res.Blob.QueryInterval < late.QueryInterval {
				t.Errorf("query interval %d outside [%d, %d]", res.Blob.QueryInterval, late.QueryInterval, early.QueryInterval)
			}
		})
	}
}

func hintOf(err error) string {
	var de *directory.Error
	if errors.As(err, &de) {
		return de.Hint
	}
	return ""
}
