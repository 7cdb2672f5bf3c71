package directory

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/testvector"
)

func TestParseServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "a bare host means ldap on 389", in: "dc1.contoso.com", want: "ldap://dc1.contoso.com:389"},
		{name: "a host and port keep the port", in: "dc1.contoso.com:3268", want: "ldap://dc1.contoso.com:3268"},
		{name: "ldaps without a port means 636", in: "ldaps://dc1.contoso.com", want: "ldaps://dc1.contoso.com:636"},
		{name: "an IPv6 literal is bracketed", in: "ldaps://[::1]:1636", want: "ldaps://[::1]:1636"},
		{name: "a trailing slash is allowed", in: "ldap://10.0.0.1/", want: "ldap://10.0.0.1:389"},
		{name: "another scheme is refused", in: "http://dc1", wantErr: `scheme "http"`},
		{name: "a base DN in the URL is refused", in: "ldap://dc1/DC=contoso,DC=com", wantErr: "only scheme, host and port"},
		{name: "an empty server is refused", in: "", wantErr: "no server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ep, err := parseServer(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseServer(%q) = %v, %v; want error containing %q", tt.in, ep, err, tt.wantErr)
				}
				return
			}
			if err != nil || ep.String() != tt.want {
				t.Fatalf("parseServer(%q) = %v, %v; want %s", tt.in, ep, err, tt.want)
			}
		})
	}
}

// listener accepts one connection and records what the client sends.
func listener(t *testing.T) (addr string, received func() []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	return l.Addr().String(), func() []byte {
		select {
		case b := <-got:
			return b
		case <-time.After(5 * time.Second):
			t.Fatal("the listener saw no end of the connection")
			return nil
		}
	}
}

func TestSimpleBindWithoutTLSSendsNothing(t *testing.T) {
	t.Parallel()
	addr, received := listener(t)
	ctx := context.Background()
	c, err := Dial(ctx, Options{Server: "ldap://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "S3cret-never-on-the-wire"
	err = c.BindSimple(ctx, "Administrator@contoso.com", pw)
	if !errors.Is(err, ErrInsecureBind) {
		t.Fatalf("BindSimple over ldap:// = %v, want ErrInsecureBind", err)
	}
	var de *Error
	if !errors.As(err, &de) || de.Hint == "" {
		t.Errorf("want an *Error with a hint, got %#v", err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("the error carries the password: %v", err)
	}
	c.Close()
	if b := received(); len(b) != 0 {
		t.Fatalf("the client sent %d bytes before refusing: %x", len(b), b)
	}
}

func TestContextEndsAPendingCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{{
		name: "a deadline becomes go-ldap's timeout",
		ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		},
		want: context.DeadlineExceeded,
	}, {
		name: "a cancellation without deadline closes the connection",
		ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		},
		want: context.Canceled,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A server that accepts and never answers.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err == nil {
					defer c.Close()
					io.Copy(io.Discard, c)
				}
			}()
			c, err := Dial(context.Background(), Options{Server: l.Addr().String(), Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err = c.RootDSE(ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("RootDSE against a silent server = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("RootDSE returned after %v, long after the context ended at 200 ms", d)
			}
		})
	}
}

func TestDialRefusesStartTLSOnLDAPS(t *testing.T) {
	t.Parallel()
	_, err := Dial(context.Background(), Options{Server: "ldaps://127.0.0.1:1", StartTLS: true})
	if err == nil || !strings.Contains(err.Error(), "StartTLS is for ldap://") {
		t.Fatalf("Dial = %v", err)
	}
}

func TestErrorKeepsTheLDAPResultCode(t *testing.T) {
	t.Parallel()
	err := error(&Error{Op: "read msDS-ManagedPassword of", Account: "WebApp01",
		Err: errors.Join(ErrConfidentialityRequired, ldap.NewError(ldap.LDAPResultOperationsError, errors.New("requires an encrypted connection")))})
	var le *ldap.Error
	if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultOperationsError {
		t.Fatalf("errors.As(*ldap.Error) failed on %v", err)
	}
	if !errors.Is(err, ErrConfidentialityRequired) {
		t.Fatal("errors.Is(ErrConfidentialityRequired) failed")
	}
	if want := `directory: read msDS-ManagedPassword of "WebApp01": `; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q does not start with %q", err, want)
	}
}

// TestSecretAgreementParamIsTheRFC5114Group: what AddRootKey writes into
// msKds-SecretAgreementParam equals Samba's FfcDhParameters vector.
func TestSecretAgreementParamIsTheRFC5114Group(t *testing.T) {
	t.Parallel()
	var v struct {
		KDF struct {
			Blob string `json:"blob_hex"`
		} `json:"kdf_parameters_sha512"`
		FFC struct {
			Blob string `json:"blob_hex"`
		} `json:"ffc_dh_parameters"`
	}
	testvector.Load(t, "gkdi-key-envelope-and-params.json", &v)
	got, err := gkdi.RFC5114Group2048.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := testvector.Hex(t, v.FFC.Blob); string(got) != string(want) {
		t.Fatalf("msKds-SecretAgreementParam\n got %x\nwant %x", got, want)
	}
	if got, want := gkdi.MarshalKDFParameters(gkdi.SHA512), testvector.Hex(t, v.KDF.Blob); string(got) != string(want) {
		t.Fatalf("msKds-KDFParam\n got %x\nwant %x", got, want)
	}
}
