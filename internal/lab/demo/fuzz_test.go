package demo_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/lab/demo"
)

func serviceKeytab(t testing.TB) *keytab.Keytab {
	k, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &keytab.Keytab{Entries: []keytab.Entry{{
		Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: []string{"http", "mysite.contoso.com"}, Realm: "CONTOSO.COM"},
		KVNO:      1, Key: k}}}
}

// FuzzDemoAuthorization: whatever a client puts in Authorization, the demo
// service answers 400 or 401 with the challenge — never 200, never a crash.
func FuzzDemoAuthorization(f *testing.F) {
	h, err := demo.Handler(demo.Config{SPN: "http/mysite.contoso.com", Keytab: serviceKeytab(f), Now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	spnegoPrefix := []byte{0x60, 0x28, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x1e, 0x30, 0x1c, 0xa0, 0x0d, 0x30, 0x0b,
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0xa2, 0x0b, 0x04, 0x09, 0x60, 0x07, 0x06, 0x05, 0x2b, 0x05, 0x01, 0x05, 0x02}
	for _, s := range []string{"", "Negotiate", "Negotiate !!", "Basic dXNlcjpwYXNz", "Negotiate YIIBAA==",
		"Negotiate " + base64.StdEncoding.EncodeToString(spnegoPrefix), "negotiate " + strings.Repeat("A", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", auth)
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusUnauthorized:
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Negotiate") {
				t.Fatalf("401 without the challenge")
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("status %d for an unverifiable token", rec.Code)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("Hello")) {
			t.Fatal("an identity in the answer")
		}
	})
}

func TestUnauthenticatedGets401(t *testing.T) {
	h, err := demo.Handler(demo.Config{SPN: "HTTP/MYSITE.contoso.com@CONTOSO.COM", Keytab: serviceKeytab(t)})
	if err != nil {
		t.Fatalf("SPN case and realm: %v", err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/anything", nil))
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Negotiate" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
