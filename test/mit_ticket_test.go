package test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestMITTicketDecryptsAndItsPACVerifies: MIT kinit and kvno get a service
// ticket; we read MIT's ccache, decrypt the ticket with the service key from
// the keytab MIT's kadmin wrote, and parse and verify the PAC MIT's KDC put
// in it — with the service key (server signature) and the krbtgt key (KDC
// signature), both read from MIT keytabs.
func TestMITTicketDecryptsAndItsPACVerifies(t *testing.T) {
	for _, enctype := range []string{"aes256-cts-hmac-sha1-96", "aes256-cts-hmac-sha384-192"} {
		t.Run(enctype, func(t *testing.T) {
			kdc := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{
				Addr:     testpeer.Loopback("test"),
				Enctypes: []string{enctype},
			})
			dir := t.TempDir()
			kdc.AddPrincipal(t, "alice", "Alice-Pw-8x!")
			kdc.AddRandKey(t, "HTTP/web.contoso.com")
			serviceKT, krbtgtKT := filepath.Join(dir, "http.keytab"), filepath.Join(dir, "krbtgt.keytab")
			kdc.ExportKeytab(t, "HTTP/web.contoso.com", serviceKT)
			kdc.ExportKeytab(t, "krbtgt/"+kdc.Realm, krbtgtKT)

			cc := filepath.Join(dir, "cc")
			kinit := kdc.Command(t, "kinit", "-c", "FILE:"+cc, "alice@"+kdc.Realm)
			kinit.Stdin = strings.NewReader("Alice-Pw-8x!\n")
			if out, err := kinit.CombinedOutput(); err != nil {
				t.Fatalf("kinit: %v\n%s", err, out)
			}
			kvno := kdc.Command(t, "kvno", "-c", "FILE:"+cc, "HTTP/web.contoso.com@"+kdc.Realm)
			if out, err := kvno.CombinedOutput(); err != nil {
				t.Fatalf("kvno: %v\n%s", err, out)
			}

			cache := parseFile(t, cc, ccache.Parse)
			var ticket []byte
			for _, c := range cache.Credentials {
				if !c.IsConfig() && strings.EqualFold(c.Server.String(), "HTTP/web.contoso.com@"+kdc.Realm) {
					ticket = c.Ticket
				}
			}
			if ticket == nil {
				t.Fatalf("no HTTP/web.contoso.com ticket in MIT's ccache (%d credentials)", len(cache.Credentials))
			}
			tkt, err := msg.ParseTicket(ticket)
			if err != nil {
				t.Fatal(err)
			}
			if tkt.EncPart.EType.String() != enctype {
				t.Fatalf("ticket enctype %s, want %s", tkt.EncPart.EType, enctype)
			}
			kvnoOf := uint32(0)
			if tkt.EncPart.KVNO != nil {
				kvnoOf = *tkt.EncPart.KVNO
			}
			svc := findKey(t, serviceKT, "HTTP/web.contoso.com", kdc.Realm, kvnoOf, tkt.EncPart.EType)
			enc, err := tkt.Decrypt(svc)
			if err != nil {
				t.Fatalf("decrypting MIT's ticket with the keytab key: %v", err)
			}
			if got := enc.CName.String(); got != "alice" || enc.CRealm != kdc.Realm {
				t.Fatalf("ticket client %s@%s, want alice@%s", got, enc.CRealm, kdc.Realm)
			}
			if d := time.Until(enc.EndTime); d <= 0 || d > 25*time.Hour {
				t.Fatalf("ticket end time %s", enc.EndTime)
			}

			raw, err := enc.AuthorizationData.PAC()
			if err != nil {
				t.Fatalf("no PAC in MIT's ticket: %v", err)
			}
			p, err := pac.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if p.ClientInfo == nil || !strings.EqualFold(p.ClientInfo.Name, "alice") {
				t.Fatalf("PAC client info %+v, want alice", p.ClientInfo)
			}
			if err := pac.Verify(raw, svc); err != nil {
				t.Fatalf("server signature: %v", err)
			}
			if p.KDCSignature == nil {
				t.Fatal("MIT's PAC has no KDC signature")
			}
			verified := false
			for _, e := range parseFile(t, krbtgtKT, keytab.Parse).Entries {
				if e.Key.Type.ChecksumType() == p.KDCSignature.Type {
					if err := pac.VerifyKDC(raw, e.Key); err != nil {
						t.Fatalf("KDC signature with the %s krbtgt key: %v", e.Key.Type, err)
					}
					verified = true
				}
			}
			if !verified {
				t.Fatalf("no krbtgt key for the KDC signature's %s", p.KDCSignature.Type)
			}
			// A PAC whose client name was altered does not verify, nor does
			// one with an altered KDC signature.
			name := []byte{'a', 0, 'l', 0, 'i', 0, 'c', 0, 'e', 0}
			i := bytes.Index(raw, name)
			if i < 0 {
				t.Fatal("the client name is not in the PAC as UTF-16")
			}
			bad := bytes.Clone(raw)
			bad[i] = 'm'
			if err := pac.Verify(bad, svc); !errors.Is(err, crypto.ErrIntegrity) {
				t.Fatalf("PAC with an altered client name: %v", err)
			}
			j := bytes.Index(raw, p.KDCSignature.Value)
			bad = bytes.Clone(raw)
			bad[j] ^= 1
			ok := false
			for _, e := range parseFile(t, krbtgtKT, keytab.Parse).Entries {
				if e.Key.Type.ChecksumType() == p.KDCSignature.Type {
					ok = errors.Is(pac.VerifyKDC(bad, e.Key), crypto.ErrIntegrity)
				}
			}
			if !ok {
				t.Fatal("a PAC with an altered KDC signature verified")
			}
		})
	}
}

func parseFile[T any](t *testing.T, path string, parse func([]byte) (T, error)) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parse(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func findKey(t *testing.T, path, principal, realm string, kvno uint32, e crypto.EncType) crypto.Key {
	t.Helper()
	kt := parseFile(t, path, keytab.Parse)
	entry, err := kt.Find(principal, realm, kvno, e)
	if err != nil {
		t.Fatalf("%s in %s: %v", principal, path, err)
	}
	return entry.Key
}
