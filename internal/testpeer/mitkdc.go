package testpeer

// An MIT Kerberos 1.20 KDC for one test, after peers.md recipe A: a realm
// database in the test's temporary directory, krb5kdc in the foreground on
// the package's loopback address and a free port (UDP and TCP), and a
// krb5.conf that points MIT's client tools (kinit, klist, kvno, ktutil) at
// it. Creating the realm and starting the KDC take about 0.1 s, so each test
// gets its own.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	mitPeer         = "mit-krb5"
	mitReadyTimeout = 10 * time.Second
	mitStopTimeout  = 5 * time.Second
	mitCmdTimeout   = time.Minute
)

// MITDefaultEnctypes are the encryption types an [MITKDC] gives principals
// unless [MITKDCOptions].Enctypes says otherwise: the AES types of RFC 3962
// and RFC 8009, strongest first.
var MITDefaultEnctypes = []string{
	"aes256-cts-hmac-sha1-96",
	"aes128-cts-hmac-sha1-96",
	"aes256-cts-hmac-sha384-192",
	"aes128-cts-hmac-sha256-128",
}

// MITKDCOptions configures [StartMITKDC].
type MITKDCOptions struct {
	// Addr is the loopback IPv4 address the KDC listens on, from
	// [Loopback]. Linux routes all of 127/8 to lo, so nothing is added.
	Addr string
	// Realm is the realm the database holds. Default "CONTOSO.COM".
	Realm string
	// Enctypes are the KDC's supported_enctypes (MIT names, each with the
	// normal salt) and so the keys addprinc and ktadd make. Default
	// [MITDefaultEnctypes]. The client's krb5.conf permits these and the
	// four AES types.
	Enctypes []string
}

// MITKDC is a running MIT krb5kdc with its realm database. Its fields are
// read-only.
type MITKDC struct {
	Dir      string // the realm's files: krb5.conf, kdc.conf, database, kdc.log
	Addr     string // e.g. "127.0.0.12"
	Port     int    // UDP and TCP
	Realm    string // "CONTOSO.COM"
	Enctypes []string

	bins map[string]string
	cmd  *exec.Cmd
	done chan struct{} // closed when krb5kdc has exited
}

// mitTools are the programs StartMITKDC needs; a missing one hands the test
// to [Missing].
var mitTools = []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist", "kvno", "ktutil"}

// StartMITKDC creates a realm and starts krb5kdc for the test; t.Cleanup
// stops it. When the MIT tools are not installed (Debian: krb5-kdc,
// krb5-admin-server, krb5-user) the test is handed to [Missing].
func StartMITKDC(t testing.TB, opt MITKDCOptions) *MITKDC {
	t.Helper()
	paths := Binaries(t, mitPeer, mitTools...)
	if ip := net.ParseIP(opt.Addr); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		t.Fatalf("testpeer: MITKDCOptions.Addr %q: not an IPv4 loopback address", opt.Addr)
	}
	if opt.Realm == "" {
		opt.Realm = "CONTOSO.COM"
	}
	if len(opt.Enctypes) == 0 {
		opt.Enctypes = MITDefaultEnctypes
	}
	k := &MITKDC{
		Dir:      t.TempDir(),
		Addr:     opt.Addr,
		Realm:    strings.ToUpper(opt.Realm),
		Enctypes: append([]string(nil), opt.Enctypes...),
		bins:     map[string]string{},
	}
	for i, name := range mitTools {
		k.bins[name] = paths[i]
	}
	if err := os.WriteFile(k.path("kadm5.acl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Another test may take the port between our probe and krb5kdc's bind:
	// try a few.
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if k.Port, err = freeMITPort(k.Addr); err != nil {
			t.Fatal(err)
		}
		if err = k.writeConfig(); err != nil {
			t.Fatal(err)
		}
		if attempt == 0 {
			// kdb5_util reads the database and stash paths from
			// kdc.conf; the port does not matter to it. The master
			// password of this throwaway database is in argv, which is
			// harmless here.
			if _, _, err := k.admin("", k.bins["kdb5_util"], "create", "-s", "-r", k.Realm, "-P", "test-master-password"); err != nil {
				t.Fatal(err)
			}
		}
		if err = k.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.stop(); err != nil {
			t.Errorf("stopping krb5kdc: %v", err)
		}
	})
	return k
}

func (k *MITKDC) path(name string) string { return filepath.Join(k.Dir, name) }

func (k *MITKDC) hostPort() string { return net.JoinHostPort(k.Addr, strconv.Itoa(k.Port)) }

// freeMITPort finds a port on addr that is free for both TCP and UDP.
func freeMITPort(addr string) (int, error) {
	var lastErr error
	for range 20 {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			return 0, fmt.Errorf("testpeer: finding a port on %s: %w", addr, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort(addr, strconv.Itoa(port)))
		l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("testpeer: no port on %s free for both TCP and UDP: %w", addr, lastErr)
}

func (k *MITKDC) writeConfig() error {
	// The client may use every AES type, whatever the KDC issues.
	client := append([]string(nil), k.Enctypes...)
	for _, e := range MITDefaultEnctypes {
		if !containsString(client, e) {
			client = append(client, e)
		}
	}
	enctypes := strings.Join(client, " ")
	krb5 := fmt.Sprintf(`[libdefaults]
    default_realm = %[1]s
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    udp_preference_limit = 1
    permitted_enctypes = %[3]s
    default_tkt_enctypes = %[3]s
    default_tgs_enctypes = %[3]s
[realms]
    %[1]s = {
        kdc = %[2]s
    }
[domain_realm]
    .%[4]s = %[1]s
    %[4]s = %[1]s
`, k.Realm, k.hostPort(), enctypes, strings.ToLower(k.Realm))
	var supported []string
	for _, e := range k.Enctypes {
		supported = append(supported, e+":normal")
	}
	kdc := fmt.Sprintf(`[kdcdefaults]
    kdc_listen = %[2]s
    kdc_tcp_listen = %[2]s
[realms]
    %[1]s = {
        database_name = %[3]s
        key_stash_file = %[4]s
        acl_file = %[5]s
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        default_principal_flags = +preauth
        supported_enctypes = %[6]s
    }
[logging]
    kdc = FILE:%[7]s
`, k.Realm, k.hostPort(), k.path("principal"), k.path("stash"), k.path("kadm5.acl"), strings.Join(supported, " "), k.path("kdc.log"))
	if err := os.WriteFile(k.path("krb5.conf"), []byte(krb5), 0o644); err != nil {
		return err
	}
	return os.WriteFile(k.path("kdc.conf"), []byte(kdc), 0o644)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// start runs krb5kdc -n and waits until it accepts TCP connections.
func (k *MITKDC) start() error {
	out, err := os.Create(k.path("krb5kdc.out"))
	if err != nil {
		return err
	}
	cmd := exec.Command(k.bins["krb5kdc"], "-n", "-P", k.path("kdc.pid"))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = k.Dir, k.adminEnv(), out, out
	// SIGTERM should the test binary die without its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	done := make(chan struct{})
	started := make(chan error)
	go func() {
		// Pdeathsig fires when the thread that forked exits; keep it
		// alive until krb5kdc has (see Samba.start).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	if err := <-started; err != nil {
		out.Close()
		return fmt.Errorf("testpeer: starting krb5kdc: %w", err)
	}
	k.cmd, k.done = cmd, done
	deadline := time.Now().Add(mitReadyTimeout)
	for {
		select {
		case <-done:
			k.cmd = nil
			return fmt.Errorf("testpeer: krb5kdc exited before it was ready (%v); %s:\n%s\n%s:\n%s",
				cmd.ProcessState, k.path("krb5kdc.out"), mitTail(k.path("krb5kdc.out"), 10), k.path("kdc.log"), mitTail(k.path("kdc.log"), 10))
		default:
		}
		if c, err := net.DialTimeout("tcp", k.hostPort(), time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			_ = k.stop()
			return fmt.Errorf("testpeer: krb5kdc on %s not ready after %v; %s:\n%s", k.hostPort(), mitReadyTimeout, k.path("kdc.log"), mitTail(k.path("kdc.log"), 10))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends krb5kdc: SIGTERM, then SIGKILL after 5 s.
func (k *MITKDC) stop() error {
	if k.cmd == nil {
		return nil
	}
	cmd := k.cmd
	k.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.done:
		return nil
	case <-time.After(mitStopTimeout):
	}
	_ = cmd.Process.Kill()
	select {
	case <-k.done:
		return nil
	case <-time.After(mitStopTimeout):
		return fmt.Errorf("testpeer: krb5kdc (pid %d) still running after SIGKILL", cmd.Process.Pid)
	}
}

// Env is the environment for MIT client tools against this KDC: the test
// binary's, without its KRB5* variables, plus KRB5_CONFIG (the generated
// krb5.conf) and a KRB5CCNAME inside Dir, so that no tool touches the
// user's own cache. Append a later KRB5CCNAME to override it.
func (k *MITKDC) Env() []string {
	return append(mitCleanEnv(), "KRB5_CONFIG="+k.path("krb5.conf"), "KRB5CCNAME=FILE:"+k.path("krb5cc_default"))
}

// ClientEnv is [MITKDC.Env] with a krb5.conf of its own that permits only
// the given encryption types (permitted_enctypes, default_tkt_enctypes,
// default_tgs_enctypes), so that kinit -k must use that key of a keytab.
func (k *MITKDC) ClientEnv(t testing.TB, enctypes ...string) []string {
	t.Helper()
	b, err := os.ReadFile(k.path("krb5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if name, _, ok := strings.Cut(l, " = "); ok && strings.HasSuffix(name, "_enctypes") {
			lines[i] = name + " = " + strings.Join(enctypes, " ")
		}
	}
	f, err := os.CreateTemp(k.Dir, "krb5-*.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n")); err != nil {
		t.Fatal(err)
	}
	return append(k.Env(), "KRB5_CONFIG="+f.Name())
}

// adminEnv adds the KDC profile, for kdb5_util, kadmin.local and krb5kdc.
func (k *MITKDC) adminEnv() []string {
	return append(k.Env(), "KRB5_KDC_PROFILE="+k.path("kdc.conf"))
}

// Admin runs one kadmin.local query ("getprinc alice", "addprinc -randkey
// -e aes256-cts-hmac-sha1-96:normal svc/x") and returns its standard
// output; stdin answers its prompts. kadmin itself splits the query into
// words. kadmin.local exits 0 even when a query fails, so a "… while …"
// message on its standard error fails the test.
func (k *MITKDC) Admin(t testing.TB, stdin, query string) string {
	t.Helper()
	out, stderr, err := k.admin(stdin, k.bins["kadmin.local"], "-r", k.Realm, "-q", query)
	if err == nil && strings.Contains(stderr, " while ") {
		err = fmt.Errorf("testpeer: kadmin.local -q %q: %s", query, strings.TrimSpace(stderr))
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (k *MITKDC) admin(stdin, bin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = k.adminEnv(), k.Dir
	return mitRun(cmd, stdin)
}

// AddPrincipal creates name (e.g. "alice", "HTTP/web.contoso.com") with a
// password and the KDC's Enctypes, each with the normal salt: the realm
// followed by the components. The password goes to kadmin.local on stdin
// (its prompt and confirmation), never in argv, so it does not show in ps.
func (k *MITKDC) AddPrincipal(t testing.TB, name, password string) {
	t.Helper()
	if strings.ContainsAny(password, "\n\r") {
		t.Fatalf("testpeer: AddPrincipal %s: the password cannot hold a newline (it is typed at a prompt)", name)
	}
	k.mustCreate(t, name, password+"\n"+password+"\n", "addprinc "+name)
}

// AddRandKey creates name with random keys of the KDC's Enctypes.
func (k *MITKDC) AddRandKey(t testing.TB, name string) {
	t.Helper()
	k.mustCreate(t, name, "", "addprinc -randkey "+name)
}

func (k *MITKDC) mustCreate(t testing.TB, name, stdin, query string) {
	t.Helper()
	k.Admin(t, stdin, query)
	if out := k.Admin(t, "", "getprinc "+name); !strings.Contains(out, "Principal: ") {
		t.Fatalf("testpeer: kadmin.local %q did not create %s", query, name)
	}
}

// ExportKeytab writes name's current keys to the keytab file path with
// kadmin.local ktadd -norandkey, so that passwords stay valid. Adding to an
// existing file appends entries, as ktadd does.
func (k *MITKDC) ExportKeytab(t testing.TB, name, path string) {
	t.Helper()
	out := k.Admin(t, "", "ktadd -norandkey -k "+path+" "+name)
	if !strings.Contains(out, "added to keytab") {
		t.Fatalf("testpeer: ktadd %s: %q", name, out)
	}
}

// Command returns an MIT client tool ("kinit", "klist", "kvno", "ktutil")
// ready to run against this KDC with [MITKDC.Env]; the caller may append to
// its Env or set Stdin before running it.
func (k *MITKDC) Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	bin, ok := k.bins[name]
	if !ok {
		bin = Binaries(t, mitPeer, name)[0]
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = k.Env(), k.Dir
	return cmd
}

// Run runs an MIT client tool with [MITKDC.Env] and returns its standard
// output; a non-zero exit fails the test with its standard error.
func (k *MITKDC) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return k.RunInput(t, "", name, args...)
}

// RunInput is [MITKDC.Run] with stdin: kinit reads a password from it.
func (k *MITKDC) RunInput(t testing.TB, stdin, name string, args ...string) string {
	t.Helper()
	out, _, err := mitRun(k.Command(t, name, args...), stdin)
	if err != nil {
		t.Fatalf("%v\nkdc.log:\n%s", err, mitTail(k.path("kdc.log"), 5))
	}
	return out
}

// mitRun runs cmd with a time limit and returns its stdout and stderr; the
// error names the program and arguments (never a password: those go on
// stdin) and carries stderr.
func mitRun(cmd *exec.Cmd, stdin string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return "", "", fmt.Errorf("testpeer: %s: %w", strings.Join(cmd.Args, " "), err)
	}
	timer := time.AfterFunc(mitCmdTimeout, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("exit status %d", exit.ExitCode())
		}
		return stdout.String(), stderr.String(), fmt.Errorf("testpeer: %s %s: %v: %s",
			filepath.Base(cmd.Args[0]), strings.Join(cmd.Args[1:], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), stderr.String(), nil
}

// mitCleanEnv is the test binary's environment without Kerberos variables a
// test may have set for another peer.
func mitCleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KRB5") {
			env = append(env, kv)
		}
	}
	return env
}

// mitTail returns the last n lines of a file, for error messages.
func mitTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
