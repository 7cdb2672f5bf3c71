package gssapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// tcpTransport is a test-only client.Transport: one TCP connection per
// message with RFC 4120 §7.2.2's length prefix.
type tcpTransport string

func (addr tcpTransport) RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", string(addr))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
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

// TestMITKDCTickets runs the mechanism over tickets an MIT KDC issued, for
// every flag combination and the SHA-1 and SHA-2 AES enctypes.
func TestMITKDCTickets(t *testing.T) {
	for _, enctypes := range [][]string{
		{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"},
		{"aes256-cts-hmac-sha384-192", "aes128-cts-hmac-sha256-128"},
	} {
		t.Run(enctypes[0], func(t *testing.T) {
			k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/krb5/gssapi"), Enctypes: enctypes})
			k.AddPrincipal(t, "alice", "Alice-Passw0rd!")
			k.AddRandKey(t, "HTTP/web.contoso.com")
			k.AddRandKey(t, "HTTP/other.contoso.com")
			ktPath := filepath.Join(k.Dir, "http.keytab")
			k.ExportKeytab(t, "HTTP/web.contoso.com", ktPath)
			b, err := os.ReadFile(ktPath)
			if err != nil {
				t.Fatal(err)
			}
			kt, err := keytab.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			c := &client.Client{Transport: tcpTransport(net.JoinHostPort(k.Addr, strconv.Itoa(k.Port))), Now: time.Now, Rand: rand.Reader}
			ctx := context.Background()
			tgt, err := c.Login(ctx, client.LoginRequest{Principal: "alice@CONTOSO.COM", Keys: client.Password{Password: "Alice-Passw0rd!"}})
			if err != nil {
				t.Fatal(err)
			}
			web, err := c.ServiceTicket(ctx, tgt, "HTTP/web.contoso.com", client.TGSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			other, err := c.ServiceTicket(ctx, tgt, "HTTP/other.contoso.com", client.TGSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ic := func(cr *client.Credentials, f Flags) InitiatorConfig {
				return InitiatorConfig{Ticket: cr.Ticket, SessionKey: cr.SessionKey, Client: cr.Client, ClientRealm: cr.ClientRealm, Flags: f, Now: time.Now, Rand: rand.Reader}
			}
			ac := func() AcceptorConfig {
				return AcceptorConfig{Keytab: kt, Service: "HTTP/web.contoso.com", Now: time.Now, Rand: rand.Reader, ReplayCache: &MemoryReplayCache{}}
			}
			for f := Flags(0); f <= supportedFlags; f += 2 {
				ini, acc := handshake(t, ic(web, f), ac())
				if acc.Client() != "alice@CONTOSO.COM" {
					t.Fatalf("Client() = %q", acc.Client())
				}
				// MIT 1.20+ issues a minimal PAC (logon name and signatures).
				if pac, err := acc.PAC(); err != nil || len(pac) == 0 {
					t.Fatalf("PAC() = %d bytes, %v; want MIT's minimal PAC", len(pac), err)
				}
				t.Run(f.String(), func(t *testing.T) { exercise(t, ini, acc) })
			}
			// A valid ticket for HTTP/other must not log in to HTTP/web.
			if _, _, err := tryHandshake(ic(other, FlagMutual), ac()); !errors.Is(err, ErrWrongService) {
				t.Fatalf("ticket for HTTP/other: got %v, want ErrWrongService", err)
			}
			// Nor with Service unset: the keytab has no key for it.
			acfg := ac()
			acfg.Service = ""
			if _, _, err := tryHandshake(ic(other, FlagMutual), acfg); !errors.Is(err, ErrWrongService) {
				t.Fatalf("ticket for HTTP/other, any service: got %v, want ErrWrongService", err)
			}
			// The acceptor's clock ten minutes ahead.
			acfg = ac()
			acfg.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
			if _, _, err := tryHandshake(ic(web, FlagMutual), acfg); !errors.Is(err, ErrSkew) {
				t.Fatalf("skewed acceptor: got %v, want ErrSkew", err)
			}
		})
	}
}
