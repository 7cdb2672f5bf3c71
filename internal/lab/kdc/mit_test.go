package kdc

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// mitEnv runs MIT's client tools against a served KDC.
type mitEnv struct {
	t    *testing.T
	bins map[string]string
	env  []string
	cc   string
}

func newMITEnv(t *testing.T, s *served, udpLimit int) *mitEnv {
	t.Helper()
	names := []string{"kinit", "klist", "kvno"}
	paths := testpeer.Binaries(t, "mit-krb5", names...)
	m := &mitEnv{t: t, bins: map[string]string{}, cc: filepath.Join(t.TempDir(), "cc")}
	for i, n := range names {
		m.bins[n] = paths[i]
	}
	m.env = append(os.Environ(), "KRB5_CONFIG="+s.krb5conf(t, udpLimit), "KRB5CCNAME=FILE:"+m.cc, "KRB5_TRACE=/dev/stderr")
	return m
}

// run runs an MIT tool with stdin and returns its combined output and
// error.
func (m *mitEnv) run(stdin, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bins[name], args...)
	cmd.Env = m.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, trace bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &trace
	err := cmd.Run()
	if err != nil {
		m.t.Logf("%s %v: %v\nstdout: %s\nstderr (trace):\n%s", name, args, err, out.String(), trace.String())
	}
	// Non-trace lines of stderr are the tool's messages.
	var msgs []string
	for _, l := range strings.Split(trace.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "  ") {
			msgs = append(msgs, l)
		}
	}
	return out.String() + strings.Join(msgs, "\n") + "\n" + trace.String(), err
}

func (m *mitEnv) mustRun(stdin, name string, args ...string) string {
	m.t.Helper()
	out, err := m.run(stdin, name, args...)
	if err != nil {
		m.t.Fatalf("%s %v failed: %v\n%s", name, args, err, out)
	}
	return out
}

// MIT kinit logs on with a password (over TCP and over UDP), klist shows
// the client, kvno gets a ticket for the gMSA's SPN at kvno 2, and kinit -R
// renews.
func TestMITPasswordKinitKvnoRenew(t *testing.T) {
	s := serve(t, nil)
	for _, tc := range []struct {
		name     string
		udpLimit int
		via      string // in KRB5_TRACE: how the reply came
	}{{"TCP", 1, "from stream 127.0.0.24"}, {"UDP", 0, "from dgram 127.0.0.24"}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMITEnv(t, s, tc.udpLimit)
			out := m.mustRun(adminPassword+"\n", "kinit", "-r", "2d", "-f", "Administrator@"+testRealm)
			if !strings.Contains(out, tc.via) {
				t.Errorf("kinit trace shows no reply %s:\n%s", tc.via, out)
			}
			out = m.mustRun("", "klist", "-f")
			if !strings.Contains(out, "Default principal: Administrator@CONTOSO.COM") || !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
				t.Errorf("klist:\n%s", out)
			}
			if !strings.Contains(out, "Flags: FRIA") {
				t.Errorf("klist -f shows no FRIA flags (forwardable, renewable, initial, pre-authent):\n%s", out)
			}
			out = m.mustRun("", "kvno", "http/mysite.contoso.com@"+testRealm)
			if !strings.Contains(out, "http/mysite.contoso.com@CONTOSO.COM: kvno = 2") {
				t.Errorf("kvno: %s", out)
			}
			m.mustRun("", "kinit", "-R")
			out = m.mustRun("", "klist")
			if !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
				t.Errorf("klist after kinit -R:\n%s", out)
			}
		})
	}
}

// kinit -k with a keytab of the gMSA's current keys, and with one holding
// only the previous password's keys (the overlap after a rollover); kinit
// -C asks for canonicalization, and klist shows the name as stored.
func TestMITKeytabGMSA(t *testing.T) {
	s := serve(t, nil)
	m := newMITEnv(t, s, 0)
	gmsa := s.dir.get("WebApp01$")
	for _, kvno := range []uint32{2, 1} {
		kt := filepath.Join(t.TempDir(), "gmsa.keytab")
		writeKeytab(t, kt, "WebApp01$", gmsa.Keys, kvno)
		m.mustRun("", "kinit", "-k", "-t", kt, "WebApp01$@"+testRealm)
		out := m.mustRun("", "klist")
		if !strings.Contains(out, "Default principal: WebApp01$@CONTOSO.COM") {
			t.Errorf("kvno %d keytab: klist:\n%s", kvno, out)
		}
	}
	// Asked for as "administrator" with -C, the KDC answers with the
	// name as stored, and klist shows it.
	m.mustRun(adminPassword+"\n", "kinit", "-C", "administrator@"+testRealm)
	if out := m.mustRun("", "klist"); !strings.Contains(out, "Default principal: Administrator@CONTOSO.COM") {
		t.Errorf("canonicalized klist:\n%s", out)
	}
	out := m.mustRun("", "kvno", "host/WebApp01@"+testRealm)
	if !strings.Contains(out, "kvno = 2") {
		t.Errorf("kvno host/WebApp01: %s", out)
	}
}

// A wrong password fails with MIT's "Preauthentication failed", a disabled
// account with "revoked".
func TestMITRefusals(t *testing.T) {
	s := serve(t, nil)
	m := newMITEnv(t, s, 0)
	out, err := m.run("not-the-password\n", "kinit", "Administrator@"+testRealm)
	// MIT's KDC and ours answer KDC_ERR_PREAUTH_FAILED, which kinit
	// traces as "Preauthentication failed" and then reports as "Password
	// incorrect".
	if err == nil || !strings.Contains(out, "Received error from KDC: -1765328360/Preauthentication failed") {
		t.Errorf("wrong password: err %v, output %q", err, out)
	}
	out, err = m.run("Disabled-Pw-1\n", "kinit", "Disabled@"+testRealm)
	if err == nil || !strings.Contains(out, "kinit: Client's credentials have been revoked") {
		t.Errorf("disabled account: err %v, output %q", err, out)
	}
}
