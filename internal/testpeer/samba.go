package testpeer

// A Samba AD DC for one test package, after peers.md recipe B: Samba ≥ 4.21
// (Debian bookworm-backports) on the package's own loopback address, with
// Samba's default strict LDAP settings, its own TLS certificate and an MIT
// krb5.conf for client tools.
//
// Provisioning a domain costs about 6 s of Python, so the first DC provisions
// a template once per Samba version, realm and NetBIOS name under the user
// cache directory ($HOME/.cache/opengmsa/samba/…); every DC after that copies
// it (≈0.1 s) and starts in under a second. Copies share the domain SID,
// the secrets and the KDS root key; SambaOptions.Fresh provisions a new domain
// instead. Nothing in the template depends on its path or address: the
// per-instance smb.conf, TLS key and krb5.conf are written anew each time.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	sambaPeer = "samba"
	sambaHost = "dc1" // the DC's host name: dc1.<domain>

	// sambaTemplateRecipe names the provisioning steps below; change it
	// whenever they change, so that old cached templates are not used.
	sambaTemplateRecipe = "r1"

	sambaReadyTimeout = 60 * time.Second
	sambaStopTimeout  = 5 * time.Second
	commandTimeout    = 2 * time.Minute
)

// SambaOptions configures [StartSamba] and [LaunchSamba].
type SambaOptions struct {
	// Addr is the loopback IPv4 address the DC serves on, from [Loopback].
	// Only one DC may use an address at a time. If the address is not yet
	// assigned to "lo", it is added (as a /32) and removed again on Stop:
	// Samba only binds to addresses that an interface carries.
	Addr string
	// Realm is the Kerberos realm and, lower-cased, the DNS domain.
	// Default "CONTOSO.COM".
	Realm string
	// NetBIOS is the NetBIOS domain name. Default "CONTOSO".
	NetBIOS string
	// Fresh provisions a new domain (about 6 s) instead of copying the
	// cached template, so that the DC has its own domain SID, secrets and
	// KDS root key.
	Fresh bool
	// FakeTime, if set, runs samba with libfaketime's FAKETIME=FakeTime
	// (e.g. "+31d", as `faketime -f`). Only LDAP-level checks make sense
	// then: Kerberos clients on the real clock see the skew. See peers.md.
	FakeTime string
	// MaxRuntime is samba's --maximum-runtime: it exits by itself after
	// that long even if the test binary died without stopping it.
	// Default 10 minutes.
	MaxRuntime time.Duration
}

// Samba is a running Samba AD DC. Its fields are read-only.
type Samba struct {
	Dir     string // per-instance state (smb.conf, databases, logs, krb5.conf); Stop removes it
	Addr    string // e.g. "127.0.0.9"; LDAP 389/636, Kerberos 88, kpasswd 464
	Realm   string // "CONTOSO.COM"
	Domain  string // "contoso.com", lower(Realm)
	NetBIOS string // "CONTOSO"
	// AdminPassword is the password of CONTOSO\Administrator.
	AdminPassword string
	// CAFile is the PEM certificate Samba serves on 636 (self-signed, for
	// dc1.<Domain> and Addr, positive serial): the only CA to trust.
	CAFile string
	BaseDN string // "DC=contoso,DC=com"

	bins      sambaBins
	opt       SambaOptions // as launched; Restart changes FakeTime
	cmd       *exec.Cmd
	done      chan struct{} // closed when samba has exited
	waitErr   error         // cmd.Wait's result, valid after done
	addedAddr bool
	stopOnce  sync.Once
	stopErr   error
}

// StartSamba starts a Samba AD DC for the test and stops it in t.Cleanup.
// When Samba is missing, too old (before 4.21, which cannot compute
// msDS-ManagedPassword) or the test does not run as root, the test is
// handed to [Missing]. Use [LaunchSamba] to start one DC in TestMain.
func StartSamba(t testing.TB, opt SambaOptions) *Samba {
	t.Helper()
	s, err := LaunchSamba(opt)
	Check(t, err)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping samba: %v", err)
		}
	})
	return s
}

// LaunchSamba starts a Samba AD DC without a test, for TestMain; the caller
// must call [Samba.Stop]. If the peer is missing the error is an
// [*UnavailableError], which the tests then pass to [Check].
func LaunchSamba(opt SambaOptions) (*Samba, error) {
	bins, err := probeSamba()
	if err != nil {
		return nil, err
	}
	if opt.Realm == "" {
		opt.Realm = "CONTOSO.COM"
	}
	if opt.NetBIOS == "" {
		opt.NetBIOS = "CONTOSO"
	}
	if opt.MaxRuntime == 0 {
		opt.MaxRuntime = 10 * time.Minute
	}
	if ip := net.ParseIP(opt.Addr); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("testpeer: SambaOptions.Addr %q: not an IPv4 loopback address", opt.Addr)
	}
	opt.Realm = strings.ToUpper(opt.Realm)
	opt.NetBIOS = strings.ToUpper(opt.NetBIOS)

	// Not t.TempDir: Samba's unix sockets (private/ldap_priv/ldapi, …) must
	// fit in 108 bytes, and test names make TempDir paths long.
	dir, err := os.MkdirTemp("", "samba-")
	if err != nil {
		return nil, err
	}
	domain := strings.ToLower(opt.Realm)
	s := &Samba{
		Dir:     dir,
		Addr:    opt.Addr,
		Realm:   opt.Realm,
		Domain:  domain,
		NetBIOS: opt.NetBIOS,
		CAFile:  filepath.Join(dir, "ca.pem"),
		BaseDN:  "DC=" + strings.ReplaceAll(domain, ".", ",DC="),
		bins:    bins,
	}
	if err := s.launch(opt); err != nil {
		if stopErr := s.Stop(); stopErr != nil {
			err = fmt.Errorf("%w (and stopping it: %v)", err, stopErr)
		}
		return nil, err
	}
	return s, nil
}

func (s *Samba) launch(opt SambaOptions) error {
	s.opt = opt
	if err := s.populate(opt); err != nil {
		return err
	}
	pw, err := os.ReadFile(s.path("admin.pw"))
	if err != nil {
		return err
	}
	s.AdminPassword = string(pw)
	if err := s.writeTLS(); err != nil {
		return err
	}
	if err := s.writeConfig(); err != nil {
		return err
	}
	if err := s.ensureAddr(); err != nil {
		return err
	}
	for _, port := range []string{"88", "389", "636"} {
		l, err := net.Listen("tcp", net.JoinHostPort(s.Addr, port))
		if err != nil {
			return fmt.Errorf("testpeer: %s:%s is taken (%v): a DC left over from an earlier run exits after its --maximum-runtime, "+
				"or two packages share a Loopback address", s.Addr, port, err)
		}
		l.Close()
	}
	if err := s.start(opt); err != nil {
		return err
	}
	return s.waitReady()
}

// populate fills Dir with a provisioned domain and its admin.pw: a copy of
// the cached template, or a fresh provisioning.
func (s *Samba) populate(opt SambaOptions) error {
	if !opt.Fresh {
		tmpl, err := s.template()
		if err == nil {
			return run(context.Background(), nil, "", "cp", "-a", tmpl+"/.", s.Dir+"/")
		}
		if !errors.Is(err, errNoCache) {
			return err
		}
	}
	return s.provision(s.Dir)
}

var errNoCache = errors.New("no user cache directory")

// template returns the cached provisioned domain for this Samba version,
// realm and NetBIOS name, provisioning it first if needed. Concurrent test
// binaries may both provision; the first rename wins, the other copy goes.
func (s *Samba) template() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", errNoCache
	}
	root := filepath.Join(cache, "opengmsa", "samba")
	key := strings.NewReplacer("/", "_", " ", "_").Replace(
		fmt.Sprintf("%s-%s-%s-%s", s.bins.version, s.Realm, s.NetBIOS, sambaTemplateRecipe))
	final := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(final, "admin.pw")); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", errNoCache
	}
	// A build is a few seconds; an old one was a test binary killed in it.
	if old, _ := filepath.Glob(filepath.Join(root, ".build-*")); len(old) > 0 {
		for _, o := range old {
			if st, err := os.Stat(o); err == nil && time.Since(st.ModTime()) > 10*time.Minute {
				os.RemoveAll(o)
			}
		}
	}
	tmp, err := os.MkdirTemp(root, ".build-")
	if err != nil {
		return "", errNoCache
	}
	if err := s.provision(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(filepath.Join(final, "admin.pw")); statErr == nil {
			return final, nil // another test binary was first
		}
		return "", err
	}
	return final, nil
}

// provision creates a domain in dir (empty) and writes dir/admin.pw. The
// Administrator password never appears in argv: provisioning picks a random
// one, which the LDIF on ldbmodify's stdin replaces.
func (s *Samba) provision(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	log, err := os.Create(filepath.Join(dir, "provision.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, s.bins.sambaTool, "domain", "provision",
		"-s", "/dev/null", // or the options of /etc/samba/smb.conf leak into ours
		"--targetdir="+dir, "--realm="+s.Realm, "--domain="+s.NetBIOS,
		"--server-role=dc", "--dns-backend=NONE", "--host-name="+sambaHost, "--host-ip="+s.Addr,
		"--function-level=2016", "--option=ad dc functional level = 2016",
		"--option=ldb:nosync = true")
	cmd.Stdout, cmd.Stderr, cmd.Env = log, log, cleanEnv()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("testpeer: samba-tool domain provision: %v; last lines of %s:\n%s", err, log.Name(), tail(log.Name(), 20))
	}

	pw, err := randomPassword()
	if err != nil {
		return err
	}
	// DONT_EXPIRE_PASSWORD (0x10000) on Administrator, because templates
	// are reused for weeks and tests may run samba under faketime; and the
	// DC's ldap/ SPNs, which only the dnsupdate service would add.
	fqdn := sambaHost + "." + s.Domain
	ldif := fmt.Sprintf(`dn: CN=Administrator,CN=Users,%[1]s
changetype: modify
replace: unicodePwd
unicodePwd:: %[2]s
-
replace: userAccountControl
userAccountControl: 66048
-

dn: CN=%[3]s,OU=Domain Controllers,%[1]s
changetype: modify
add: servicePrincipalName
servicePrincipalName: ldap/%[4]s
servicePrincipalName: ldap/%[4]s/%[5]s
servicePrincipalName: ldap/%[4]s/%[6]s
servicePrincipalName: ldap/%[3]s
-
`, s.BaseDN, unicodePwd(pw), strings.ToUpper(sambaHost), fqdn, s.Domain, s.NetBIOS)
	if err := run(ctx, nil, ldif, s.bins.ldbmodify,
		"--configfile="+filepath.Join(dir, "etc", "smb.conf"), "-H", filepath.Join(dir, "private", "sam.ldb")); err != nil {
		return fmt.Errorf("testpeer: fixing up the provisioned domain: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "admin.pw"), []byte(pw), 0o600)
}

// writeTLS writes the key and certificate Samba serves, and CAFile. Samba's
// own would have a negative serial, which Go's crypto/x509 rejects.
func (s *Samba) writeTLS() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	fqdn := sambaHost + "." + s.Domain
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: fqdn},
		DNSNames:              []string{fqdn},
		IPAddresses:           []net.IP{net.ParseIP(s.Addr)},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // it is its own trust anchor
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	tls := s.path("private", "tls")
	if err := os.MkdirAll(tls, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tls, "key.pem"), keyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tls, "cert.pem"), certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(s.CAFile, certPEM, 0o644)
}

// writeConfig writes the DC's smb.conf (every path inside Dir, so that DCs
// on other addresses never share a socket or a database), a client smb.conf
// and credentials file for samba-tool, and an MIT krb5.conf.
func (s *Samba) writeConfig() error {
	for _, d := range []string{"run", "ncalrpc", "winbindd", "ntp_signd", "cache", "client"} {
		if err := os.MkdirAll(s.path(d), 0o700); err != nil {
			return err
		}
	}
	r := strings.NewReplacer("{dir}", s.Dir, "{addr}", s.Addr, "{realm}", s.Realm,
		"{netbios}", s.NetBIOS, "{domain}", s.Domain, "{host}", strings.ToUpper(sambaHost))
	files := []struct {
		name, text string
		mode       os.FileMode
	}{{
		name: "etc/smb.conf",
		mode: 0o644,
		text: `# A test DC started by internal/testpeer (peers.md, recipe B).
[global]
	netbios name = {host}
	realm = {realm}
	workgroup = {netbios}
	server role = active directory domain controller
	ad dc functional level = 2016
	interfaces = {addr}
	bind interfaces only = yes
	server services = ldap, cldap, kdc, rpc
	prefork children = 2
	private dir = {dir}/private
	lock directory = {dir}
	state directory = {dir}/state
	cache directory = {dir}/cache
	binddns dir = {dir}/bind-dns
	pid directory = {dir}/run
	ncalrpc dir = {dir}/ncalrpc
	winbindd socket directory = {dir}/winbindd
	ntp signd socket directory = {dir}/ntp_signd
	log file = {dir}/log.%m
	tls enabled = yes
	tls keyfile = {dir}/private/tls/key.pem
	tls certfile = {dir}/private/tls/cert.pem
	tls cafile =
	ldb:nosync = true

[sysvol]
	path = {dir}/state/sysvol
	read only = no

[netlogon]
	path = {dir}/state/sysvol/{domain}/scripts
	read only = no
`,
	}, {
		name: "etc/client.conf",
		mode: 0o644,
		text: `# samba-tool's client configuration for the test DC at {addr}.
[global]
	realm = {realm}
	workgroup = {netbios}
	netbios name = TESTCLIENT
	private dir = {dir}/client
	lock directory = {dir}/client
	state directory = {dir}/client
	cache directory = {dir}/client
	pid directory = {dir}/client
	ncalrpc dir = {dir}/client
	log file = {dir}/client/log.%m
`,
	}, {
		name: "krb5.conf",
		mode: 0o644,
		text: `[libdefaults]
	default_realm = {realm}
	dns_lookup_realm = false
	dns_lookup_kdc = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1

[realms]
	{realm} = {
		kdc = {addr}:88
		admin_server = {addr}
		kpasswd_server = {addr}:464
	}

[domain_realm]
	.{domain} = {realm}
	{domain} = {realm}
`,
	}}
	for _, f := range files {
		if err := os.WriteFile(s.path(f.name), []byte(r.Replace(f.text)), f.mode); err != nil {
			return err
		}
	}
	auth := "username = Administrator\npassword = " + s.AdminPassword + "\ndomain = " + s.NetBIOS + "\n"
	return os.WriteFile(s.path("samba-tool.auth"), []byte(auth), 0o600)
}

// ensureAddr puts Addr on "lo" unless an interface already carries it.
func (s *Samba) ensureAddr() error {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return err
	}
	want := net.ParseIP(s.Addr)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(want) {
			return nil
		}
	}
	ip, err := lookPath("ip")
	if err != nil {
		return &UnavailableError{Peer: "iproute2", Reason: fmt.Sprintf("%q not found, needed to add %s to lo", "ip", s.Addr)}
	}
	if err := run(context.Background(), nil, "", ip, "addr", "add", s.Addr+"/32", "dev", "lo"); err != nil {
		return fmt.Errorf("testpeer: adding %s to lo: %w", s.Addr, err)
	}
	s.addedAddr = true
	return nil
}

func (s *Samba) start(opt SambaOptions) error {
	env := cleanEnv()
	if opt.FakeTime != "" {
		// libfaketime preloaded directly rather than the faketime wrapper,
		// which would stand between us and samba: Pdeathsig would then
		// reach the wrapper only, and samba would outlive a dead test.
		libs, _ := filepath.Glob("/usr/lib/*/faketime/libfaketime.so.1")
		if len(libs) == 0 {
			return &UnavailableError{Peer: "faketime", Reason: "libfaketime.so.1 not found under /usr/lib/*/faketime"}
		}
		env = append(env, "LD_PRELOAD="+libs[0], "FAKETIME="+opt.FakeTime)
	}
	out, err := os.Create(s.path("samba.out"))
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bins.samba, "-F", "-s", s.path("etc", "smb.conf"), "--debug-stdout", "-d", "1",
		"--maximum-runtime="+strconv.Itoa(int(opt.MaxRuntime.Seconds())))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = s.Dir, env, out, out
	// Its own process group, so that Stop reaches every worker (samba's
	// workers are double-forked and do not stay its children); and SIGTERM
	// should the test binary die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	s.cmd, s.done = cmd, make(chan struct{})
	started := make(chan error)
	go func() {
		// Pdeathsig fires when the *thread* that forked exits, and Go
		// ends a thread when a goroutine exits while locked to it — any
		// test's goroutine that happened to run on our thread. So fork
		// from a thread locked to this goroutine until samba has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		s.waitErr = cmd.Wait()
		out.Close()
		close(s.done)
	}()
	if err := <-started; err != nil {
		out.Close()
		s.cmd = nil
		return fmt.Errorf("testpeer: starting samba: %w", err)
	}
	return nil
}

// waitReady waits until the rootDSE answers over ldaps and the KDC accepts
// TCP connections.
func (s *Samba) waitReady() error {
	deadline := time.Now().Add(sambaReadyTimeout)
	kdcUp, ldapUp := false, false
	var lastErr error
	for {
		select {
		case <-s.done:
			return fmt.Errorf("testpeer: samba exited before it was ready (%v); last lines of %s:\n%s",
				s.waitErr, s.path("samba.out"), tail(s.path("samba.out"), 30))
		default:
		}
		if !kdcUp {
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Addr, "88"), time.Second); err == nil {
				c.Close()
				kdcUp = true
			} else {
				lastErr = err
			}
		}
		if !ldapUp {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.search(ctx, LDAPConn{Anonymous: true}, "", "base", "(objectClass=*)", "dnsHostName")
			cancel()
			ldapUp, lastErr = err == nil, err
		}
		if kdcUp && ldapUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testpeer: samba on %s not ready after %v (kdc %v, ldaps %v, last error: %v); last lines of %s:\n%s",
				s.Addr, sambaReadyTimeout, kdcUp, ldapUp, lastErr, s.path("samba.out"), tail(s.path("samba.out"), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the DC and every process of its group (SIGTERM, then SIGKILL
// after 5 s), takes back the loopback address it added, and removes Dir.
// It may be called more than once.
func (s *Samba) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

// Restart stops samba and starts it again on the same databases, with
// libfaketime's FAKETIME set to fakeTime ("" for the real clock). Objects
// made before keep their whenCreated and msDS-ManagedPasswordId while the
// DC's clock moves: this is how password rotation is checked against a real
// DC (LDAP-level checks only; Kerberos clients on the real clock would see
// the skew).
func (s *Samba) Restart(t testing.TB, fakeTime string) {
	t.Helper()
	if err := s.kill(); err != nil {
		t.Fatal(err)
	}
	s.opt.FakeTime = fakeTime
	err := s.start(s.opt)
	if err == nil {
		err = s.waitReady()
	}
	Check(t, err)
}

// kill ends samba's process group and waits until it is gone.
func (s *Samba) kill() error {
	if s.cmd == nil {
		return nil
	}
	pgid := s.cmd.Process.Pid
	s.cmd = nil
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	if !s.waitGone(pgid, sambaStopTimeout) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		if !s.waitGone(pgid, sambaStopTimeout) {
			return fmt.Errorf("testpeer: samba process group %d still alive after SIGKILL", pgid)
		}
	}
	return nil
}

func (s *Samba) stop() error {
	var errs []error
	if err := s.kill(); err != nil {
		errs = append(errs, err)
	}
	if s.addedAddr {
		if ip, err := lookPath("ip"); err == nil {
			if err := run(context.Background(), nil, "", ip, "addr", "del", s.Addr+"/32", "dev", "lo"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// waitGone waits until samba has been reaped and no live (non-zombie)
// process is left in its process group.
func (s *Samba) waitGone(pgid int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case <-s.done:
			if !groupAlive(pgid) {
				return true
			}
		default:
		}
		select {
		case <-deadline:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// groupAlive reports whether a process that is not a zombie has process
// group pgid.
func groupAlive(pgid int) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may contain spaces and ")".
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

func (s *Samba) path(elem ...string) string {
	return filepath.Join(append([]string{s.Dir}, elem...)...)
}

// sambaBins are the programs a DC needs, found once per test binary.
type sambaBins struct {
	samba, sambaTool, ldapsearch, ldapmodify, ldbmodify string
	version                                             string // e.g. "4.22.6-Debian-4.22.6+dfsg-0+deb13u1~bpo12+1"
}

var (
	probeOnce sync.Once
	probed    sambaBins
	probeErr  error
)

func probeSamba() (sambaBins, error) {
	probeOnce.Do(func() { probed, probeErr = probeSambaOnce() })
	return probed, probeErr
}

func probeSambaOnce() (sambaBins, error) {
	if os.Geteuid() != 0 {
		return sambaBins{}, &UnavailableError{Peer: sambaPeer, Reason: "a Samba AD DC needs root"}
	}
	var b sambaBins
	for _, p := range []struct {
		dst  *string
		name string
	}{{&b.samba, "samba"}, {&b.sambaTool, "samba-tool"}, {&b.ldbmodify, "ldbmodify"},
		{&b.ldapsearch, "ldapsearch"}, {&b.ldapmodify, "ldapmodify"}} {
		path, err := lookPath(p.name)
		if err != nil {
			return sambaBins{}, &UnavailableError{Peer: sambaPeer,
				Reason: fmt.Sprintf("%q not found on PATH or in /usr/sbin, /sbin", p.name)}
		}
		*p.dst = path
	}
	out, err := exec.Command(b.samba, "--version").Output()
	if err != nil {
		return sambaBins{}, &UnavailableError{Peer: sambaPeer, Reason: fmt.Sprintf("samba --version: %v", err)}
	}
	b.version = strings.TrimPrefix(strings.TrimSpace(string(out)), "Version ")
	var major, minor int
	if _, err := fmt.Sscanf(b.version, "%d.%d", &major, &minor); err != nil {
		return sambaBins{}, &UnavailableError{Peer: sambaPeer, Reason: fmt.Sprintf("cannot read samba version %q", b.version)}
	}
	if major < 4 || major == 4 && minor < 21 {
		return sambaBins{}, &UnavailableError{Peer: sambaPeer, Reason: fmt.Sprintf(
			"samba %s is older than 4.21 and never computes msDS-ManagedPassword (Samba 4.22 comes from bookworm-backports)", b.version)}
	}
	return b, nil
}

// randomPassword returns a password that meets AD's complexity rules.
func randomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "Tp-" + hex.EncodeToString(b) + "-9x", nil
}
