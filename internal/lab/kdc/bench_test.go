package kdc

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// benchTarget is a KDC to measure: our client, a principal with its keys
// (no string-to-key per login) and a service to ask for.
type benchTarget struct {
	c         *client.Client
	principal string
	keys      client.KeySource
	service   string
}

func labTarget(b *testing.B) benchTarget {
	s := serve(b, nil)
	cfg, err := transport.LoadConfig(s.krb5conf(b, 0))
	if err != nil {
		b.Fatal(err)
	}
	var keys client.Keys
	for _, k := range s.dir.get("Administrator").Keys {
		keys = append(keys, k.Key)
	}
	return benchTarget{
		c:         &client.Client{Transport: transport.New(cfg, transport.Options{}), Now: time.Now, Rand: rand.Reader, EncTypes: []crypto.EncType{crypto.AES256CTSHMACSHA196}},
		principal: "Administrator@" + testRealm, keys: keys, service: "http/mysite.contoso.com",
	}
}

func mitTarget(b *testing.B) benchTarget {
	kdc := testpeer.StartMITKDC(b, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/lab/kdc"),
		Enctypes: []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"}})
	kdc.AddPrincipal(b, "alice", "Bench-Pw-1!")
	kdc.AddRandKey(b, "HTTP/web.contoso.com")
	kt := filepath.Join(b.TempDir(), "alice.keytab")
	kdc.ExportKeytab(b, "alice", kt)
	raw, err := os.ReadFile(kt)
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := keytab.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	var cfgPath string
	for _, kv := range kdc.Env() {
		if k, v, _ := strings.Cut(kv, "="); k == "KRB5_CONFIG" {
			cfgPath = v
		}
	}
	cfg, err := transport.LoadConfig(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	return benchTarget{
		c:         &client.Client{Transport: transport.New(cfg, transport.Options{}), Now: time.Now, Rand: rand.Reader, EncTypes: []crypto.EncType{crypto.AES256CTSHMACSHA196}},
		principal: "alice@" + kdc.Realm, keys: client.Keytab{Keytab: parsed, Principal: "alice@" + kdc.Realm},
		service: "HTTP/web.contoso.com",
	}
}

// BenchmarkKDC measures the AS exchange (with pre-authentication: two
// round trips) and the TGS exchange of our client over UDP against the lab
// KDC and against MIT's krb5kdc on the same loopback address, with the same
// enctype (aes256-cts-hmac-sha1-96): one client at a time ("serial", for
// latency) and 8 per CPU at once ("parallel", for throughput). The client
// runs in this process, so it shares the CPUs with the lab KDC but not with
// krb5kdc. Metrics: exchanges per second, the median and p99 latency of one
// exchange.
func BenchmarkKDC(b *testing.B) {
	targets := map[string]func(*testing.B) benchTarget{"lab": labTarget, "mit": mitTarget}
	for _, name := range []string{"lab", "mit"} {
		t := targets[name](b)
		ctx := context.Background()
		login := func() *client.Credentials {
			tgt, err := t.c.Login(ctx, client.LoginRequest{Principal: t.principal, Keys: t.keys})
			if err != nil {
				b.Fatal(err)
			}
			return tgt
		}
		tgt := login()
		for _, ex := range []struct {
			name string
			run  func()
		}{
			{"AS", func() { login() }},
			{"TGS", func() {
				if _, err := t.c.ServiceTicket(ctx, tgt, t.service, client.TGSOptions{}); err != nil {
					b.Fatal(err)
				}
			}},
		} {
			for _, mode := range []string{"serial", "parallel"} {
				b.Run(ex.name+"/"+mode+"/"+name, func(b *testing.B) {
					var (
						mu   sync.Mutex
						lats []time.Duration
					)
					start := time.Now()
					if mode == "serial" {
						for b.Loop() {
							t0 := time.Now()
							ex.run()
							lats = append(lats, time.Since(t0))
						}
					} else {
						b.SetParallelism(8)
						b.RunParallel(func(pb *testing.PB) {
							var mine []time.Duration
							for pb.Next() {
								t0 := time.Now()
								ex.run()
								mine = append(mine, time.Since(t0))
							}
							mu.Lock()
							lats = append(lats, mine...)
							mu.Unlock()
						})
					}
					elapsed := time.Since(start)
					slices.Sort(lats)
					b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "exchanges/s")
					b.ReportMetric(float64(lats[len(lats)/2].Microseconds()), "p50-µs")
					b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "p99-µs")
				})
			}
		}
	}
}
