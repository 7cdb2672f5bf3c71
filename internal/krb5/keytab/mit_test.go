package keytab_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// aesTypes are the encryption types the project speaks, in MIT's names.
var aesTypes = []crypto.EncType{
	crypto.AES256CTSHMACSHA196,
	crypto.AES128CTSHMACSHA196,
	crypto.AES256CTSHMACSHA384192,
	crypto.AES128CTSHMACSHA256128,
}

// stamp is the fixed timestamp of the entries the tests write.
var stamp = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func startKDC(t *testing.T) *testpeer.MITKDC {
	return testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/krb5/keytab")})
}

func writeKeytab(t *testing.T, kt *keytab.Keytab) string {
	t.Helper()
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ours.keytab")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPrincipal(t testing.TB, s string) keytab.Principal {
	t.Helper()
	p, err := keytab.ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustS2K(t testing.TB, e crypto.EncType, password, salt string) crypto.Key {
	t.Helper()
	k, err := crypto.StringToKey(e, password, salt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestMITUsesOurKeytab: keys we derive from a password and the salt MIT
// uses, in a keytab we write, log in with MIT kinit -k and decrypt the
// service ticket MIT kvno -k asks for — for each AES type, with a key
// version above 255 so that only the trailing 32-bit kvno can match.
func TestMITUsesOurKeytab(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	const password = "Svc-Passw0rd!"
	for i, e := range aesTypes {
		t.Run(e.String(), func(t *testing.T) {
			name := fmt.Sprintf("svc%d/app.contoso.com", i)
			k.Admin(t, password+"\n"+password+"\n", "addprinc -e "+e.String()+":normal "+name)
			k.Admin(t, "", "modprinc -kvno 300 "+name)
			// MIT's normal salt: the realm, then the components.
			salt := fmt.Sprintf("CONTOSO.COMsvc%dapp.contoso.com", i)
			path := writeKeytab(t, &keytab.Keytab{Entries: []keytab.Entry{{
				Principal: mustPrincipal(t, name+"@CONTOSO.COM"), Timestamp: stamp, KVNO: 300,
				Key: mustS2K(t, e, password, salt),
			}}})
			env := k.ClientEnv(t, e.String())
			cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
			run(t, k, env, "kinit", "-k", "-t", path, "-c", cc, name+"@CONTOSO.COM")
			out := run(t, k, env, "kvno", "-c", cc, "-k", path, name)
			if want := "kvno = 300, keytab entry valid"; !strings.Contains(out, want) {
				t.Errorf("kvno -k: %q, want %q", out, want)
			}
			out = run(t, k, env, "klist", "-k", "-t", "-e", path)
			if want := fmt.Sprintf(" 300 11/27/26 12:00:00 %s@CONTOSO.COM (%s)", name, e); !strings.Contains(out, want) {
				t.Errorf("klist -k -t -e:\n%s\nwant a line %q", out, want)
			}
		})
	}
}

func run(t *testing.T, k *testpeer.MITKDC, env []string, name string, args ...string) string {
	t.Helper()
	cmd := k.Command(t, name, args...)
	cmd.Env = append(env, "TZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestMITNonDefaultSalt: a principal whose keys MIT made with a salt of
// its own choosing ("special", random), which the KDC announces in
// ETYPE-INFO2; our keys from that salt log in.
func TestMITNonDefaultSalt(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	const password = "Web2-Passw0rd!"
	k.Admin(t, password+"\n"+password+"\n",
		"addprinc -e aes256-cts-hmac-sha1-96:special,aes256-cts-hmac-sha384-192:special web2$")
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES256CTSHMACSHA384192} {
		t.Run(e.String(), func(t *testing.T) {
			env := k.ClientEnv(t, e.String())
			cmd := k.Command(t, "kinit", "-c", "FILE:"+filepath.Join(t.TempDir(), "cc"), "web2$")
			cmd.Env = append(env, "KRB5_TRACE=/dev/stdout")
			cmd.Stdin = strings.NewReader(password + "\n")
			trace, err := cmd.Output()
			if err != nil {
				t.Fatalf("kinit with the password: %v", err)
			}
			m := regexp.MustCompile(`Selected etype info: etype \S+, salt "([^"\\]*)"`).FindSubmatch(trace)
			if m == nil {
				t.Fatalf("no salt in the KRB5_TRACE:\n%s", trace)
			}
			salt := string(m[1])
			if salt == "CONTOSO.COMweb2$" {
				t.Fatalf("MIT used the normal salt %q, want a special one", salt)
			}
			path := writeKeytab(t, &keytab.Keytab{Entries: []keytab.Entry{{
				Principal: mustPrincipal(t, "web2$@CONTOSO.COM"), Timestamp: stamp, KVNO: 1,
				Key: mustS2K(t, e, password, salt),
			}}})
			run(t, k, env, "kinit", "-k", "-t", path, "-c", "FILE:"+filepath.Join(t.TempDir(), "cc2"), "web2$@CONTOSO.COM")
		})
	}
}

// TestMITADSalt: for an Active Directory computer or gMSA account the salt
// is REALM + "host" + lower(name without $) + "." + domain, which MIT's
// KDC cannot be told to use; MIT ktutil can (add_entry -s). The keys we
// derive with it equal the ones ktutil writes, and klist lists both files
// alike.
func TestMITADSalt(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	const (
		password = "Web1-Gmsa-Pw!"
		salt     = "CONTOSO.COMhostweb1.contoso.com"
	)
	theirs := filepath.Join(t.TempDir(), "ktutil.keytab")
	var script strings.Builder
	ours := &keytab.Keytab{}
	for _, e := range aesTypes {
		fmt.Fprintf(&script, "add_entry -password -p web1$@CONTOSO.COM -k 3 -e %s -s %s\n%s\n", e, salt, password)
		ours.Entries = append(ours.Entries, keytab.Entry{
			Principal: mustPrincipal(t, "web1$@CONTOSO.COM"), KVNO: 3, Key: mustS2K(t, e, password, salt),
		})
	}
	fmt.Fprintf(&script, "write_kt %s\n", theirs)
	k.RunInput(t, script.String(), "ktutil")
	b, err := os.ReadFile(theirs)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(kt.Entries) != len(aesTypes) {
		t.Fatalf("ktutil wrote %d entries, want %d", len(kt.Entries), len(aesTypes))
	}
	for i := range kt.Entries {
		// ktutil stamps entries with the clock; ours carry it too so that
		// the files compare.
		ours.Entries[i].Timestamp = kt.Entries[i].Timestamp
		if !bytes.Equal(kt.Entries[i].Key.Bytes(), ours.Entries[i].Key.Bytes()) {
			t.Errorf("%s: our key differs from ktutil's", aesTypes[i])
		}
	}
	path := writeKeytab(t, ours)
	mine := run(t, k, k.Env(), "klist", "-k", "-t", "-e", "-K", path)
	want := run(t, k, k.Env(), "klist", "-k", "-t", "-e", "-K", theirs)
	if klistEntries(mine) != klistEntries(want) || klistEntries(want) == "" {
		t.Errorf("klist on our keytab:\n%s\nklist on ktutil's:\n%s", mine, want)
	}
	if *update {
		writeVector(t, filepath.Join("testdata", "mit", "ktutil-ad-salt.txt"), [][2]string{
			{"source", "written by MIT krb5 1.20 ktutil: add_entry -password -p web1$@CONTOSO.COM -k 3 -e ENCTYPE -s " + salt + " (for each AES type), write_kt; test-only keys"},
			{"password", password},
			{"salt", salt},
			{"klist -k -t -e -K (TZ=UTC)", klistEntries(want)},
		}, b)
	}
}

// TestMITKeytabRoundTrip: we read what kadmin.local ktadd writes — every
// enctype, several key versions, a key version above 255 — list it as MIT
// klist does, and re-encode it to the same bytes, which klist lists alike.
func TestMITKeytabRoundTrip(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	path := filepath.Join(t.TempDir(), "mit.keytab")
	k.AddRandKey(t, "HTTP/web.contoso.com")
	k.Admin(t, "", "ktadd -k "+path+" HTTP/web.contoso.com") // new keys: kvno 2
	k.Admin(t, "", "ktadd -k "+path+" HTTP/web.contoso.com") // kvno 3
	k.AddRandKey(t, "host/kvno300.contoso.com")
	k.Admin(t, "", "modprinc -kvno 300 host/kvno300.contoso.com")
	k.ExportKeytab(t, "host/kvno300.contoso.com", path)

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kt.Entries); n != 3*len(aesTypes) {
		t.Fatalf("parsed %d entries, want %d", n, 3*len(aesTypes))
	}
	listing := run(t, k, k.Env(), "klist", "-k", "-t", "-e", "-K", path)
	if got, want := klistLines(kt), klistEntries(listing); got != want {
		t.Errorf("our reading:\n%s\nklist -k -t -e -K:\n%s", got, want)
	}
	for _, want := range []struct {
		name string
		kvno uint32
	}{{"HTTP/web.contoso.com", 2}, {"HTTP/web.contoso.com", 3}, {"HOST/KVNO300.contoso.com", 300}} {
		for _, e := range aesTypes {
			if _, err := kt.Find(want.name, "contoso.com", want.kvno, e); err != nil {
				t.Error(err)
			}
		}
	}

	again, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("re-encoding MIT's keytab changed it:\n got %x\nwant %x", again, b)
	}
	p2 := filepath.Join(t.TempDir(), "ours.keytab")
	if err := os.WriteFile(p2, again, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := run(t, k, k.Env(), "klist", "-k", "-t", "-e", "-K", p2); klistEntries(got) != klistEntries(listing) {
		t.Errorf("klist on our re-encoding:\n%s\non MIT's:\n%s", got, listing)
	}
	if *update {
		writeVector(t, filepath.Join("testdata", "mit", "ktadd-kvnos.txt"), [][2]string{
			{"source", "written by MIT krb5 1.20 kadmin.local: addprinc -randkey HTTP/web.contoso.com; ktadd -k F HTTP/web.contoso.com (twice: kvno 2, 3); " +
				"addprinc -randkey host/kvno300.contoso.com; modprinc -kvno 300; ktadd -norandkey -k F host/kvno300.contoso.com — throwaway realm CONTOSO.COM, test-only keys"},
			{"klist -k -t -e -K (TZ=UTC)", klistEntries(listing)},
		}, b)
	}
}
