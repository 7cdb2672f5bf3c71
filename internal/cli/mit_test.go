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

	t.Run("gmsa klist lists MIT's ccache as MIT klist does", func(t *testing.T) {
		mit := kdc.Run(t, "klist", "-f", "-e", "-c", "FILE:"+cc)
		ours, stderr, code := runCLI(t, "", "klist", "-f", "-e", "-c", "FILE:"+cc)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if ours != mit {
			t.Fatalf("ours:\n%s\nMIT's:\n%s", ours, mit)
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
