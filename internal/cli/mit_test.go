package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// runCLI runs gmsa in-process and returns its output and exit status.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{Streams: Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb}, now: time.Now}
	code = run(context.Background(), args, e)
	return out.String(), errb.String(), code
}

// The Kerberos verbs against MIT Kerberos 1.20: our klist reads what MIT
// writes exactly as MIT's klist lists it, and MIT's kinit uses keytabs that
// `gmsa keytab add` writes.
func TestKerberosVerbsWithMIT(t *testing.T) {
	t.Setenv("TZ", "UTC") // klist prints local time, as MIT does
	kdc := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/cli")})
	dir := t.TempDir()
	kdc.AddPrincipal(t, "alice", "Alice-Pw-8x!")
	kdc.AddRandKey(t, "HTTP/web.contoso.com")
	svcKT := filepath.Join(dir, "http.keytab")
	kdc.ExportKeytab(t, "HTTP/web.contoso.com", svcKT)
	cc := filepath.Join(dir, "cc")
	kdc.RunInput(t, "Alice-Pw-8x!\n", "kinit", "-f", "-c", "FILE:"+cc, "alice@"+kdc.Realm)
	kdc.Run(t, "kvno", "-c", "FILE:"+cc, "HTTP/web.contoso.com@"+kdc.Realm)

	for _, kv := range kdc.Env() {
		if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
			t.Setenv("KRB5_CONFIG", v) // our kinit and kvno find the KDC as MIT's do
		}
	}
	kdc.Admin(t, "", "modprinc -maxrenewlife 7d alice")
	kdc.Admin(t, "", "modprinc -maxrenewlife 7d krbtgt/"+kdc.Realm)

	t.Run("gmsa kinit with a password writes a cache MIT klist reads and MIT kvno uses", func(t *testing.T) {
		ours := filepath.Join(dir, "ours.cc")
		stdout, stderr, code := runCLI(t, "Alice-Pw-8x!\n", "kinit", "-r", "2d", "-c", ours, "alice@"+kdc.Realm, "-o", "json")
		if code != 0 {
			t.Fatalf("kinit: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, `"client": "alice@CONTOSO.COM"`) || !strings.Contains(stdout, `"renew_till"`) {
			t.Fatalf("kinit output: %s", stdout)
		}
		if st, err := os.Stat(ours); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("cache mode %v, %v", st.Mode(), err)
		}
		out := kdc.Run(t, "klist", "-f", "-c", "FILE:"+ours)
		if !strings.Contains(out, "Default principal: alice@CONTOSO.COM") || !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
			t.Fatalf("MIT klist on our cache:\n%s", out)
		}
		kdc.Run(t, "kvno", "-c", "FILE:"+ours, "HTTP/web.contoso.com@"+kdc.Realm)

		// Our kvno with our cache, then our kinit -R.
		stdout, stderr, code = runCLI(t, "", "kvno", "-c", ours, "HTTP/web.contoso.com")
		if code != 0 || stdout != "HTTP/web.contoso.com@CONTOSO.COM: kvno = 1\n" {
			t.Fatalf("kvno: exit %d, %q, %s", code, stdout, stderr)
		}
		if _, stderr, code := runCLI(t, "", "kinit", "-R", "-c", ours); code != 0 {
			t.Fatalf("kinit -R: exit %d: %s", code, stderr)
		}
		out = kdc.Run(t, "klist", "-c", "FILE:"+ours)
		if !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
			t.Fatalf("MIT klist after our kinit -R:\n%s", out)
		}
	})

	t.Run("gmsa kinit -k and gmsa kvno with MIT's keytab and cache", func(t *testing.T) {
		ours := filepath.Join(dir, "svc.cc")
		if _, stderr, code := runCLI(t, "", "kinit", "-k", "-t", svcKT, "-c", ours, "HTTP/web.contoso.com@"+kdc.Realm); code != 0 {
			t.Fatalf("kinit -k: exit %d: %s", code, stderr)
		}
		stdout, stderr, code := runCLI(t, "", "kvno", "-c", cc, "HTTP/web.contoso.com@"+kdc.Realm)
		if code != 0 || !strings.Contains(stdout, "kvno = 1") {
			t.Fatalf("kvno with MIT's cache: exit %d, %q, %s", code, stdout, stderr)
		}
	})

	t.Run("a wrong password is a data error with a hint", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "not-the-password\n", "kinit", "-c", filepath.Join(dir, "x.cc"), "alice@"+kdc.Realm)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "hint: ") || strings.Contains(stderr, "not-the-password") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.cc")); err == nil {
			t.Fatal("a failed kinit left a cache behind")
		}
	})

	t.Run("gmsa klist lists MIT's ccache as MIT klist does", func(t *testing.T) {
		// The cache holds MIT's renewable tickets and, since the kvno
		// above, one of ours that is not renewable: every layout case.
		for _, flags := range [][]string{nil, {"-f"}, {"-e"}, {"-f", "-e"}} {
			args := append(append([]string{}, flags...), "-c", "FILE:"+cc)
			mit := kdc.Run(t, "klist", args...)
			ours, stderr, code := runCLI(t, "", append([]string{"klist"}, args...)...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", flags, code, stderr)
			}
			if ours != mit {
				t.Fatalf("%v: ours:\n%s\nMIT's:\n%s", flags, ours, mit)
			}
		}
		js, _, _ := runCLI(t, "", "klist", "-c", cc, "-o", "json")
		for _, want := range []string{`"client": "alice@CONTOSO.COM"`, `"server": "HTTP/web.contoso.com@CONTOSO.COM"`, `"enctype": "aes256-cts-hmac-sha1-96"`, `"flags": "F`} {
			if !strings.Contains(js, want) {
				t.Errorf("JSON lacks %s:\n%s", want, js)
			}
		}
	})

	t.Run("gmsa klist -k lists MIT's keytab as MIT klist does", func(t *testing.T) {
		for _, flags := range [][]string{{"-k"}, {"-k", "-e"}, {"-k", "-e", "-t"}} {
			mit := kdc.Run(t, "klist", append(flags, svcKT)...)
			ours, stderr, code := runCLI(t, "", append(append([]string{"klist"}, flags...), svcKT)...)
			if code != 0 || ours != mit {
				t.Fatalf("%v (exit %d, %s):\nours:\n%s\nMIT's:\n%s", flags, code, stderr, ours, mit)
			}
		}
	})

	t.Run("MIT kinit -k logs in with a keytab from gmsa keytab add", func(t *testing.T) {
		kt := filepath.Join(dir, "alice.keytab")
		// kvno 1: a new MIT principal's first key.
		if _, stderr, code := runCLI(t, "Alice-Pw-8x!\n", "keytab", "add", "--principal", "alice@"+kdc.Realm,
			"--password-stdin", "--enctype", strings.Join(kdc.Enctypes, ","), "--kvno", "1", "-f", kt); code != 0 {
			t.Fatalf("keytab add: exit %d: %s", code, stderr)
		}
		if st, err := os.Stat(kt); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("keytab mode: %v %v", st.Mode(), err)
		}
		kdc.Run(t, "kinit", "-k", "-t", kt, "-c", "FILE:"+filepath.Join(dir, "cc2"), "alice@"+kdc.Realm)
		out := kdc.Run(t, "klist", "-c", "FILE:"+filepath.Join(dir, "cc2"))
		if !strings.Contains(out, "Default principal: alice@CONTOSO.COM") {
			t.Fatalf("MIT klist after kinit -k:\n%s", out)
		}
		// A wrong password gives keys MIT refuses.
		bad := filepath.Join(dir, "bad.keytab")
		runCLI(t, "wrong\n", "keytab", "add", "--principal", "alice@"+kdc.Realm, "--password-stdin", "--kvno", "1", "-f", bad)
		cmd := kdc.Command(t, "kinit", "-k", "-t", bad, "-c", "FILE:"+filepath.Join(dir, "cc3"), "alice@"+kdc.Realm)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("kinit -k with wrong keys succeeded: %s", out)
		}
	})
}
