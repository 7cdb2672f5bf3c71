package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestLabKDCWithMIT: the lab serves Kerberos for its directory — MIT kinit
// logs in as Administrator with the directory's password and as a computer
// account created over LDAP, and kvno gets a ticket for a gMSA's SPN at the
// gMSA's msDS-KeyVersionNumber.
func TestLabKDCWithMIT(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "kinit", "kvno", "klist")
	tl := startLabKDC(t, testpeer.Loopback("internal/lab"), 0)
	if tl.info.KDCPort == 0 {
		t.Fatal("lab.json has no KDC port")
	}
	ctx := context.Background()
	admin := tl.dial(t, "", "")
	if _, err := admin.CreateGroup(ctx, directory.GroupOptions{Name: "WebApp01Hosts"}); err != nil {
		t.Fatal(err)
	}
	tl.addComputer(t, "NODE1", "Node1-Pa55-word")
	if err := admin.AddGroupMember(ctx, "WebApp01Hosts", "NODE1$"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"WebApp01Hosts"}}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	conf := tl.krb5Conf(t, dir)
	mit := func(t *testing.T, stdin, bin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"))
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := mit(t, tl.password+"\n", bins[0], "Administrator@CONTOSO.COM"); err != nil {
		t.Fatalf("kinit Administrator: %v\n%s", err, out)
	}
	if out, err := mit(t, "wrong\n", bins[0], "Administrator@CONTOSO.COM"); err == nil {
		t.Fatalf("kinit with a wrong password succeeded\n%s", out)
	}
	if out, err := mit(t, "Node1-Pa55-word\n", bins[0], "NODE1$@CONTOSO.COM"); err != nil {
		t.Fatalf("kinit NODE1$: %v\n%s", err, out)
	}
	out, err := mit(t, "", bins[1], "http/mysite.contoso.com@CONTOSO.COM")
	if err != nil || !strings.Contains(out, "kvno = 1") {
		t.Fatalf("kvno http/mysite.contoso.com: %v\n%s", err, out)
	}
	out, err = mit(t, "", bins[2])
	if err != nil || !strings.Contains(out, "NODE1$@CONTOSO.COM") || !strings.Contains(out, "http/mysite.contoso.com@CONTOSO.COM") {
		t.Fatalf("klist: %v\n%s", err, out)
	}
}

// TestLabKDCAccountChecks: the AS exchange refuses, as AD does, an account
// that is disabled, expired (accountExpires) or locked out (lockoutTime).
func TestLabKDCAccountChecks(t *testing.T) {
	kinit := testpeer.Binaries(t, "mit-krb5-user", "kinit")[0]
	tl := startLabKDC(t, testpeer.Loopback("internal/lab"), 0)
	dir := t.TempDir()
	conf := tl.krb5Conf(t, dir)
	l, err := ldap.DialURL(tl.info.LDAPSURL(), ldap.DialWithTLSConfig(tl.tlsConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Bind("Administrator@contoso.com", tl.password); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		attr, value, want string
	}{
		{"userAccountControl", "4098", "revoked"},
		{"accountExpires", "130000000000000000", "revoked"}, // 2012
		{"lockoutTime", "134000000000000000", "revoked"},
	} {
		name := "N" + strings.ToUpper(tt.attr[:4])
		tl.addComputer(t, name, "Pa55-"+name)
		if out, err := mitKinit(kinit, conf, dir, "Pa55-"+name, name+"$@CONTOSO.COM"); err != nil {
			t.Fatalf("kinit %s$ before %s: %v\n%s", name, tt.attr, err, out)
		}
		m := ldap.NewModifyRequest("CN="+name+",CN=Computers,DC=contoso,DC=com", nil)
		m.Replace(tt.attr, []string{tt.value})
		if err := l.Modify(m); err != nil {
			t.Fatal(err)
		}
		out, err := mitKinit(kinit, conf, dir, "Pa55-"+name, name+"$@CONTOSO.COM")
		if err == nil || !strings.Contains(out, tt.want) {
			t.Errorf("kinit %s$ with %s=%s: err=%v, want %q\n%s", name, tt.attr, tt.value, err, tt.want, out)
		}
	}
}

func mitKinit(kinit, conf, dir, password, principal string) (string, error) {
	cmd := exec.Command(kinit, principal)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"))
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
