package lab

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/lab/pki"
)

// InfoFile is the name of the file `gmsa lab serve` writes once listening.
const InfoFile = "lab.json"

// Info is lab.json: where a running lab listens. `gmsa lab env` and tests
// read it.
type Info struct {
	Realm     string `json:"realm"`
	Domain    string `json:"domain"`
	NetBIOS   string `json:"netbios"`
	DC        string `json:"dc"`     // dc1.contoso.com
	Listen    string `json:"listen"` // the IP address
	LDAPPort  int    `json:"ldapPort"`
	LDAPSPort int    `json:"ldapsPort"`
	KDCPort   int    `json:"kdcPort,omitempty"`
	DNSPort   int    `json:"dnsPort,omitempty"`
	CAFile    string `json:"caFile"`
	// AdminPasswordFile is set when Init generated the password.
	AdminPasswordFile string    `json:"adminPasswordFile,omitempty"`
	PID               int       `json:"pid"`
	Started           time.Time `json:"started"`
}

// LDAPURL and LDAPSURL are the lab's LDAP endpoints.
func (i *Info) LDAPURL() string {
	return "ldap://" + net.JoinHostPort(i.Listen, strconv.Itoa(i.LDAPPort))
}

// LDAPSURL is the LDAPS endpoint.
func (i *Info) LDAPSURL() string {
	return "ldaps://" + net.JoinHostPort(i.Listen, strconv.Itoa(i.LDAPSPort))
}

// ReadInfo reads DIR/lab.json.
func ReadInfo(dir string) (*Info, error) {
	path := filepath.Join(dir, InfoFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: is `gmsa lab serve --data %s` running?", path, dir)
		}
		return nil, err
	}
	var i Info
	if err := json.Unmarshal(b, &i); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &i, nil
}

// ServeOptions say where `gmsa lab serve` listens.
type ServeOptions struct {
	Dir    string
	Listen string // IP address, default 127.0.0.1
	// Ports: 0 picks the standard port (389, 636, 88) when it is free and
	// bindable, else the next free one above it, else any free port.
	// DNSPort 0 means no DNS responder; -1 disables the KDC.
	LDAPPort, LDAPSPort, KDCPort, DNSPort int
	// ClockOffset, when not nil, sets the KDS clock offset at start.
	ClockOffset *time.Duration
	Logger      *slog.Logger
	// Ready, when set, is called once every listener is up and lab.json is
	// written.
	Ready func(*Info)
	Now   func() time.Time
}

// Serve runs the lab domain in dir until ctx is cancelled: LDAP (with
// StartTLS) and LDAPS on the listen address, and the DNS responder when
// asked. It writes DIR/lab.json once listening and removes it on the way
// out.
func Serve(ctx context.Context, o ServeOptions) error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1"
	}
	ip := net.ParseIP(o.Listen)
	if ip == nil {
		return fmt.Errorf("--listen %q: want an IP address such as 127.0.0.1", o.Listen)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d, err := Open(o.Dir, Options{Logger: o.Logger, Now: o.Now, ClockOffsetFile: filepath.Join(o.Dir, ClockOffsetFile)})
	if err != nil {
		return err
	}
	defer d.Close()
	if o.ClockOffset != nil {
		if err := d.SetClockOffset(*o.ClockOffset); err != nil {
			return err
		}
	}
	dom := d.Domain()
	ca, err := pki.EnsureCA(o.Dir, dom.DNSName, o.Now(), nil)
	if err != nil {
		return err
	}
	ips := []net.IP{ip}
	if !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		ips = append(ips, net.IPv4(127, 0, 0, 1))
	}
	cert, err := ca.ServerCert(o.Dir, []string{dom.DCName, "localhost"}, ips, o.Now(), nil)
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	ldapL, err := listenTCP(o.Listen, o.LDAPPort, 389)
	if err != nil {
		return fmt.Errorf("LDAP listener: %w", err)
	}
	ldapsL, err := listenTCP(o.Listen, o.LDAPSPort, 636)
	if err != nil {
		ldapL.Close()
		return fmt.Errorf("LDAPS listener: %w", err)
	}
	handler, err := d.LDAPHandlerTLS(cert) // GSSAPI binds over TLS check its channel bindings
	if err != nil {
		ldapL.Close()
		ldapsL.Close()
		return err
	}
	srv := &ldapserver.Server{Handler: handler, TLSConfig: tlsConfig, SupportedControls: SupportedControls(),
		Logger: o.Logger.With("component", "ldap")}

	info := &Info{Realm: dom.Realm(), Domain: dom.DNSName, NetBIOS: dom.NetBIOS, DC: dom.DCName, Listen: o.Listen,
		LDAPPort: port(ldapL.Addr()), LDAPSPort: port(ldapsL.Addr()), CAFile: filepath.Join(o.Dir, pki.CAFile),
		PID: os.Getpid(), Started: o.Now().UTC()}
	if abs, err := filepath.Abs(info.CAFile); err == nil {
		info.CAFile = abs
	}
	if _, err := os.Stat(filepath.Join(o.Dir, AdminPasswordFile)); err == nil {
		info.AdminPasswordFile, _ = filepath.Abs(filepath.Join(o.Dir, AdminPasswordFile))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	run("ldap", func() error { return srv.Serve(ctx, ldapL) })
	run("ldaps", func() error { return srv.ServeTLS(ctx, ldapsL) })
	for _, s := range extraServices {
		if err := s(ctx, d, o, info, run); err != nil {
			cancel()
			wg.Wait()
			return err
		}
	}

	b, _ := json.MarshalIndent(info, "", "  ")
	infoPath := filepath.Join(o.Dir, InfoFile)
	if err := writeFileAtomic(infoPath, append(b, '\n'), 0o644); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	defer os.Remove(infoPath)
	o.Logger.Info("lab domain serving", "domain", info.Domain, "ldap", info.LDAPURL(), "ldaps", info.LDAPSURL(),
		"kdc", info.KDCPort, "dns", info.DNSPort)
	if o.Ready != nil {
		o.Ready(info)
	}
	<-ctx.Done()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	o.Logger.Info("lab domain stopped")
	return nil
}

// extraServices start the services other files add (KDC, DNS); each may
// fill in its port in info and start goroutines with run.
var extraServices []func(ctx context.Context, d *Directory, o ServeOptions, info *Info, run func(string, func() error)) error

func port(a net.Addr) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	if u, ok := a.(*net.UDPAddr); ok {
		return u.Port
	}
	return 0
}

// portCandidates lists the ports to try: the explicit one, or the standard
// port and the next few above it, then any free port (0).
func portCandidates(explicit, standard int) []int {
	if explicit > 0 {
		return []int{explicit}
	}
	c := make([]int, 0, 12)
	for p := standard; p < standard+10; p++ {
		c = append(c, p)
	}
	return append(c, 0)
}

func listenTCP(host string, explicit, standard int) (net.Listener, error) {
	var last error
	for _, p := range portCandidates(explicit, standard) {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return l, nil
		}
		last = err
	}
	return nil, last
}
