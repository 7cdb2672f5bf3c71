package testpeer

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestMITKDC starts one KDC and checks what the Kerberos tests rely on: a
// password login, a keytab login with every default encryption type
// (including the RFC 8009 ones), a service ticket, and that the KDC listens
// on the address it was given.
func TestMITKDC(t *testing.T) {
	k := StartMITKDC(t, MITKDCOptions{Addr: Loopback("internal/testpeer/mit")})
	if k.Realm != "CONTOSO.COM" || k.Addr != "127.0.0.12" || k.Port == 0 {
		t.Fatalf("KDC = %s on %s:%d, want CONTOSO.COM on 127.0.0.12", k.Realm, k.Addr, k.Port)
	}
	k.AddPrincipal(t, "alice", `Passw0rd! with "quotes" and spaces`)
	k.AddRandKey(t, "HTTP/web.contoso.com")

	t.Run("kinit with a password gets a TGT from this KDC", func(t *testing.T) {
		cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
		k.RunInput(t, "Passw0rd! with \"quotes\" and spaces\n", "kinit", "-c", cc, "alice@CONTOSO.COM")
		out := k.Run(t, "klist", "-e", cc)
		if !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") || !strings.Contains(out, "Default principal: alice@CONTOSO.COM") {
			t.Fatalf("klist:\n%s", out)
		}
		out = k.Run(t, "kvno", "-c", cc, "HTTP/web.contoso.com")
		if !strings.Contains(out, "kvno = 1") {
			t.Errorf("kvno: %q, want kvno = 1", out)
		}
	})

	t.Run("ExportKeytab keeps the keys and kinit -k logs in with each enctype", func(t *testing.T) {
		kt := filepath.Join(t.TempDir(), "http.keytab")
		k.ExportKeytab(t, "HTTP/web.contoso.com", kt)
		out := k.Run(t, "klist", "-k", "-e", kt)
		for _, e := range MITDefaultEnctypes {
			if !strings.Contains(out, "   1 HTTP/web.contoso.com@CONTOSO.COM ("+e+")") {
				t.Errorf("klist -k -e has no kvno 1 %s entry:\n%s", e, out)
			}
			cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
			env := k.ClientEnv(t, e)
			cmd := k.Command(t, "kinit", "-k", "-t", kt, "-c", cc, "HTTP/web.contoso.com@CONTOSO.COM")
			cmd.Env = env
			if _, _, err := mitRun(cmd, ""); err != nil {
				t.Errorf("kinit -k with only %s: %v", e, err)
				continue
			}
			cmd = k.Command(t, "klist", "-e", cc)
			cmd.Env = env
			if out, _, err := mitRun(cmd, ""); err != nil || !strings.Contains(out, "Etype (skey, tkt): "+e+",") {
				t.Errorf("after kinit -k with only %s, klist -e: %v\n%s", e, err, out)
			}
		}
	})

	t.Run("the KDC answers over UDP as well as TCP", func(t *testing.T) {
		conf := "KRB5_CONFIG=" + writeConfVariant(t, k, func(l string) string {
			return strings.Replace(l, "udp_preference_limit = 1", "udp_preference_limit = 65535", 1)
		})
		cmd := k.Command(t, "kinit", "-c", "FILE:"+filepath.Join(t.TempDir(), "cc"), "alice")
		cmd.Env = append(cmd.Env, conf, "KRB5_TRACE=/dev/stderr")
		_, trace, err := mitRun(cmd, "Passw0rd! with \"quotes\" and spaces\n")
		if err != nil {
			t.Fatal(err)
		}
		if want := "Sending initial UDP request to dgram " + k.hostPort(); !strings.Contains(trace, want) {
			t.Errorf("KRB5_TRACE has no %q:\n%s", want, trace)
		}
		if strings.Contains(trace, "stream "+k.hostPort()) {
			t.Errorf("kinit fell back to TCP:\n%s", trace)
		}
	})

	t.Run("Admin reports a failed query", func(t *testing.T) {
		ft := &mitFakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			k.Admin(ft, "", "getprinc nobody")
		}()
		<-done
		if !ft.failed || !strings.Contains(ft.msg, "Principal does not exist") {
			t.Errorf("Admin on a missing principal: failed=%v %q", ft.failed, ft.msg)
		}
	})
}

// writeConfVariant writes a copy of the KDC's krb5.conf with each line
// passed through edit.
func writeConfVariant(t *testing.T, k *MITKDC, edit func(string) string) string {
	b, err := os.ReadFile(k.path("krb5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		lines = append(lines, edit(l))
	}
	p := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mitFakeTB records Fatal instead of stopping the test.
type mitFakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *mitFakeTB) Helper() {}
func (f *mitFakeTB) Fatal(args ...any) {
	f.failed = true
	for _, a := range args {
		if e, ok := a.(error); ok {
			f.msg += e.Error()
		}
	}
	runtime.Goexit()
}

// TestMITKDCCleanup: the KDC a test starts is gone when the test ends.
func TestMITKDCCleanup(t *testing.T) {
	var k *MITKDC
	var pid int
	t.Run("a test that starts a KDC", func(t *testing.T) {
		k = StartMITKDC(t, MITKDCOptions{Addr: Loopback("internal/testpeer/mit"), Realm: "fabrikam.com", Enctypes: []string{"aes128-cts-hmac-sha1-96"}})
		pid = k.cmd.Process.Pid
		if k.Realm != "FABRIKAM.COM" {
			t.Errorf("Realm = %q, want it upper-cased", k.Realm)
		}
		k.AddRandKey(t, "host/x.fabrikam.com")
		if out := k.Admin(t, "", "getprinc host/x.fabrikam.com"); !strings.Contains(out, "Key: vno 1, aes128-cts-hmac-sha1-96") || strings.Contains(out, "aes256") {
			t.Errorf("Enctypes did not restrict the keys:\n%s", out)
		}
	})
	select {
	case <-k.done:
	default:
		t.Fatalf("krb5kdc (pid %d) still running after its test ended", pid)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("process %d still exists", pid)
	}
}
