package directory

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// fakeDC answers every search with a SearchResultDone carrying code and
// diagnostic, the way a DC refuses a read as a whole.
func fakeDC(t *testing.T, code int64, diagnostic string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			req, err := ber.ReadPacket(c)
			if err != nil || len(req.Children) < 2 {
				return
			}
			if req.Children[1].Tag != ldap.ApplicationSearchRequest {
				return
			}
			resp := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
			resp.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, req.Children[0].Value, "MessageID"))
			done := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultDone, nil, "SearchResultDone")
			done.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, "resultCode"))
			done.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
			done.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diagnostic, "diagnosticMessage"))
			resp.AppendChild(done)
			if _, err := c.Write(resp.Bytes()); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

// TestManagedPasswordRefusals: how a DC's refusal of the whole read maps to
// the sentinels, by result code only (Samba's operationsError and Windows'
// confidentialityRequired; Samba itself is tested in samba_test.go).
func TestManagedPasswordRefusals(t *testing.T) {
	t.Parallel()
	const dn = "CN=WebApp01,CN=Managed Service Accounts,DC=contoso,DC=com"
	tests := []struct {
		name     string
		code     int64
		diag     string
		wantErr  error
		wantCode uint16
	}{
		{name: "confidentialityRequired means the connection must be encrypted", code: ldap.LDAPResultConfidentialityRequired,
			diag: "requires an encrypted connection", wantErr: ErrConfidentialityRequired, wantCode: ldap.LDAPResultConfidentialityRequired},
		{name: "operationsError on an unbound connection means bind first", code: ldap.LDAPResultOperationsError,
			diag: "00002020: Operation unavailable without authentication", wantErr: ErrNotAllowed, wantCode: ldap.LDAPResultOperationsError},
		{name: "noSuchObject means the account is missing", code: ldap.LDAPResultNoSuchObject, wantErr: ErrNotFound},
		{name: "another code stays the server's error", code: ldap.LDAPResultBusy, wantCode: ldap.LDAPResultBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, Options{Server: fakeDC(t, tt.code, tt.diag)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.ManagedPassword(ctx, dn)
			var de *Error
			if !errors.As(err, &de) || de.DN != dn || de.Account != "" {
				t.Fatalf("got %#v, want an *Error naming the DN", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
			var le *ldap.Error
			if tt.wantCode != 0 && (!errors.As(err, &le) || le.ResultCode != tt.wantCode) {
				t.Errorf("got %v, want LDAP result %d kept", err, tt.wantCode)
			}
		})
	}
}
