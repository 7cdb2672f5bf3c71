package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

func createWebApp01(t *testing.T, tl *testLab) {
	t.Helper()
	admin := tl.dial(t, "", "")
	if _, err := admin.CreateGMSA(context.Background(), directory.GMSAOptions{Name: "WebApp01", DNSHostName: "webapp01.contoso.com",
		SPNs: []string{"http/mysite.contoso.com"}, AllowedPrincipals: []string{"Domain Admins"}}); err != nil {
		t.Fatal(err)
	}
}

func entryNames(x *KeytabExport) []string {
	var out []string
	for _, e := range x.Entries() {
		out = append(out, fmt.Sprintf("%s kvno %d %s", e.Principal, e.KVNO, e.Enctype))
	}
	return out
}

// TestExportKeytabRunningAndStopped: export-keytab goes through the control
// socket while the lab serves (the database is locked) and opens the
// database once it stopped; both give the same keys, which MIT accepts: kinit
// -k logs in as the gMSA and kvno -k checks that the exported SPN key opens
// the ticket the lab's KDC issues for it.
func TestExportKeytabRunningAndStopped(t *testing.T) {
	bins := testpeer.Binaries(t, "mit-krb5-user", "kinit", "kvno")
	tl := startLabKDC(t, testpeer.Loopback("internal/lab"), 0)
	createWebApp01(t, tl)
	ctx := context.Background()

	st, err := os.Stat(filepath.Join(tl.dir, ControlSocket))
	if err != nil {
		t.Fatalf("no control socket while serving: %v", err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("control socket mode %v, want a 0600 socket", st.Mode())
	}

	live, via, err := ExportKeytabFromDir(ctx, tl.dir, "http/mysite.contoso.com")
	if err != nil || via != "socket" {
		t.Fatalf("export from the running lab: via %q, %v", via, err)
	}
	want := []string{
		"http/mysite.contoso.com@CONTOSO.COM kvno 1 aes256-cts-hmac-sha1-96",
		"http/mysite.contoso.com@CONTOSO.COM kvno 1 aes128-cts-hmac-sha1-96",
		"WebApp01$@CONTOSO.COM kvno 1 aes256-cts-hmac-sha1-96",
		"WebApp01$@CONTOSO.COM kvno 1 aes128-cts-hmac-sha1-96",
	}
	if got := entryNames(live); !slices.Equal(got, want) || live.Account != "WebApp01$" || !live.GMSA {
		t.Fatalf("exported %s (gMSA %v):\n%s\nwant\n%s", live.Account, live.GMSA, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, _, err := ExportKeytabFromDir(ctx, tl.dir, "http/nosuch.contoso.com"); !errors.Is(err, ErrUnknownPrincipal) {
		t.Fatalf("unknown SPN through the socket: %v, want ErrUnknownPrincipal", err)
	}
	if _, _, err := ExportKeytabFromDir(ctx, tl.dir, "a//b"); !errors.Is(err, ErrBadPrincipal) {
		t.Fatalf("malformed principal through the socket: %v", err)
	}

	// MIT: the gMSA logs in with the exported keys, and the SPN's key
	// opens the service ticket.
	dir := t.TempDir()
	kt := filepath.Join(dir, "webapp01.keytab")
	if err := WriteKeytabFile(kt, live.Keytab); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(kt); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keytab file: %v %v", st, err)
	}
	conf := filepath.Join(dir, "krb5.conf")
	writeFile(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = CONTOSO.COM\n dns_lookup_kdc = false\n rdns = false\n"+
		"[realms]\n CONTOSO.COM = {\n  kdc = %s:%d\n }\n", tl.info.Listen, tl.info.KDCPort))
	mit := func(bin string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
		}
	}
	mit(bins[0], "-k", "-t", kt, "WebApp01$@CONTOSO.COM")
	mit(bins[1], "-k", kt, "http/mysite.contoso.com@CONTOSO.COM")

	tl.stop()
	if _, err := os.Stat(filepath.Join(tl.dir, ControlSocket)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("control socket left behind after shutdown: %v", err)
	}
	off, via, err := ExportKeytabFromDir(ctx, tl.dir, "http/mysite.contoso.com")
	if err != nil || via != "database" {
		t.Fatalf("export from the stopped lab: via %q, %v", via, err)
	}
	if !slices.Equal(entryNames(off), want) {
		t.Fatalf("offline export differs:\n%s", strings.Join(entryNames(off), "\n"))
	}
	for i := range off.Keytab.Entries {
		if !bytes.Equal(off.Keytab.Entries[i].Key.Bytes(), live.Keytab.Entries[i].Key.Bytes()) {
			t.Fatalf("entry %d: the offline key differs from the one the running lab gave", i)
		}
	}

	// Past the first rollover the gMSA has a new password at kvno 2 and
	// its previous one at kvno 1, both accepted by the KDC: both exported.
	if err := WriteClockOffset(filepath.Join(tl.dir, ClockOffsetFile), 31*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	rolled, _, err := ExportKeytabFromDir(ctx, tl.dir, "WebApp01")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"WebApp01$@CONTOSO.COM kvno 2 aes256-cts-hmac-sha1-96",
		"WebApp01$@CONTOSO.COM kvno 2 aes128-cts-hmac-sha1-96",
		"WebApp01$@CONTOSO.COM kvno 1 aes256-cts-hmac-sha1-96",
		"WebApp01$@CONTOSO.COM kvno 1 aes128-cts-hmac-sha1-96",
	}
	if got := entryNames(rolled); !slices.Equal(got, want) {
		t.Fatalf("after the rollover:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !bytes.Equal(rolled.Keytab.Entries[2].Key.Bytes(), live.Keytab.Entries[0].Key.Bytes()) {
		t.Fatal("the previous password's key at kvno 1 is not the key exported before the rollover")
	}

	// Users: the stored keys, under the account name.
	adm, _, err := ExportKeytabFromDir(ctx, tl.dir, "administrator@CONTOSO.COM")
	if err != nil || adm.GMSA || adm.Account != "Administrator" || len(adm.Keytab.Entries) == 0 ||
		adm.Keytab.Entries[0].Principal.String() != "Administrator@CONTOSO.COM" {
		t.Fatalf("Administrator: %+v %v", adm, err)
	}
	if _, _, err := ExportKeytabFromDir(ctx, tl.dir, "nobody"); !errors.Is(err, ErrUnknownPrincipal) {
		t.Fatalf("unknown account offline: %v", err)
	}
}

// TestControlPeerUID: SO_PEERCRED gives the connecting process's uid (ours).
func TestControlPeerUID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", st, err)
	}
	go func() {
		c, err := net.Dial("unix", path)
		if err == nil {
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uid, ok, err := peerUID(c)
	if err != nil {
		t.Fatal(err)
	}
	if ok && uid != os.Getuid() {
		t.Fatalf("peer uid %d, want %d", uid, os.Getuid())
	}
}

// TestControlRefusesOtherUsers: with the socket opened to everyone, a
// process of another user (nobody) still gets no answer: SO_PEERCRED is
// checked. Needs root to run the client as another user.
func TestControlRefusesOtherUsers(t *testing.T) {
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("needs root on Linux to connect as another user")
	}
	curl := testpeer.Binaries(t, "curl", "curl")[0]
	dir, err := os.MkdirTemp("", "gmsa-control-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o777) // only the peer check guards it now
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(&peerListener{Listener: l, uid: os.Getuid(), log: slog.New(slog.DiscardHandler)})
	defer srv.Close()

	out, err := exec.Command(curl, "-s", "--unix-socket", path, "http://lab/v1/status").CombinedOutput()
	if err != nil || string(out) != "ok" {
		t.Fatalf("root refused: %v %q", err, out)
	}
	cmd := exec.Command(curl, "-s", "--unix-socket", path, "http://lab/v1/status")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err = cmd.CombinedOutput()
	if err == nil || string(out) == "ok" {
		t.Fatalf("nobody got an answer: %v %q", err, out)
	}
}

// FuzzControlRequest: any body to the control API gets a JSON answer,
// never a crash.
func FuzzControlRequest(f *testing.F) {
	dir := f.TempDir()
	d, err := Init(dir, InitOptions{AdminPassword: testAdminPassword})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	h := d.controlHandler()
	for _, s := range []string{`{"principal":"krbtgt"}`, `{"principal":"http/x.contoso.com@CONTOSO.COM"}`, `{"principal":""}`,
		`{"principal":"a@b@c"}`, `{"x":1}`, `[]`, `{"principal":"\\\\/"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/export-keytab", bytes.NewReader(body)))
		if rec.Code != http.StatusOK && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Fatalf("status %d without an error body: %q", rec.Code, rec.Body.String())
		}
	})
}
