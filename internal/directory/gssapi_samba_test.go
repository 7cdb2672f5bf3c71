package directory_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// kdcTransport is a test-only Kerberos transport: TCP to one KDC per realm,
// RFC 4120 §7.2.2 framing.
type kdcTransport map[string]string

func (t kdcTransport) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	addr, ok := t[realm]
	if !ok {
		return nil, fmt.Errorf("no KDC for realm %q", realm)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write(binary.BigEndian.AppendUint32(nil, uint32(len(req)))); err != nil {
		return nil, err
	}
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	if l := binary.BigEndian.Uint32(n[:]); l > 1<<20 {
		return nil, fmt.Errorf("reply of %d bytes", l)
	}
	rep := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err = io.ReadFull(conn, rep)
	return rep, err
}

var (
	tgtOnce sync.Once
	kc      *client.Client
	node1   *client.Credentials
	tgtErr  error
)

// node1TGT logs node1$ in with its password (salt from ETYPE-INFO2).
func node1TGT(t *testing.T, s *testpeer.Samba) (*client.Client, *client.Credentials) {
	t.Helper()
	tgtOnce.Do(func() {
		kc = &client.Client{Transport: kdcTransport{s.Realm: net.JoinHostPort(s.Addr, "88")}, Now: time.Now, Rand: rand.Reader}
		node1, tgtErr = kc.Login(context.Background(), client.LoginRequest{Principal: "node1$@" + s.Realm, Keys: client.Password{Password: node1Password}})
	})
	if tgtErr != nil {
		t.Fatal(tgtErr)
	}
	return kc, node1
}

func TestGSSAPIBindAgainstSamba(t *testing.T) {
	s := samba(t)
	kc, tgt := node1TGT(t, s)
	spn := "ldap/dc1." + s.Domain
	tests := []struct {
		name         string
		url          string
		startTLS     bool
		layer        sasl.Layer
		noCB         bool
		confidential bool
		wantPassword bool   // ManagedPassword succeeds
		wantBindErr  string // in the bind error
		wantCode     uint16
	}{
		{name: "seal over ldap:// reads the managed password", url: "ldap", layer: sasl.LayerConfidentiality, confidential: true, wantPassword: true},
		{name: "the default on ldap:// is seal", url: "ldap", confidential: true, wantPassword: true},
		{name: "sign over ldap:// binds, but the password needs confidentiality", url: "ldap", layer: sasl.LayerIntegrity},
		{name: "channel bindings over ldaps:// read the managed password", url: "ldaps", confidential: true, wantPassword: true},
		{name: "channel bindings over StartTLS read the managed password", url: "ldap", startTLS: true, confidential: true, wantPassword: true},
		{name: "no layer over ldap:// is refused", url: "ldap", layer: sasl.LayerNone,
			wantBindErr: "Sign or Seal are required", wantCode: ldap.LDAPResultStrongAuthRequired},
		{name: "ldaps:// without channel bindings is refused", url: "ldaps", noCB: true,
			wantBindErr: "80090346", wantCode: ldap.LDAPResultInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, s, bind{url: tt.url, startTLS: tt.startTLS, user: "-"})
			start := time.Now()
			err := c.BindGSSAPI(ctx(t), directory.GSSAPIOptions{Client: kc, TGT: tgt, SPN: spn, Layer: tt.layer, NoChannelBindings: tt.noCB})
			if tt.wantBindErr != "" {
				var le *ldap.Error
				if err == nil || !strings.Contains(err.Error(), tt.wantBindErr) || !errors.As(err, &le) || le.ResultCode != tt.wantCode {
					t.Fatalf("got %v, want LDAP result %d with %q", err, tt.wantCode, tt.wantBindErr)
				}
				t.Logf("refused as expected: %v\nhint: %s", err, hintOf(err))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("bound in %v", time.Since(start).Round(time.Microsecond))
			if c.Confidential() != tt.confidential {
				t.Errorf("Confidential() = %t", c.Confidential())
			}
			who, err := c.WhoAmI(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("whoami: %s", who)
			if !strings.EqualFold(who, `u:`+s.NetBIOS+`\node1$`) {
				t.Errorf("whoami %q", who)
			}
			// A search (FindAccount), then a large answer (the root DSE) and
			// several requests in a row, all through the layer.
			a, err := c.FindAccount(ctx(t), "WebApp01")
			if err != nil || !a.IsGMSA() {
				t.Fatalf("FindAccount: %v", err)
			}
			for range 3 {
				if _, err := c.DomainInfo(ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
			res, err := c.ManagedPassword(ctx(t), "WebApp01")
			if tt.wantPassword {
				if err != nil {
					t.Fatal(err)
				}
				if res.SAMAccountName != "WebApp01$" || res.Blob == nil {
					t.Fatalf("result %+v", res)
				}
				// The same password as over ldaps:// with a simple bind.
				ref, err := connect(t, s, bind{user: "node1$@" + s.Domain, password: node1Password}).ManagedPassword(ctx(t), "WebApp01")
				if err != nil {
					t.Fatal(err)
				}
				if !res.Blob.Current.Equal(&ref.Blob.Current) {
					t.Fatal("the managed password differs from the one read over ldaps:// with a simple bind")
				}
				if tt.url == "ldap" && !tt.startTLS {
					if err := c.BindSimple(ctx(t), "node1$@"+s.Domain, node1Password); err == nil {
						t.Fatal("a simple bind was sent over the sealed layer, which it would drop")
					}
				}
				return
			}
			if !errors.Is(err, directory.ErrConfidentialityRequired) {
				t.Fatalf("got %v, want ErrConfidentialityRequired", err)
			}
			t.Logf("refused as expected: %v", err)
		})
	}
}
