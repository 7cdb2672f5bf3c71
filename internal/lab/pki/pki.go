package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/atomicfile"
)

// File names inside the data directory.
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca.key"
	ServerFile     = "server.pem"
	ServerKeyFile  = "server.key"
	caLifetime     = 10 // years
	serverLifetime = 365 * 24 * time.Hour
	// renewBefore: a server certificate with less left than this is
	// reissued rather than reused.
	renewBefore = 30 * 24 * time.Hour
	// backdate covers clients whose clock is a little behind the lab's.
	backdate = time.Hour
)

// ErrKeyMode is matched (errors.Is) by the error for a ca.key whose mode
// lets others than its owner read or write it.
var ErrKeyMode = errors.New("key file mode wider than 0600")

// Error is what this package returns: the file concerned and why.
type Error struct {
	File string // the path, e.g. "/var/lib/gmsa-lab/ca.key"
	Err  error
}

func (e *Error) Error() string { return "pki: " + e.File + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// CA is the lab's certificate authority: its certificate and key.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// EnsureCA loads DIR/ca.pem and DIR/ca.key (mode 0600) or, when neither
// exists, creates DIR (0700) and them: an ECDSA P-256 key and a self-signed
// certificate with the common name "<DOMAIN> lab CA" — DOMAIN is the first
// label of domain in upper case, so "contoso.com" and "CONTOSO" both give
// "CONTOSO lab CA" — valid from an hour before now for ten years, with key
// usage CertSign|CRLSign and basic constraints CA, path length 0.
//
// rand (nil: crypto/rand) draws the serial number and signs; since Go 1.26
// the key itself always comes from the system's secure source.
//
// Errors are [*Error] values naming the file. A ca.key whose mode is wider
// than 0600 is refused (matching [ErrKeyMode]), and so is a ca.pem without
// its ca.key or the other way round, or a key that does not belong to the
// certificate: the CA is never silently replaced, as clients trust it.
func EnsureCA(dir, domain string, now time.Time, rand io.Reader) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return loadCA(certPath, keyPath)
	case certErr == nil && errors.Is(keyErr, fs.ErrNotExist):
		return nil, &Error{File: keyPath, Err: fmt.Errorf("missing while %s exists; restore it, or remove %s to create a new CA (clients must then trust the new one)", CAFile, CAFile)}
	case keyErr == nil && errors.Is(certErr, fs.ErrNotExist):
		return nil, &Error{File: certPath, Err: fmt.Errorf("missing while %s exists; restore it, or remove %s to create a new CA (clients must then trust the new one)", CAKeyFile, CAKeyFile)}
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, &Error{File: certPath, Err: certErr}
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, &Error{File: keyPath, Err: keyErr}
	}
	return createCA(dir, domain, now, randOrDefault(rand))
}

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return cryptorand.Reader
	}
	return r
}

// caName is the common name of the CA of domain.
func caName(domain string) string {
	first, _, _ := strings.Cut(strings.TrimSuffix(domain, "."), ".")
	if first == "" {
		first = "GMSA"
	}
	return strings.ToUpper(first) + " lab CA"
}

func createCA(dir, domain string, now time.Time, rand io.Reader) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &Error{File: dir, Err: err}
	}
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, &Error{File: keyPath, Err: fmt.Errorf("generating the CA key: %w", err)}
	}
	serial, err := serialNumber(rand)
	if err != nil {
		return nil, &Error{File: certPath, Err: err}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: caName(domain)},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(caLifetime, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, &Error{File: certPath, Err: fmt.Errorf("signing the CA certificate: %w", err)}
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, &Error{File: keyPath, Err: err}
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// The key first: a crash between the two leaves a lone ca.key, which
	// EnsureCA reports rather than overwrites.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &Error{File: certPath, Err: err}
	}
	return &CA{cert: cert, key: key, certPEM: certPEM}, nil
}

func serialNumber(rand io.Reader) (*big.Int, error) {
	n, err := cryptorand.Int(rand, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("drawing a serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // positive, never 0
}

func loadCA(certPath, keyPath string) (*CA, error) {
	if err := checkKeyMode(keyPath); err != nil {
		return nil, err
	}
	cert, certPEM, err := readCert(certPath)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, &Error{File: certPath, Err: fmt.Errorf("certificate %q is not a CA certificate", cert.Subject.CommonName)}
	}
	key, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, &Error{File: keyPath, Err: fmt.Errorf("key does not belong to the certificate in %s", CAFile)}
	}
	return &CA{cert: cert, key: key, certPEM: certPEM}, nil
}

// checkKeyMode refuses a key file that others may read or write. Windows
// has no such modes.
func checkKeyMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return &Error{File: path, Err: err}
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return &Error{File: path, Err: fmt.Errorf("%w: mode is %04o; chmod 600 it if nobody else could have read it", ErrKeyMode, st.Mode().Perm())}
	}
	return nil
}

// readCert reads the first CERTIFICATE block of path.
func readCert(path string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &Error{File: path, Err: err}
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, nil, &Error{File: path, Err: errors.New("no PEM CERTIFICATE block")}
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, &Error{File: path, Err: err}
		}
		return cert, pem.EncodeToMemory(b), nil
	}
}

// readKey reads an ECDSA key: PKCS #8 ("PRIVATE KEY", what this package
// writes) or SEC 1 ("EC PRIVATE KEY", what `openssl ecparam -genkey`
// writes).
func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, &Error{File: path, Err: errors.New("no PEM PRIVATE KEY or EC PRIVATE KEY block")}
		}
		switch b.Type {
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				return nil, &Error{File: path, Err: fmt.Errorf("EC PRIVATE KEY block: %w", err)}
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, &Error{File: path, Err: fmt.Errorf("PRIVATE KEY block: %w", err)}
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, &Error{File: path, Err: fmt.Errorf("PRIVATE KEY block holds a %T, want an ECDSA key", k)}
			}
			return ek, nil
		}
	}
}

func marshalKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Pool returns a new pool holding the CA certificate, for TLS clients.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// CertPEM returns the CA certificate in PEM, as in DIR/ca.pem.
func (ca *CA) CertPEM() []byte { return bytes.Clone(ca.certPEM) }

// Certificate returns the parsed CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// ServerCert returns a TLS certificate for dnsNames and ips signed by the
// CA: an ECDSA P-256 key, valid from an hour before now for a year (never
// past the CA), extended key usage ServerAuth, the names and addresses as
// subject alternative names and the first of them as the common name.
//
// It reuses DIR/server.pem and DIR/server.key when they exist, are signed
// by this CA, cover every requested name (case-insensitively) and address,
// and are valid for more than 30 days at now; otherwise it issues new ones
// and writes them atomically (temporary file, fsync, rename; the key with
// mode 0600). A server.key readable by others is not reused but replaced:
// unlike the CA, the server pair is nobody's trust anchor. rand is as for
// [EnsureCA].
func (ca *CA) ServerCert(dir string, dnsNames []string, ips []net.IP, now time.Time, rand io.Reader) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile)
	if len(dnsNames) == 0 && len(ips) == 0 {
		return tls.Certificate{}, &Error{File: certPath, Err: errors.New("no DNS name or IP address to certify")}
	}
	names := make([]string, 0, len(dnsNames))
	for _, n := range dnsNames {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == "" {
			return tls.Certificate{}, &Error{File: certPath, Err: fmt.Errorf("DNS name %q is empty", n)}
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var addrs []net.IP
	for _, ip := range ips {
		if ip.To16() == nil {
			return tls.Certificate{}, &Error{File: certPath, Err: fmt.Errorf("IP address %v is not valid", ip)}
		}
		if !slices.ContainsFunc(addrs, ip.Equal) {
			addrs = append(addrs, ip)
		}
	}
	if c, ok := ca.reusable(certPath, keyPath, names, addrs, now); ok {
		return c, nil
	}
	return ca.issue(certPath, keyPath, names, addrs, now, randOrDefault(rand))
}

// reusable returns the existing server pair when it may be reused.
func (ca *CA) reusable(certPath, keyPath string, names []string, ips []net.IP, now time.Time) (tls.Certificate, bool) {
	if checkKeyMode(keyPath) != nil {
		return tls.Certificate{}, false
	}
	cert, _, err := readCert(certPath)
	if err != nil {
		return tls.Certificate{}, false
	}
	key, err := readKey(keyPath)
	if err != nil || !key.PublicKey.Equal(cert.PublicKey) {
		return tls.Certificate{}, false
	}
	if !bytes.Equal(cert.RawIssuer, ca.cert.RawSubject) || cert.CheckSignatureFrom(ca.cert) != nil {
		return tls.Certificate{}, false
	}
	if now.Before(cert.NotBefore) || cert.NotAfter.Sub(now) <= renewBefore {
		return tls.Certificate{}, false
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return tls.Certificate{}, false
	}
	for _, n := range names {
		if !slices.ContainsFunc(cert.DNSNames, func(have string) bool { return strings.EqualFold(have, n) }) {
			return tls.Certificate{}, false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return tls.Certificate{}, false
		}
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, true
}

func (ca *CA) issue(certPath, keyPath string, names []string, ips []net.IP, now time.Time, rand io.Reader) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return tls.Certificate{}, &Error{File: keyPath, Err: fmt.Errorf("generating the server key: %w", err)}
	}
	serial, err := serialNumber(rand)
	if err != nil {
		return tls.Certificate{}, &Error{File: certPath, Err: err}
	}
	cn := ""
	if len(names) > 0 {
		cn = names[0]
	} else {
		cn = ips[0].String()
	}
	notAfter := now.Add(serverLifetime)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, &Error{File: certPath, Err: fmt.Errorf("signing the server certificate: %w", err)}
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return tls.Certificate{}, &Error{File: keyPath, Err: err}
	}
	// A crash between the two renames leaves a key that does not match the
	// certificate; the next call sees that and issues again.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, &Error{File: certPath, Err: err}
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// writeFileAtomic replaces path with data (internal/atomicfile), naming the
// file in the error.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return &Error{File: path, Err: err}
	}
	return nil
}
