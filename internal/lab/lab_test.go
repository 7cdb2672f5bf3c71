package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// testLab is a provisioned lab domain served on the package's loopback
// address for one test.
type testLab struct {
	dir      string
	info     *Info
	password string // Administrator's
	cancel   context.CancelFunc
	done     chan error
}

const testAdminPassword = "Lab-Admin-Pa55!"

func startLab(t testing.TB, listen string) *testLab {
	t.Helper()
	return startLabKDC(t, listen, -1)
}

// startLabKDC also serves the KDC on kdcPort (0: 88 or the next free; -1:
// none).
func startLabKDC(t testing.TB, listen string, kdcPort int) *testLab {
	t.Helper()
	dir := t.TempDir()
	d, err := Init(dir, InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	d.Close()
	return serveLab(t, dir, listen, kdcPort)
}

func serveLab(t testing.TB, dir, listen string, kdcPort int) *testLab {
	t.Helper()
	return serveLabOpts(t, ServeOptions{Dir: dir, Listen: listen, KDCPort: kdcPort})
}

// krb5Conf writes a krb5.conf for the lab's realm and KDC into dir.
func (tl *testLab) krb5Conf(t testing.TB, dir string) string {
	t.Helper()
	conf := filepath.Join(dir, "krb5.conf")
	writeFile(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n rdns = false\n"+
		"[realms]\n CONTOSO.COM = {\n  kdc = %s:%d\n }\n", tl.info.Listen, tl.info.KDCPort))
	return conf
}

func (tl *testLab) stop() {
	if tl.cancel == nil {
		return
	}
	tl.cancel()
	tl.cancel = nil
	<-tl.done
}

// dial connects over LDAPS and binds as user (Administrator when "").
func (tl *testLab) dial(t testing.TB, user, password string) *directory.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := directory.Dial(ctx, directory.Options{Server: tl.info.LDAPSURL(), CAFile: filepath.Join(tl.dir, "ca.pem")})
	if err != nil {
		t.Fatalf("dial %s: %v", tl.info.LDAPSURL(), err)
	}
	t.Cleanup(func() { c.Close() })
	if user == "" {
		user, password = "Administrator@"+tl.info.Domain, tl.password
	}
	if err := c.BindSimple(ctx, user, password); err != nil {
		t.Fatalf("bind as %s: %v", user, err)
	}
	return c
}

// addComputer creates a computer with a password through a raw go-ldap add
// over LDAPS, as `net ads join` would.
func (tl *testLab) addComputer(t testing.TB, name, password string) {
	t.Helper()
	l, err := ldap.DialURL(tl.info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Bind("Administrator@"+tl.info.Domain, tl.password); err != nil {
		t.Fatal(err)
	}
	req := ldap.NewAddRequest("CN="+name+",CN=Computers,"+domainDN(tl.info.Domain), nil)
	req.Attribute("objectClass", []string{"computer"})
	req.Attribute("sAMAccountName", []string{name + "$"})
	req.Attribute("dNSHostName", []string{strings.ToLower(name) + "." + tl.info.Domain})
	req.Attribute("unicodePwd", []string{unicodePwd(password)})
	if err := l.Add(req); err != nil {
		t.Fatalf("add computer %s: %v", name, err)
	}
}

func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return string(b)
}

func domainDN(domain string) string {
	return (&Domain{DNSName: domain}).DN()
}

func TestLabServesTheWalkthroughToTheDirectoryClient(t *testing.T) {
	tl := startLab(t, testpeer.Loopback("internal/lab"))
	ctx := context.Background()
	admin := tl.dial(t, "", "")

	info, err := admin.DomainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.DNSName != "contoso.com" || info.NetBIOSName != "CONTOSO" || info.DN != "DC=contoso,DC=com" || info.SID.IsZero() {
		t.Fatalf("domain info = %+v", info)
	}
	keys, err := admin.ProvRootKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || len(keys[0].Key.Data) != 64 || keys[0].DomainID != "CN=DC1,OU=Domain Controllers,DC=contoso,DC=com" {
		t.Fatalf("root keys after provisioning = %+v", keys)
	}

	// Walkthrough: group, host, gMSA.
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		t.Fatal(err)
	}
	tl.addComputer(t, "NODE1", "Node1-Pa55-word")
	tl.addComputer(t, "NODE2", "Node2-Pa55-word")
	if err := admin.AddGroupMember(ctx, "WebApp01Hosts", "NODE1"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "WebApp01.contoso.com",
		SPNs: []string{"host/WebApp01", "http/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}}); err != nil {
		t.Fatal(err)
	}
	// setspn -Q: holders of an SPN, users and computers included, any case.
	for spn, want := range map[string]string{"HTTP/MYSITE.contoso.com": "WebApp01$", "kadmin/changepw": "krbtgt", "ldap/DC1.contoso.com": "DC1$"} {
		h, err := admin.SPNHolders(ctx, spn)
		if err != nil || len(h) != 1 || h[0].SAMAccountName != want {
			t.Fatalf("SPNHolders(%s) = %+v, %v; want %s", spn, h, err, want)
		}
	}
	if h, err := admin.SPNHolders(ctx, "http/nobody.contoso.com"); err != nil || len(h) != 0 {
		t.Fatalf("SPNHolders of an unregistered SPN = %+v, %v", h, err)
	}
	// An SPN on another account is refused before the add (setspn -S).
	_, err = admin.CreateGMSA(ctx, directory.GMSAOptions{Name: "Other", DNSHostName: "other.contoso.com",
		SPNs: []string{"HTTP/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}})
	if !errors.Is(err, directory.ErrSPNInUse) {
		t.Fatalf("duplicate SPN: err = %v, want ErrSPNInUse", err)
	}
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); !errors.Is(err, directory.ErrExists) {
		t.Fatalf("duplicate group: err = %v, want ErrExists", err)
	}

	// The allowed host reads the password; it equals the offline derivation
	// from the lab's root key, the gMSA's SID and its password ID.
	node1 := tl.dial(t, `CONTOSO\NODE1$`, "Node1-Pa55-word")
	mp, err := node1.ManagedPassword(ctx, "WebApp01")
	if err != nil {
		t.Fatalf("NODE1$ reading the password: %v", err)
	}
	id := mp.Account.PasswordID
	if id == nil || id.RootKeyID != keys[0].Key.ID {
		t.Fatalf("password ID = %+v, want root key %s", id, keys[0].Key.ID)
	}
	want, err := managedpassword.Derive(keys[0].Key, mp.Account.SID, id.GKID)
	if err != nil {
		t.Fatal(err)
	}
	if !mp.Blob.Current.Equal(&want) {
		t.Fatal("msDS-ManagedPassword's current password differs from the offline derivation")
	}
	if mp.Blob.Previous != nil {
		t.Fatal("a new gMSA has a previous password")
	}

	// A host outside the group gets the object without the attribute.
	node2 := tl.dial(t, "NODE2$@contoso.com", "Node2-Pa55-word")
	if _, err := node2.ManagedPassword(ctx, "WebApp01"); !errors.Is(err, directory.ErrNotAllowed) {
		t.Fatalf("NODE2$ reading the password: err = %v, want ErrNotAllowed", err)
	}
	// And cannot see root keys at all.
	if ks, err := node2.ProvRootKeys(ctx); err != nil || len(ks) != 0 {
		t.Fatalf("root keys seen by a computer: %d, %v", len(ks), err)
	}

	// Rollover: 31 days on, the blob carries the previous password and the
	// kvno went up by one.
	before, err := admin.FindAccount(ctx, "WebApp01")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteClockOffset(filepath.Join(tl.dir, ClockOffsetFile), 31*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	mp2, err := node1.ManagedPassword(ctx, "WebApp01")
	if err != nil {
		t.Fatal(err)
	}
	if mp2.Blob.Previous == nil || !mp2.Blob.Previous.Equal(&mp.Blob.Current) {
		t.Fatal("after 31 days the previous password is not the one read before")
	}
	if mp2.Blob.Current.Equal(&mp.Blob.Current) {
		t.Fatal("after 31 days the current password did not change")
	}
	after, err := admin.FindAccount(ctx, "WebApp01")
	if err != nil {
		t.Fatal(err)
	}
	if after.KeyVersionNumber != before.KeyVersionNumber+1 {
		t.Fatalf("kvno %d → %d, want +1", before.KeyVersionNumber, after.KeyVersionNumber)
	}
	if mp2.Account.PreviousID == nil || mp2.Account.PreviousID.GKID != id.GKID {
		t.Fatalf("msDS-ManagedPasswordPreviousId = %+v, want the first ID", mp2.Account.PreviousID)
	}
	_ = adtypes.SID{}
}

func (tl *testLab) tlsConfig(t testing.TB) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(tl.dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: tl.info.Listen}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
