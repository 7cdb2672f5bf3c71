package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestGMSAKerberosAcrossRollover: a host reads WebApp01's password over the
// lab's LDAP and writes a keytab of its keys at msDS-KeyVersionNumber; MIT
// kinit -k logs in as WebApp01$ with it and kinit -R renews. After the KDS
// clock moves past the password interval the kvno is 2, a keytab of the new
// password logs in, and the old keytab still does (the previous password's
// keys are accepted during the overlap), while kvno shows the new kvno.
func TestGMSAKerberosAcrossRollover(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "kinit", "kvno", "klist")
	tl := startLabKDC(t, testpeer.Loopback("internal/lab"), 0)
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
	node := tl.dial(t, "NODE1$@contoso.com", "Node1-Pa55-word")
	dir := t.TempDir()
	conf := tl.krb5Conf(t, dir)
	mit := func(t *testing.T, bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// writeKeytab reads the password as the host and writes its keys.
	writeKeytab := func(t *testing.T, name string) (string, uint32) {
		t.Helper()
		mp, err := node.ManagedPassword(ctx, "WebApp01")
		if err != nil {
			t.Fatal(err)
		}
		a, err := node.FindAccount(ctx, "WebApp01")
		if err != nil {
			t.Fatal(err)
		}
		keys, err := managedpassword.KeysFor(&mp.Blob.Current, "CONTOSO.COM", "WebApp01$", "contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		p := keytab.Principal{NameType: keytab.NameTypePrincipal, Components: []string{"WebApp01$"}, Realm: "CONTOSO.COM"}
		kt := &keytab.Keytab{Entries: []keytab.Entry{
			{Principal: p, Timestamp: time.Now().Truncate(time.Second), KVNO: a.KeyVersionNumber, Key: keys.AES256},
			{Principal: p, Timestamp: time.Now().Truncate(time.Second), KVNO: a.KeyVersionNumber, Key: keys.AES128},
		}}
		b, err := kt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		writeFile(t, path, string(b))
		return path, a.KeyVersionNumber
	}

	kt1, kvno1 := writeKeytab(t, "kvno1.keytab")
	if kvno1 != 1 {
		t.Fatalf("a new gMSA has kvno %d, want 1", kvno1)
	}
	mit(t, bins[0], "-k", "-t", kt1, "-r", "2d", "WebApp01$@CONTOSO.COM")
	if out := mit(t, bins[2]); !strings.Contains(out, "WebApp01$@CONTOSO.COM") {
		t.Fatalf("klist:\n%s", out)
	}
	mit(t, bins[0], "-R")
	if out := mit(t, bins[1], "http/mysite.contoso.com"); !strings.Contains(out, "kvno = 1") {
		t.Fatalf("kvno before the rollover:\n%s", out)
	}

	if err := WriteClockOffset(filepath.Join(tl.dir, ClockOffsetFile), 31*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	kt2, kvno2 := writeKeytab(t, "kvno2.keytab")
	if kvno2 != 2 {
		t.Fatalf("after the rollover kvno = %d, want 2", kvno2)
	}
	mit(t, bins[0], "-k", "-t", kt2, "WebApp01$@CONTOSO.COM")
	mit(t, bins[0], "-k", "-t", kt1, "WebApp01$@CONTOSO.COM") // the previous password, still accepted
	if out := mit(t, bins[1], "http/mysite.contoso.com"); !strings.Contains(out, "kvno = 2") {
		t.Fatalf("kvno after the rollover:\n%s", out)
	}
}
