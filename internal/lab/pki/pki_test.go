package pki_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/lab/pki"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

var (
	now   = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	names = []string{"dc1.contoso.com", "localhost"}
	ips   = []net.IP{net.ParseIP("127.0.0.1")}
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestEnsureCACreatesThenReloads(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // created by EnsureCA
	ca, err := pki.EnsureCA(dir, "contoso.com", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := readCert(t, filepath.Join(dir, "ca.pem"))
	if c.Subject.CommonName != "CONTOSO lab CA" || c.Issuer.CommonName != "CONTOSO lab CA" {
		t.Errorf("subject %q issuer %q, want CONTOSO lab CA for both", c.Subject.CommonName, c.Issuer.CommonName)
	}
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: CA %v valid %v maxPathLen %d zero %v, want CA with path length 0", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("key usage %b, want CertSign|CRLSign", c.KeyUsage)
	}
	if c.PublicKeyAlgorithm != x509.ECDSA || c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("algorithms %v/%v, want ECDSA P-256 with SHA-256", c.PublicKeyAlgorithm, c.SignatureAlgorithm)
	}
	if want := now.AddDate(10, 0, 0); !c.NotAfter.Equal(want) || c.NotBefore.After(now) {
		t.Errorf("validity %v..%v, want from before %v to %v", c.NotBefore, c.NotAfter, now, want)
	}
	if c.CheckSignatureFrom(c) != nil {
		t.Error("CA certificate is not self-signed")
	}
	if m := mode(t, filepath.Join(dir, "ca.key")); m != 0o600 {
		t.Errorf("ca.key mode %04o, want 0600", m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", m)
	}
	if !bytes.Equal(ca.CertPEM(), mustRead(t, filepath.Join(dir, "ca.pem"))) {
		t.Error("CertPEM differs from ca.pem")
	}

	again, err := pki.EnsureCA(dir, "contoso.com", now.Add(24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.CertPEM(), ca.CertPEM()) {
		t.Error("a second EnsureCA made a new CA instead of loading the existing one")
	}
	// The reloaded key signs: a server certificate issued with it verifies
	// against the first CA.
	sc, err := again.ServerCert(dir, names, ips, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "dc1.contoso.com", CurrentTime: now}); err != nil {
		t.Errorf("certificate from the reloaded CA: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCANameFromDomain(t *testing.T) {
	t.Parallel()
	for domain, want := range map[string]string{"contoso.com": "CONTOSO lab CA", "CONTOSO": "CONTOSO lab CA", "Fabrikam.Example.": "FABRIKAM lab CA"} {
		ca, err := pki.EnsureCA(t.TempDir(), domain, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ca.Certificate().Subject.CommonName; got != want {
			t.Errorf("EnsureCA(%q): CN %q, want %q", domain, got, want)
		}
	}
}

func TestEnsureCARefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(t *testing.T, dir string)
		wantFile string
		wantMsg  string
		wantIs   error
	}{
		{
			name:     "a ca.key readable by the group",
			mutate:   func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "ca.key"), 0o640) },
			wantFile: "ca.key", wantMsg: "mode is 0640", wantIs: pki.ErrKeyMode,
		},
		{
			name:     "a ca.key writable by others",
			mutate:   func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "ca.key"), 0o602) },
			wantFile: "ca.key", wantMsg: "mode is 0602", wantIs: pki.ErrKeyMode,
		},
		{
			name:     "a ca.pem without its key",
			mutate:   func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "ca.key")) },
			wantFile: "ca.key", wantMsg: "missing while ca.pem exists",
		},
		{
			name:     "a ca.key without its certificate",
			mutate:   func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "ca.pem")) },
			wantFile: "ca.pem", wantMsg: "missing while ca.key exists",
		},
		{
			name: "a key of another CA",
			mutate: func(t *testing.T, dir string) {
				other := t.TempDir()
				if _, err := pki.EnsureCA(other, "fabrikam.com", now, nil); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "ca.key"), mustRead(t, filepath.Join(other, "ca.key")), 0o600)
			},
			wantFile: "ca.key", wantMsg: "key does not belong to the certificate",
		},
		{
			name:     "a ca.pem that is not PEM",
			mutate:   func(t *testing.T, dir string) { write(t, filepath.Join(dir, "ca.pem"), []byte("garbage"), 0o644) },
			wantFile: "ca.pem", wantMsg: "no PEM CERTIFICATE block",
		},
		{
			name: "a ca.pem that is a server certificate",
			mutate: func(t *testing.T, dir string) {
				ca, err := pki.EnsureCA(dir, "contoso.com", now, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ca.ServerCert(dir, names, nil, now, nil); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "ca.pem"), mustRead(t, filepath.Join(dir, "server.pem")), 0o644)
				write(t, filepath.Join(dir, "ca.key"), mustRead(t, filepath.Join(dir, "server.key")), 0o600)
			},
			wantFile: "ca.pem", wantMsg: "is not a CA certificate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := pki.EnsureCA(dir, "contoso.com", now, nil); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
			tt.mutate(t, dir)
			_, err := pki.EnsureCA(dir, "contoso.com", now, nil)
			var pe *pki.Error
			if !errors.As(err, &pe) || filepath.Base(pe.File) != tt.wantFile || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err = %v, want a *pki.Error on %s/%s saying %q", err, dir, tt.wantFile, tt.wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "ca.pem")); before != nil && after != nil && !bytes.Equal(before, after) && tt.wantFile != "ca.pem" {
				t.Error("the refused CA was overwritten")
			}
		})
	}
}

func chmod(t *testing.T, path string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, m); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path string, data []byte, m os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, m); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, m)
}

func TestServerCertContents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := pki.EnsureCA(dir, "contoso.com", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ca.ServerCert(dir, []string{"DC1.contoso.com.", "localhost", "dc1.contoso.com"}, ips, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := readCert(t, filepath.Join(dir, "server.pem"))
	if !bytes.Equal(c.Raw, sc.Leaf.Raw) || !bytes.Equal(c.Raw, sc.Certificate[0]) {
		t.Error("server.pem differs from the returned certificate")
	}
	if got := strings.Join(c.DNSNames, " "); got != "dc1.contoso.com localhost" {
		t.Errorf("DNS names %q, want lower-case and without duplicates", got)
	}
	if len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(ips[0]) {
		t.Errorf("IP addresses %v, want %v", c.IPAddresses, ips)
	}
	if c.Subject.CommonName != "dc1.contoso.com" || c.IsCA || len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("CN %q CA %v EKU %v, want dc1.contoso.com, not a CA, ServerAuth", c.Subject.CommonName, c.IsCA, c.ExtKeyUsage)
	}
	if want := now.Add(365 * 24 * time.Hour); !c.NotAfter.Equal(want) {
		t.Errorf("not after %v, want %v (one year)", c.NotAfter, want)
	}
	if m := mode(t, filepath.Join(dir, "server.key")); m != 0o600 {
		t.Errorf("server.key mode %04o, want 0600", m)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")); err != nil {
		t.Errorf("server.pem and server.key are not a pair: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if _, err := ca.ServerCert(dir, nil, nil, now, nil); err == nil {
		t.Error("ServerCert with no name or address succeeded")
	}
}

func TestServerCertReuseAndReissue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string)
		names     []string
		ips       []net.IP
		at        time.Time
		wantReuse bool
	}{
		{name: "the same names are reused", names: names, ips: ips, at: now, wantReuse: true},
		{name: "fewer names are reused", names: names[:1], at: now.Add(300 * 24 * time.Hour), wantReuse: true},
		{name: "names differing in case are reused", names: []string{"LOCALHOST"}, ips: ips, at: now, wantReuse: true},
		{name: "an added IP is reissued", names: names, ips: append(ips, net.ParseIP("127.0.0.2")), at: now},
		{name: "an added IPv6 address is reissued", names: names, ips: []net.IP{net.ParseIP("::1")}, at: now},
		{name: "an added name is reissued", names: append(names, "dc1"), ips: ips, at: now},
		{name: "30 days or less left is reissued", names: names, ips: ips, at: now.Add(335 * 24 * time.Hour)},
		{name: "a certificate from before its validity is reissued", names: names, ips: ips, at: now.Add(-2 * time.Hour)},
		{
			name: "a pair signed by another CA is reissued", names: names, ips: ips, at: now,
			setup: func(t *testing.T, dir string) {
				other := t.TempDir()
				oca, err := pki.EnsureCA(other, "fabrikam.com", now, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := oca.ServerCert(other, names, ips, now, nil); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "server.pem"), mustRead(t, filepath.Join(other, "server.pem")), 0o644)
				write(t, filepath.Join(dir, "server.key"), mustRead(t, filepath.Join(other, "server.key")), 0o600)
			},
		},
		{
			name: "a key that is not the certificate's is reissued", names: names, ips: ips, at: now,
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "server.key"), mustRead(t, filepath.Join(dir, "ca.key")), 0o600)
			},
		},
		{
			name: "a key readable by others is replaced", names: names, ips: ips, at: now,
			setup: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "server.key"), 0o644) },
		},
		{
			name: "a corrupt server.pem is replaced", names: names, ips: ips, at: now,
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "server.pem"), []byte("x"), 0o644) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ca, err := pki.EnsureCA(dir, "contoso.com", now.Add(-24*time.Hour), nil)
			if err != nil {
				t.Fatal(err)
			}
			first, err := ca.ServerCert(dir, names, ips, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			got, err := ca.ServerCert(dir, tt.names, tt.ips, tt.at, nil)
			if err != nil {
				t.Fatal(err)
			}
			if reused := bytes.Equal(got.Leaf.Raw, first.Leaf.Raw); reused != tt.wantReuse {
				t.Fatalf("reused = %v, want %v", reused, tt.wantReuse)
			}
			onDisk := readCert(t, filepath.Join(dir, "server.pem"))
			if !bytes.Equal(onDisk.Raw, got.Leaf.Raw) {
				t.Error("server.pem is not the returned certificate")
			}
			if m := mode(t, filepath.Join(dir, "server.key")); m != 0o600 {
				t.Errorf("server.key mode %04o, want 0600", m)
			}
			for _, n := range tt.names {
				if err := got.Leaf.VerifyHostname(n); err != nil {
					t.Errorf("certificate does not cover %s: %v", n, err)
				}
			}
			for _, ip := range tt.ips {
				if err := got.Leaf.VerifyHostname(ip.String()); err != nil {
					t.Errorf("certificate does not cover %s: %v", ip, err)
				}
			}
			if _, err := got.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: tt.at.Add(time.Hour)}); err != nil {
				t.Errorf("certificate does not verify against the CA: %v", err)
			}
		})
	}
}

// TestOpenSSLAcceptsServerCert: OpenSSL, an independent X.509 stack,
// verifies the chain, the server purpose, the names and the address, and
// reads both keys.
func TestOpenSSLAcceptsServerCert(t *testing.T) {
	t.Parallel()
	openssl := testpeer.Binaries(t, "openssl", "openssl")[0]
	dir := t.TempDir()
	wall := time.Now()
	ca, err := pki.EnsureCA(dir, "contoso.com", wall, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.ServerCert(dir, names, ips, wall, nil); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, openssl, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "server.pem"); strings.TrimSpace(out) != "server.pem: OK" {
		t.Errorf("openssl verify: %q, want server.pem: OK", out)
	}
	out := run("x509", "-in", "server.pem", "-noout", "-checkhost", "dc1.contoso.com", "-checkip", "127.0.0.1")
	if !strings.Contains(out, "Hostname dc1.contoso.com does match certificate") || !strings.Contains(out, "IP 127.0.0.1 does match certificate") {
		t.Errorf("openssl x509 -checkhost/-checkip:\n%s", out)
	}
	if out := run("x509", "-in", "server.pem", "-noout", "-checkhost", "dc2.contoso.com"); !strings.Contains(out, "does NOT match") {
		t.Errorf("openssl accepted a name not in the certificate:\n%s", out)
	}
	if out := run("x509", "-in", "ca.pem", "-noout", "-text"); !strings.Contains(out, "CA:TRUE, pathlen:0") || !strings.Contains(out, "Certificate Sign, CRL Sign") || !strings.Contains(out, "CN = CONTOSO lab CA") {
		t.Errorf("openssl reads the CA as:\n%s", out)
	}
	for _, key := range []string{"ca.key", "server.key"} {
		if out := run("ec", "-in", key, "-check", "-noout"); !strings.Contains(out, "EC Key valid") {
			t.Errorf("openssl ec -check %s: %q", key, out)
		}
	}
	// A CA created by openssl (SEC 1 key) is loaded as well.
	other := t.TempDir()
	ctx := t.Context()
	for _, args := range [][]string{
		{"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"},
		{"req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=openssl CA", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign", "-out", "ca.pem"},
	} {
		cmd := exec.CommandContext(ctx, openssl, args...)
		cmd.Dir = other
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	chmod(t, filepath.Join(other, "ca.key"), 0o600)
	oca, err := pki.EnsureCA(other, "contoso.com", wall, nil)
	if err != nil {
		t.Fatalf("loading a CA made by openssl: %v", err)
	}
	if oca.Certificate().Subject.CommonName != "openssl CA" {
		t.Errorf("loaded CA %q, want openssl CA", oca.Certificate().Subject.CommonName)
	}
}

// TestGoTLSClientVerifies: a crypto/tls client trusting only Pool reaches
// the server under each certified name and address, and no other.
func TestGoTLSClientVerifies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := pki.EnsureCA(dir, "contoso.com", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ca.ServerCert(dir, names, ips, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	// handshake runs a TLS handshake over a Unix socket (kernel-buffered,
	// so a client's alert cannot deadlock against the server's flight as
	// it can on net.Pipe) and returns the client's error.
	handshake := func(t *testing.T, client *tls.Config) error {
		t.Helper()
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{sc}, Time: clock})
			s.Handshake()
			s.Close()
		}()
		defer func() { <-done }()
		c, err := net.Dial("unix", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return tls.Client(c, client).HandshakeContext(t.Context())
	}
	for _, tt := range []struct {
		serverName string
		wantErr    string
	}{
		{"dc1.contoso.com", ""},
		{"DC1.Contoso.Com", ""},
		{"localhost", ""},
		{"127.0.0.1", ""},
		{"dc2.contoso.com", "not dc2.contoso.com"},
		{"127.0.0.2", "127.0.0.2"},
	} {
		err := handshake(t, &tls.Config{RootCAs: ca.Pool(), ServerName: tt.serverName, Time: clock})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("handshake as %s: %v", tt.serverName, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("handshake as %s: err = %v, want one about %q", tt.serverName, err, tt.wantErr)
		}
	}
	// A client trusting only the system roots refuses the lab.
	if err := handshake(t, &tls.Config{ServerName: "dc1.contoso.com", Time: clock}); err == nil {
		t.Error("a client without the lab CA accepted the server certificate")
	}
}
