package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	conf := filepath.Join(dir, "krb5.conf")
	writeFile(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n rdns = false\n"+
		"[realms]\n CONTOSO.COM = {\n  kdc = %s:%d\n }\n", tl.info.Listen, tl.info.KDCPort))
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
