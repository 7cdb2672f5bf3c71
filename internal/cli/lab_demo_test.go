package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestLabExportKeytabAndDemoService: the verbs as a user runs them against
// a lab served in-process — `gmsa lab export-keytab` through the running
// lab's control socket (and from the stopped lab's database), then `gmsa lab
// demo-service` with the exported keytab, which curl --negotiate, holding
// the gMSA's ticket from MIT kinit -k, reaches as CONTOSO\WebApp01$.
func TestLabExportKeytabAndDemoService(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user+curl", "kinit", "curl")
	for _, k := range []string{"GMSA_LAB_DATA", "KRB5_CONFIG", "KRB5CCNAME"} {
		t.Setenv(k, "")
	}
	addr := testpeer.Loopback("internal/cli/labdemo")
	dir, info := startCLILab(t, addr)
	ctx := context.Background()
	pw, err := os.ReadFile(info.AdminPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := directory.Dial(ctx, directory.Options{Server: info.LDAPSURL(), CAFile: info.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.BindSimple(ctx, "Administrator@contoso.com", strings.TrimSpace(string(pw))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGMSA(ctx, directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"Domain Admins"}}); err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	cli := func(wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout + stderr
	}
	httpKT := filepath.Join(tmp, "http.keytab")
	out := cli(0, "lab", "export-keytab", "--data", dir, "--principal", "http/mysite.contoso.com", "-f", httpKT, "-o", "json")
	var res labExportResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Via != "socket" || res.Account != "WebApp01$" || !res.GMSA || len(res.Entries) != 4 {
		t.Fatalf("export-keytab: %+v", res)
	}
	st, err := os.Stat(httpKT)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keytab file: %v %v", st, err)
	}
	b, _ := os.ReadFile(httpKT)
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kt.Entries {
		if strings.Contains(strings.ToLower(out), hex.EncodeToString(e.Key.Bytes())) {
			t.Fatal("export-keytab printed key bytes")
		}
	}
	table := cli(0, "lab", "export-keytab", "--data", dir, "--principal", "WebApp01", "-f", filepath.Join(tmp, "webapp01.keytab"))
	if !strings.Contains(table, "WebApp01$@CONTOSO.COM") || !strings.Contains(table, "aes256-cts-hmac-sha1-96") {
		t.Fatalf("export-keytab table:\n%s", table)
	}
	cli(1, "lab", "export-keytab", "--data", dir, "--principal", "http/nosuch.contoso.com", "-f", filepath.Join(tmp, "x"))
	cli(2, "lab", "export-keytab", "--data", dir, "-f", filepath.Join(tmp, "x"))
	if _, err := os.Stat(filepath.Join(tmp, "x")); err == nil {
		t.Fatal("a failed export left a file")
	}

	// demo-service, in-process, on a free port.
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	dctx, cancel := context.WithCancel(ctx)
	var dout, derr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		e := &env{Streams: Streams{In: strings.NewReader(""), Out: &dout, Err: &derr}, now: time.Now}
		done <- run(dctx, []string{"lab", "demo-service", "--spn", "http/mysite.contoso.com", "--keytab", httpKT, "--listen", listen}, e)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo-service exited %d\n%s", code, derr.String())
		}
	}
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if conn, err := net.Dial("tcp", listen); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo-service did not listen\n%s", derr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	conf := filepath.Join(tmp, "krb5.conf")
	if err := os.WriteFile(conf, []byte(strings.Replace(labKrb5Conf(info), "[libdefaults]\n",
		"[libdefaults]\n\tdns_canonicalize_hostname = false\n\tudp_preference_limit = 1\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	krbEnv := append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(tmp, "cc"))
	kinit := exec.Command(bins[0], "-k", "-t", filepath.Join(tmp, "webapp01.keytab"), "WebApp01$@CONTOSO.COM")
	kinit.Env = krbEnv
	if o, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit -k: %v\n%s", err, o)
	}
	_, port, _ := net.SplitHostPort(listen)
	curl := exec.Command(bins[1], "-s", "-S", "-f", "--negotiate", "-u", ":", "--resolve", "mysite.contoso.com:"+port+":"+addr,
		fmt.Sprintf("http://mysite.contoso.com:%s/", port))
	curl.Env = krbEnv
	o, err := curl.CombinedOutput()
	if err != nil || !strings.Contains(string(o), `CONTOSO\WebApp01$`) {
		t.Fatalf("curl --negotiate: %v\n%s\n%s", err, o, derr.String())
	}
	stop()
	if !strings.Contains(dout.String(), "demo service for http/mysite.contoso.com on http://"+net.JoinHostPort(addr, port)) {
		t.Errorf("demo-service printed %q", dout.String())
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
}

func TestLabDemoServiceUsage(t *testing.T) {
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"lab", "demo-service", "--keytab", "x"}, 2},
		{[]string{"lab", "demo-service", "--spn", "http/a.b", "--keytab", "x", "--listen", "nope"}, 2},
		{[]string{"lab", "demo-service", "--spn", "http/a.b", "--keytab", filepath.Join(tmp, "missing")}, 1},
		{[]string{"lab", "export-keytab", "--data", tmp, "--principal", "x", "-f", filepath.Join(tmp, "k")}, 1},
		{[]string{"lab", "export-keytab", "--data", tmp, "--principal", "x"}, 2},
	} {
		if _, stderr, code := runCLI(t, "", c.args...); code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.code, stderr)
		}
	}
}
