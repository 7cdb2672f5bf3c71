package transport_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

var loopback = testpeer.Loopback("internal/krb5/transport")

// asReq is a minimal AS-REQ for name@realm without pre-authentication: a
// KDC whose principals require pre-authentication (MIT's
// default_principal_flags = +preauth here) answers KDC_ERR_PREAUTH_REQUIRED.
func asReq(t *testing.T, name, realm string) []byte {
	t.Helper()
	r := msg.KDCReq{
		MsgType: msg.MsgTypeASReq,
		ReqBody: msg.KDCReqBody{
			KDCOptions: msg.KDCOptionForwardable,
			CName:      &msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{name}},
			Realm:      realm,
			SName:      &msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", realm}},
			Till:       time.Now().Add(time.Hour).UTC().Truncate(time.Second),
			Nonce:      0x1234567,
			EType:      []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196},
		},
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func krbError(t testing.TB, code msg.ErrorCode, realm string) []byte {
	t.Helper()
	e := msg.KRBError{
		STime:     time.Now().UTC().Truncate(time.Second),
		ErrorCode: code,
		Realm:     realm,
		SName:     msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", realm}},
	}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKRBError(t *testing.T, reply []byte) *msg.KRBError {
	t.Helper()
	e, err := msg.ParseKRBError(reply)
	if err != nil {
		t.Fatalf("reply is not a KRB-ERROR: %v", err)
	}
	return e
}

func config(t *testing.T, text string) *transport.Config {
	t.Helper()
	c, err := transport.ParseConfig([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deadPort returns a loopback port on which nothing listens, UDP or TCP.
func deadPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

type trace struct{ attempts []transport.Attempt }

func (tr *trace) add(a transport.Attempt) { tr.attempts = append(tr.attempts, a) }

func (tr *trace) String() string {
	var s []string
	for _, a := range tr.attempts {
		s = append(s, a.String())
	}
	return strings.Join(s, "; ")
}

func TestMITKDC(t *testing.T) {
	t.Parallel()
	kdc := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: loopback})
	kdc.AddPrincipal(t, "alice", "alice-password-1")
	addr := net.JoinHostPort(kdc.Addr, fmt.Sprint(kdc.Port))

	tests := []struct {
		name       string
		krb5conf   string
		limit      int
		wantTrace  string
		wantPrefix bool
	}{
		{
			name:      "a small request goes over UDP",
			krb5conf:  "[realms]\nCONTOSO.COM = {\n kdc = " + addr + "\n}\n",
			wantTrace: "udp " + addr,
		},
		{
			name:      "a request over the UDP preference limit goes over TCP",
			krb5conf:  "[realms]\nCONTOSO.COM = {\n kdc = " + addr + "\n}\n",
			limit:     1,
			wantTrace: "tcp " + addr,
		},
		{
			name:      "a tcp/ entry is reached over TCP whatever the size",
			krb5conf:  "[realms]\nCONTOSO.COM = {\n kdc = tcp/" + addr + "\n}\n",
			wantTrace: "tcp " + addr,
		},
		{
			name:      "the MIT KDC's own krb5.conf (udp_preference_limit = 1) is followed",
			krb5conf:  "",
			wantTrace: "tcp " + addr,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg *transport.Config
			var err error
			if tt.krb5conf == "" {
				cfg, err = transport.LoadConfig(kdc.Dir + "/krb5.conf")
				if err != nil {
					t.Fatal(err)
				}
			} else {
				cfg = config(t, tt.krb5conf)
			}
			var tr trace
			c := transport.New(cfg, transport.Options{UDPPreferenceLimit: tt.limit, Trace: tr.add})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			reply, err := c.RoundTrip(ctx, "CONTOSO.COM", asReq(t, "alice", "CONTOSO.COM"))
			if err != nil {
				t.Fatal(err)
			}
			if e := mustKRBError(t, reply); e.ErrorCode != msg.KDCErrPreauthRequired {
				t.Errorf("error code = %v, want KDC_ERR_PREAUTH_REQUIRED", e.ErrorCode)
			}
			if got := tr.String(); got != tt.wantTrace {
				t.Errorf("attempts = %q, want %q", got, tt.wantTrace)
			}
		})
	}

	t.Run("a dead KDC listed first is skipped for the live one", func(t *testing.T) {
		t.Parallel()
		dead := net.JoinHostPort(loopback, fmt.Sprint(deadPort(t)))
		cfg := config(t, "[realms]\nCONTOSO.COM = {\n kdc = "+dead+"\n kdc = "+addr+"\n}\n")
		var tr trace
		c := transport.New(cfg, transport.Options{Trace: tr.add})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		reply, err := c.RoundTrip(ctx, "CONTOSO.COM", asReq(t, "alice", "CONTOSO.COM"))
		if err != nil {
			t.Fatal(err)
		}
		if e := mustKRBError(t, reply); e.ErrorCode != msg.KDCErrPreauthRequired {
			t.Errorf("error code = %v", e.ErrorCode)
		}
		want := "udp " + dead + ": connection refused; tcp " + dead + ": connection refused; udp " + addr
		if got := tr.String(); got != want {
			t.Errorf("attempts = %q, want %q", got, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v: refused connections should fail at once", d)
		}
	})

	t.Run("an unknown principal's KRB-ERROR is a reply, not a failure", func(t *testing.T) {
		t.Parallel()
		c := transport.New(config(t, "[realms]\nCONTOSO.COM = {\n kdc = "+addr+"\n}\n"), transport.Options{})
		reply, err := c.RoundTrip(t.Context(), "CONTOSO.COM", asReq(t, "nobody", "CONTOSO.COM"))
		if err != nil {
			t.Fatal(err)
		}
		if e := mustKRBError(t, reply); e.ErrorCode != msg.KDCErrCPrincipalUnknown {
			t.Errorf("error code = %v, want KDC_ERR_C_PRINCIPAL_UNKNOWN", e.ErrorCode)
		}
	})
}

// silentUDP is a UDP socket that reads and never answers: a KDC that is
// down behind a firewall that drops packets.
func silentUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func TestDeadlineIsRespected(t *testing.T) {
	t.Parallel()
	// Two silent KDCs with a 1 s UDP timeout each, and TCP refused: the
	// whole exchange is bounded by ctx's 300 ms, not by the attempts.
	a, b := silentUDP(t), silentUDP(t)
	cfg := config(t, "[realms]\nCONTOSO.COM = {\n kdc = udp/"+a+"\n kdc = udp/"+b+"\n}\n")
	c := transport.New(cfg, transport.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.RoundTrip(ctx, "CONTOSO.COM", []byte{0x6a, 0x00})
	if d := time.Since(start); d > time.Second {
		t.Errorf("RoundTrip took %v with a 300ms deadline", d)
	}
	if !errors.Is(err, transport.ErrNoKDC) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNoKDC and context.DeadlineExceeded", err)
	}
	want := "kdc: no KDC of CONTOSO.COM answered: udp " + a + ": i/o timeout (context deadline exceeded)"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}

func TestAllFailErrorListsEveryAttempt(t *testing.T) {
	t.Parallel()
	dead := net.JoinHostPort(loopback, fmt.Sprint(deadPort(t)))
	cfg := config(t, "[realms]\nCONTOSO.COM = {\n kdc = "+dead+"\n kdc = https://kdcproxy.contoso.com/KdcProxy\n}\n")
	_, err := transport.New(cfg, transport.Options{}).RoundTrip(t.Context(), "CONTOSO.COM", []byte{0x6a, 0x00})
	var e *transport.Error
	if !errors.As(err, &e) || !errors.Is(err, transport.ErrNoKDC) {
		t.Fatalf("err = %v, want a *transport.Error matching ErrNoKDC", err)
	}
	want := "kdc: no KDC of CONTOSO.COM answered: udp " + dead + ": connection refused; tcp " + dead +
		": connection refused; https kdcproxy.contoso.com:443: unsupported KDC transport"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if e.Realm != "CONTOSO.COM" || len(e.Attempts) != 3 {
		t.Errorf("Realm %q, %d attempts", e.Realm, len(e.Attempts))
	}
}

// fakeKDC answers on one port: udp and tcp say what to reply to each
// request (nil: no listener for that protocol). It serves until the test
// ends.
func fakeKDC(t *testing.T, udp func([]byte) []byte, tcp func([]byte) []byte) string {
	t.Helper()
	var pc net.PacketConn
	var l net.Listener
	var err error
	for range 10 {
		pc, err = net.ListenPacket("udp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			t.Fatal(err)
		}
		l, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	t.Cleanup(func() { pc.Close(); l.Close(); <-done; <-done })
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if udp != nil {
				pc.WriteTo(udp(buf[:n]), from)
			}
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			func() {
				defer conn.Close()
				if tcp == nil {
					return
				}
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				var hdr [4]byte
				if _, err := io.ReadFull(conn, hdr[:]); err != nil {
					return
				}
				req := make([]byte, binary.BigEndian.Uint32(hdr[:]))
				if _, err := io.ReadFull(conn, req); err != nil {
					return
				}
				conn.Write(tcp(req))
			}()
		}
	}()
	return pc.LocalAddr().String()
}

func frame(b []byte) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(len(b))) // then b
}

func TestResponseTooBigMovesToTCP(t *testing.T) {
	t.Parallel()
	tooBig := krbError(t, msg.KRBErrResponseTooBig, "CONTOSO.COM")
	answer := krbError(t, msg.KDCErrPreauthRequired, "CONTOSO.COM")
	addr := fakeKDC(t,
		func([]byte) []byte { return tooBig },
		func([]byte) []byte { return append(frame(answer), answer...) })
	var tr trace
	c := transport.New(config(t, "[realms]\nCONTOSO.COM = {\n kdc = "+addr+"\n}\n"), transport.Options{Trace: tr.add})
	reply, err := c.RoundTrip(t.Context(), "CONTOSO.COM", asReq(t, "alice", "CONTOSO.COM"))
	if err != nil {
		t.Fatal(err)
	}
	if e := mustKRBError(t, reply); e.ErrorCode != msg.KDCErrPreauthRequired {
		t.Errorf("error code = %v, want the TCP answer KDC_ERR_PREAUTH_REQUIRED", e.ErrorCode)
	}
	want := "udp " + addr + ": KRB_ERR_RESPONSE_TOO_BIG; tcp " + addr
	if got := tr.String(); got != want {
		t.Errorf("attempts = %q, want %q", got, want)
	}
}

func TestTCPFraming(t *testing.T) {
	t.Parallel()
	answer := krbError(t, msg.KDCErrPreauthRequired, "CONTOSO.COM")
	tests := []struct {
		name    string
		reply   []byte
		wantErr string // "" means the reply is answer
	}{
		{name: "a well-framed reply is returned", reply: append(frame(answer), answer...)},
		{name: "a length with the reserved high bit is refused", reply: []byte{0x80, 0, 0, 4, 0x7e, 2, 0, 0}, wantErr: "reply length 0x80000004 has the reserved high bit set"},
		{name: "a length over the bound is refused", reply: []byte{0x00, 0x10, 0, 1}, wantErr: "reply of 1048577 bytes is over the 1048576-byte bound"},
		{name: "a truncated reply is refused", reply: append(frame(answer), answer[:5]...), wantErr: "connection closed before the whole reply"},
		{name: "an empty reply is refused", reply: []byte{0, 0, 0, 0}, wantErr: "empty reply"},
		{name: "a reply that is not a Kerberos message is refused", reply: []byte{0, 0, 0, 2, 0x30, 0}, wantErr: "reply is not a Kerberos message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeKDC(t, nil, func([]byte) []byte { return tt.reply })
			c := transport.New(config(t, "[realms]\nCONTOSO.COM = {\n kdc = tcp/"+addr+"\n}\n"), transport.Options{})
			reply, err := c.RoundTrip(t.Context(), "CONTOSO.COM", []byte{0x6a, 0})
			if tt.wantErr == "" {
				if err != nil || string(reply) != string(answer) {
					t.Fatalf("RoundTrip = %x, %v", reply, err)
				}
				return
			}
			if !errors.Is(err, transport.ErrNoKDC) {
				t.Fatalf("err = %v, want ErrNoKDC", err)
			}
			var e *transport.Error
			if !errors.As(err, &e) || !errors.Is(e.Attempts[0].Err, transport.ErrFraming) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want ErrFraming with %q", err, tt.wantErr)
			}
		})
	}
}

// dnsServer answers SRV (and, with hosts, A) questions over UDP on the
// package's loopback address: testpeer.StartDNS.
func dnsServer(t *testing.T, records map[string][]dnsmessage.SRVResource) string {
	return dnsServerWithA(t, records, nil)
}

func dnsServerWithA(t *testing.T, records map[string][]dnsmessage.SRVResource, hosts map[string][4]byte) string {
	t.Helper()
	return testpeer.StartDNS(t, loopback, testpeer.DNSZone{SRV: records, A: hosts})
}

func TestDiscoverSRV(t *testing.T) {
	t.Parallel()
	srv := func(prio uint16, target string, port uint16) dnsmessage.SRVResource {
		return dnsmessage.SRVResource{Priority: prio, Weight: 0, Port: port, Target: dnsmessage.MustNewName(target)}
	}
	tests := []struct {
		name    string
		records map[string][]dnsmessage.SRVResource
		want    string
		wantErr string
	}{
		{
			name: "TCP records come in priority order",
			records: map[string][]dnsmessage.SRVResource{
				"_kerberos._tcp.contoso.com.": {srv(10, "dc2.contoso.com.", 88), srv(5, "dc1.contoso.com.", 1088)},
			},
			want: "tcp/dc1.contoso.com:1088 tcp/dc2.contoso.com:88",
		},
		{
			name: "a host under both protocols is one entry for both at its best priority",
			records: map[string][]dnsmessage.SRVResource{
				"_kerberos._udp.contoso.com.": {srv(20, "dc1.contoso.com.", 88)},
				"_kerberos._tcp.contoso.com.": {srv(10, "dc2.contoso.com.", 88), srv(0, "dc1.contoso.com.", 88)},
			},
			want: "dc1.contoso.com:88 tcp/dc2.contoso.com:88",
		},
		{
			name: "a \".\" target means no service",
			records: map[string][]dnsmessage.SRVResource{
				"_kerberos._tcp.contoso.com.": {srv(0, ".", 0), srv(1, "dc1.contoso.com.", 88)},
			},
			want: "tcp/dc1.contoso.com:88",
		},
		{
			name:    "no records is ErrNoKDC naming both names",
			records: map[string][]dnsmessage.SRVResource{},
			wantErr: "kdc: no KDC of CONTOSO.COM answered: no kdc for the realm in krb5.conf and no SRV records; dns _kerberos._udp.CONTOSO.COM: no such name; dns _kerberos._tcp.CONTOSO.COM: no such name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := dnsServer(t, tt.records)
			c := transport.New(config(t, "[libdefaults]\n default_realm = CONTOSO.COM\n"), transport.Options{DNSServer: addr})
			kdcs, err := c.Discover(t.Context(), "CONTOSO.COM")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, transport.ErrNoKDC) {
					t.Fatalf("err = %v\nwant  %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range kdcs {
				got = append(got, k.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("Discover = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestDiscoverPrefersConfig(t *testing.T) {
	t.Parallel()
	cfg := config(t, "[realms]\nCONTOSO.COM = {\n kdc = dc1.contoso.com\n}\n[libdefaults]\ndns_lookup_kdc = false\n")
	c := transport.New(cfg, transport.Options{DNSServer: "192.0.2.1:53"}) // never asked
	kdcs, err := c.Discover(t.Context(), "contoso.com")
	if err != nil || len(kdcs) != 1 || kdcs[0].String() != "dc1.contoso.com:88" {
		t.Fatalf("Discover = %v, %v", kdcs, err)
	}
	_, err = c.Discover(t.Context(), "FABRIKAM.COM")
	if !errors.Is(err, transport.ErrNoKDC) || !strings.Contains(err.Error(), "dns_lookup_kdc = false") {
		t.Errorf("err = %v, want ErrNoKDC saying dns_lookup_kdc = false", err)
	}
}

// TestRoundTripThroughSRV ties discovery to sending: the SRV record's
// KDC answers over TCP.
func TestRoundTripThroughSRV(t *testing.T) {
	t.Parallel()
	answer := krbError(t, msg.KDCErrPreauthRequired, "CONTOSO.COM")
	kdc := fakeKDC(t, nil, func([]byte) []byte { return append(frame(answer), answer...) })
	_, portStr, _ := net.SplitHostPort(kdc)
	var port uint16
	fmt.Sscan(portStr, &port)
	ip := net.ParseIP(loopback).To4()
	dns := dnsServerWithA(t, map[string][]dnsmessage.SRVResource{
		"_kerberos._tcp.contoso.com.": {{Priority: 0, Port: port, Target: dnsmessage.MustNewName("kdc1.contoso.com.")}},
	}, map[string][4]byte{"kdc1.contoso.com.": [4]byte(ip)})
	c := transport.New(nil, transport.Options{DNSServer: dns})
	reply, err := c.RoundTrip(t.Context(), "CONTOSO.COM", asReq(t, "alice", "CONTOSO.COM"))
	if err != nil {
		t.Fatal(err)
	}
	if e := mustKRBError(t, reply); e.ErrorCode != msg.KDCErrPreauthRequired {
		t.Errorf("error code = %v", e.ErrorCode)
	}
}

// The consumer's interface, as internal/krb5/client declares it.
var _ interface {
	RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error)
} = (*transport.Client)(nil)

func TestFallbacks(t *testing.T) {
	t.Parallel()
	tooBig := krbError(t, msg.KRBErrResponseTooBig, "CONTOSO.COM")
	answer := krbError(t, msg.KDCErrPreauthRequired, "CONTOSO.COM")
	tcpAnswer := func([]byte) []byte { return append(frame(answer), answer...) }
	tests := []struct {
		name      string
		udp, tcp  func([]byte) []byte
		prefix    string // "udp/", "tcp/" or ""
		wantCode  msg.ErrorCode
		wantTrace string // with ADDR for the fake KDC's address
	}{
		{
			name:      "a KDC silent over UDP is tried over TCP after the UDP timeout",
			tcp:       tcpAnswer,
			wantCode:  msg.KDCErrPreauthRequired,
			wantTrace: "udp ADDR: i/o timeout; tcp ADDR",
		},
		{
			name:      "a udp/ entry that answers RESPONSE_TOO_BIG hands the KRB-ERROR to the client",
			udp:       func([]byte) []byte { return tooBig },
			tcp:       tcpAnswer,
			prefix:    "udp/",
			wantCode:  msg.KRBErrResponseTooBig,
			wantTrace: "udp ADDR",
		},
		{
			name:      "a UDP datagram that is not a Kerberos message is a failed attempt",
			udp:       func([]byte) []byte { return []byte{0x30, 0x00} },
			tcp:       tcpAnswer,
			wantCode:  msg.KDCErrPreauthRequired,
			wantTrace: "udp ADDR: bad KDC reply framing: reply is not a Kerberos message (first octet 0x30); tcp ADDR",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeKDC(t, tt.udp, tt.tcp)
			var tr trace
			cfg := config(t, "[realms]\nCONTOSO.COM = {\n kdc = "+tt.prefix+addr+"\n}\n")
			c := transport.New(cfg, transport.Options{UDPTimeout: 100 * time.Millisecond, Trace: tr.add})
			reply, err := c.RoundTrip(t.Context(), "CONTOSO.COM", asReq(t, "alice", "CONTOSO.COM"))
			if err != nil {
				t.Fatal(err)
			}
			if e := mustKRBError(t, reply); e.ErrorCode != tt.wantCode {
				t.Errorf("error code = %v, want %v", e.ErrorCode, tt.wantCode)
			}
			if want := strings.ReplaceAll(tt.wantTrace, "ADDR", addr); tr.String() != want {
				t.Errorf("attempts = %q\nwant       %q", tr.String(), want)
			}
		})
	}
}
