package ccache_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const alicePassword = "Alice-Passw0rd!"

// startKDC starts the package's MIT KDC with alice and two services.
func startKDC(t *testing.T) *testpeer.MITKDC {
	k := testpeer.StartMITKDC(t, testpeer.MITKDCOptions{Addr: testpeer.Loopback("internal/krb5/ccache")})
	k.AddPrincipal(t, "alice", alicePassword)
	k.AddRandKey(t, "HTTP/web.contoso.com")
	k.AddRandKey(t, "HTTP/other.contoso.com")
	return k
}

// mit runs an MIT tool with env (plus TZ=UTC, so that klist's times read
// as ours) and returns its output; failure fails the test.
func mit(t *testing.T, k *testpeer.MITKDC, env []string, stdin, name string, args ...string) string {
	t.Helper()
	out, err := mitErr(t, k, env, stdin, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mitErr(t *testing.T, k *testpeer.MITKDC, env []string, stdin, name string, args ...string) (string, error) {
	t.Helper()
	cmd := k.Command(t, name, args...)
	cmd.Env = append(env, "TZ=UTC")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// klist lists a cache with its flags, encryption types, configuration
// entries and addresses, minus the "Ticket cache:" line naming the file.
func klist(t *testing.T, k *testpeer.MITKDC, path string) string {
	t.Helper()
	out := mit(t, k, k.Env(), "", "klist", "-f", "-e", "-C", "-a", "FILE:"+path)
	_, rest, _ := strings.Cut(out, "\n")
	return rest
}

func readCache(t *testing.T, path string) ([]byte, *ccache.Cache) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ccache.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMITCacheRoundTrip: we read the cache MIT kinit and kvno write — a
// forwardable, renewable TGT, a service ticket and kinit's configuration
// entries — as klist reads it, re-encode it to the same bytes, and MIT
// kvno then uses our file (KRB5CCNAME=FILE:…) for a new service ticket,
// which it appends; we read the result too.
func TestMITCacheRoundTrip(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "mit.cc")
	mit(t, k, k.Env(), alicePassword+"\n", "kinit", "-f", "-r", "2d", "-c", "FILE:"+path, "alice@CONTOSO.COM")
	mit(t, k, k.Env(), "", "kvno", "-c", "FILE:"+path, "HTTP/web.contoso.com")
	b, c := readCache(t, path)

	if c.Version != 4 || c.DefaultPrincipal.String() != "alice@CONTOSO.COM" || c.KDCOffset == nil {
		t.Errorf("version %d, default principal %s, KDC offset %v; want 4, alice@CONTOSO.COM, an offset", c.Version, c.DefaultPrincipal, c.KDCOffset)
	}
	if got := string(c.Config("pa_type")); got != "2" {
		t.Errorf("pa_type = %q, want 2 (encrypted timestamp)", got)
	}
	if got := string(c.Config("fast_avail")); got != "yes" {
		t.Errorf("fast_avail = %q, want yes", got)
	}
	tgt, err := c.TGT("")
	if err != nil {
		t.Fatal(err)
	}
	want := ccache.FlagForwardable | ccache.FlagRenewable | ccache.FlagInitial | ccache.FlagPreAuthent
	// kinit asks for till/rtime from its own clock; the KDC's authtime may
	// fall in the next second, so the spans may be a second short.
	near := func(d, want time.Duration) bool { return d <= want && d >= want-2*time.Second }
	if tgt.Flags&want != want || !near(tgt.EndTime.Sub(tgt.AuthTime), 10*time.Hour) || !near(tgt.RenewTill.Sub(tgt.AuthTime), 48*time.Hour) {
		t.Errorf("TGT flags %s, lifetime %v, renewable for %v; want FRIA, 10h, 48h", tgt.Flags, tgt.EndTime.Sub(tgt.AuthTime), tgt.RenewTill.Sub(tgt.AuthTime))
	}
	if tgt.Key.Type != crypto.AES256CTSHMACSHA196 || len(tgt.Key.Bytes()) != 32 {
		t.Errorf("TGT session key %v, want an aes256-cts-hmac-sha1-96 key", tgt.Key)
	}
	listing := klist(t, k, path)
	if got, want := records(t, c), klistRecords(listing); got != want {
		t.Errorf("our reading:\n%s\nklist -f -e -C -a:\n%s", got, want)
	}

	again, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("re-encoding MIT's cache changed it:\n got %x\nwant %x", again, b)
	}
	ours := filepath.Join(dir, "ours.cc")
	writeFile(t, ours, again)
	if got := klist(t, k, ours); got != listing {
		t.Errorf("klist on our file:\n%s\non MIT's:\n%s", got, listing)
	}
	out := mit(t, k, append(k.Env(), "KRB5CCNAME=FILE:"+ours), "", "kvno", "HTTP/other.contoso.com")
	if !strings.Contains(out, "HTTP/other.contoso.com@CONTOSO.COM: kvno = 1") {
		t.Errorf("kvno with our cache: %q", out)
	}
	_, after := readCache(t, ours)
	if n := len(after.Credentials); n != len(c.Credentials)+1 || after.Credentials[n-1].Server.String() != "HTTP/other.contoso.com@CONTOSO.COM" {
		t.Errorf("after kvno our file holds %d credentials, want %d ending with HTTP/other", n, len(c.Credentials)+1)
	}
	if *update {
		writeVector(t, filepath.Join("testdata", "mit", "kinit-kvno-v4.txt"), [][2]string{
			{"source", "written by MIT krb5 1.20 kinit -f -r 2d alice@CONTOSO.COM (password), then kvno HTTP/web.contoso.com — throwaway realm CONTOSO.COM, test-only keys"},
			{"klist -f -e -C -a (TZ=UTC)", listing},
		}, b)
	}
}

// TestMITCacheVersions: MIT writes format versions 1 to 3 when told to
// (ccache_type in krb5.conf); we read each — version 1 and 2 in this
// machine's byte order, version 3 with the doubled enctype — as klist does,
// and our version 4 re-encoding lists the same.
func TestMITCacheVersions(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	for version := 1; version <= 3; version++ {
		t.Run(fmt.Sprintf("version %d", version), func(t *testing.T) {
			conf, err := os.ReadFile(filepath.Join(k.Dir, "krb5.conf"))
			if err != nil {
				t.Fatal(err)
			}
			confPath := filepath.Join(t.TempDir(), "krb5.conf")
			writeFile(t, confPath, bytes.Replace(conf, []byte("[libdefaults]\n"), fmt.Appendf(nil, "[libdefaults]\n    ccache_type = %d\n", version), 1))
			env := append(k.Env(), "KRB5_CONFIG="+confPath)
			path := filepath.Join(t.TempDir(), "mit.cc")
			mit(t, k, env, alicePassword+"\n", "kinit", "-f", "-c", "FILE:"+path, "alice")
			mit(t, k, env, "", "kvno", "-c", "FILE:"+path, "HTTP/web.contoso.com")
			b, c := readCache(t, path)
			if c.Version != version || b[1] != byte(version) {
				t.Fatalf("Version = %d, file says %d, want %d", c.Version, b[1], version)
			}
			if version == 1 && c.DefaultPrincipal.NameType != 0 {
				t.Errorf("version 1 name type %d, want 0 (not stored)", c.DefaultPrincipal.NameType)
			}
			listing := klist(t, k, path)
			if got, want := records(t, c), klistRecords(listing); got != want {
				t.Errorf("our reading:\n%s\nklist:\n%s", got, want)
			}
			v4, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			ours := filepath.Join(t.TempDir(), "ours.cc")
			writeFile(t, ours, v4)
			if got := klist(t, k, ours); got != listing {
				t.Errorf("klist on our version 4:\n%s\non MIT's version %d:\n%s", got, version, listing)
			}
			if *update {
				writeVector(t, filepath.Join("testdata", "mit", fmt.Sprintf("kinit-kvno-v%d.txt", version)), [][2]string{
					{"source", fmt.Sprintf("written by MIT krb5 1.20 on amd64 (little-endian) with ccache_type = %d: kinit -f alice (password), then kvno HTTP/web.contoso.com — throwaway realm CONTOSO.COM, test-only keys", version)},
					{"klist -f -e -C -a (TZ=UTC)", listing},
				}, b)
			}
		})
	}
}

// TestMITUsesCacheWeBuild: a version 4 cache we assemble field by field —
// the TGT from an MIT cache copied value by value, configuration entries
// made with NewConfig, a KDC time offset in the header — is listed by klist
// and used by kvno. The offset proves MIT reads our header: three days
// behind, the KDC refuses the request as clock skew; 100 s ahead, it is
// within the skew MIT allows.
func TestMITUsesCacheWeBuild(t *testing.T) {
	t.Parallel()
	k := startKDC(t)
	path := filepath.Join(t.TempDir(), "mit.cc")
	mit(t, k, k.Env(), alicePassword+"\n", "kinit", "-f", "-r", "1d", "-c", "FILE:"+path, "alice")
	_, c := readCache(t, path)
	tgt, err := c.TGT("CONTOSO.COM")
	if err != nil {
		t.Fatal(err)
	}
	key, err := crypto.NewKey(tgt.Key.Type, tgt.Key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	client, _ := ccache.ParsePrincipal("alice@CONTOSO.COM")
	server, _ := ccache.ParsePrincipal("krbtgt/CONTOSO.COM@CONTOSO.COM")
	build := func(offset time.Duration) string {
		cache := &ccache.Cache{
			DefaultPrincipal: client,
			KDCOffset:        &offset,
			Credentials: []ccache.Credential{
				ccache.NewConfig(client, "pa_type", "krbtgt/CONTOSO.COM@CONTOSO.COM", []byte("2")),
				{
					Client: client, Server: server, Key: key,
					AuthTime: tgt.AuthTime, StartTime: tgt.StartTime, EndTime: tgt.EndTime, RenewTill: tgt.RenewTill,
					Flags: tgt.Flags, Ticket: append([]byte(nil), tgt.Ticket...),
				},
				ccache.NewConfig(client, "gmsa_test", "", []byte("value\x01")),
			},
		}
		b, err := cache.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "ours.cc")
		writeFile(t, p, b)
		return p
	}

	ours := build(100*time.Second + 250*time.Millisecond)
	listing := klist(t, k, ours)
	for _, want := range []string{
		"Default principal: alice@CONTOSO.COM",
		"config: pa_type(krbtgt/CONTOSO.COM@CONTOSO.COM) = 2",
		"config: gmsa_test = value\\001",
		"krbtgt/CONTOSO.COM@CONTOSO.COM\n\trenew until ",
		"Flags: FRIA",
		"Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("klist on our cache lacks %q:\n%s", want, listing)
		}
	}
	out := mit(t, k, append(k.Env(), "KRB5CCNAME=FILE:"+ours), "", "kvno", "HTTP/web.contoso.com")
	if !strings.Contains(out, "kvno = 1") {
		t.Errorf("kvno with our cache (KDC offset +100.25 s): %q", out)
	}

	behind := build(-72 * time.Hour)
	_, err = mitErr(t, k, append(k.Env(), "KRB5CCNAME=FILE:"+behind), "", "kvno", "HTTP/other.contoso.com")
	if err == nil || !strings.Contains(err.Error(), "Clock skew too great") {
		t.Errorf("kvno with a KDC offset of -72 h: %v, want clock skew", err)
	}
}
