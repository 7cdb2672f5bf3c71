package ccache_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

const klistField = "klist -f -e -C -a (TZ=UTC)"

var (
	authTime = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	bigEnd   = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
)

// TestMITVectors: the caches MIT wrote, in each format version, parse to
// what MIT klist listed; version 4 re-encodes to the same bytes, and
// versions 1 to 3 re-encode as version 4 holding the same credentials.
func TestMITVectors(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, 4) {
		t.Run(v.Path, func(t *testing.T) {
			t.Parallel()
			if v.Data[1] < 3 && bigEnd {
				t.Skip("versions 1 and 2 are in the writer's byte order, and these were written on little-endian amd64")
			}
			c, err := ccache.Parse(v.Data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != int(v.Data[1]) || c.DefaultPrincipal.String() != "alice@CONTOSO.COM" {
				t.Errorf("version %d, default principal %s", c.Version, c.DefaultPrincipal)
			}
			if got, want := records(t, c), klistRecords(v.Fields[klistField]); got != want {
				t.Errorf("parsed:\n%s\nMIT klist:\n%s", got, want)
			}
			again, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if c.Version == 4 && !bytes.Equal(again, v.Data) {
				t.Errorf("re-encoding changed the file:\n got %x\nwant %x", again, v.Data)
			}
			back, err := ccache.Parse(again)
			if err != nil {
				t.Fatal(err)
			}
			back.Version = c.Version
			if got, want := dump(back), dump(c); got != want {
				t.Errorf("version 4 re-encoding holds:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func key(t testing.TB, e crypto.EncType) crypto.Key {
	b := make([]byte, e.KeySize())
	for i := range b {
		b[i] = byte(i + 1)
	}
	k, err := crypto.NewKey(e, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func principal(t testing.TB, s string) ccache.Principal {
	p, err := ccache.ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validCache is the base of the table tests: a TGT, a service ticket and a
// configuration entry.
func validCache(t testing.TB) *ccache.Cache {
	alice := principal(t, "alice@CONTOSO.COM")
	offset := -1500 * time.Millisecond
	return &ccache.Cache{
		Version:          4,
		DefaultPrincipal: alice,
		KDCOffset:        &offset,
		Credentials: []ccache.Credential{
			ccache.NewConfig(alice, "pa_type", "krbtgt/CONTOSO.COM@CONTOSO.COM", []byte("2")),
			{
				Client: alice, Server: principal(t, "krbtgt/CONTOSO.COM@CONTOSO.COM"), Key: key(t, crypto.AES256CTSHMACSHA196),
				AuthTime: authTime, StartTime: authTime, EndTime: authTime.Add(10 * time.Hour), RenewTill: authTime.Add(7 * 24 * time.Hour),
				Flags:  ccache.FlagForwardable | ccache.FlagRenewable | ccache.FlagInitial | ccache.FlagPreAuthent,
				Ticket: []byte{0x61, 0x03, 0x02, 0x01, 0x05},
			},
			{
				Client: alice, Server: principal(t, "HTTP/web.contoso.com@CONTOSO.COM"), Key: key(t, crypto.AES128CTSHMACSHA256128),
				AuthTime: authTime, EndTime: authTime.Add(10 * time.Hour),
				Flags:     ccache.FlagForwardable | ccache.FlagTransitedPolicyChecked | ccache.FlagOKAsDelegate,
				Addresses: []ccache.Address{{Type: 2, Data: []byte{127, 0, 0, 1}}, {Type: 24, Data: make([]byte, 16)}},
				AuthData:  []ccache.AuthData{{Type: 1, Data: []byte{0x30, 0x00}}, {Type: -129, Data: []byte{1}}},
				Ticket:    []byte{0x61, 0x00},
			},
		},
	}
}

// dump renders everything a cache holds, key bytes included, for comparing
// two caches in tests.
func dump(c *ccache.Cache) string {
	var b strings.Builder
	off := "none"
	if c.KDCOffset != nil {
		off = c.KDCOffset.String()
	}
	p := func(p ccache.Principal) string { return fmt.Sprintf("%d:%q@%q", p.NameType, p.Components, p.Realm) }
	fmt.Fprintf(&b, "v%d %s offset=%s\n", c.Version, p(c.DefaultPrincipal), off)
	for _, cr := range c.Credentials {
		fmt.Fprintf(&b, "%s -> %s key=%d:%x times=%d,%d,%d,%d skey=%v flags=%08x addrs=%v ad=%v tkt=%x tkt2=%x\n",
			p(cr.Client), p(cr.Server), cr.Key.Type, cr.Key.Bytes(),
			cr.AuthTime.Unix(), cr.StartTime.Unix(), cr.EndTime.Unix(), cr.RenewTill.Unix(),
			cr.IsSKey, uint32(cr.Flags), cr.Addresses, cr.AuthData, cr.Ticket, cr.SecondTicket)
	}
	return b.String()
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*ccache.Cache)
	}{
		{"a TGT, a service ticket and a configuration entry", func(*ccache.Cache) {}},
		{"no credentials at all", func(c *ccache.Cache) { c.Credentials = nil }},
		{"no KDC offset leaves the header empty", func(c *ccache.Cache) { c.KDCOffset = nil }},
		{"a zero KDC offset, as kinit writes it", func(c *ccache.Cache) { d := time.Duration(0); c.KDCOffset = &d }},
		{"a KDC offset of minus 2^31 seconds", func(c *ccache.Cache) { d := math.MinInt32 * time.Second; c.KDCOffset = &d }},
		{"a KDC offset just under 2^31 seconds", func(c *ccache.Cache) {
			d := math.MaxInt32*time.Second + 999999*time.Microsecond
			c.KDCOffset = &d
		}},
		{"a user-to-user ticket with a second ticket", func(c *ccache.Cache) {
			c.Credentials[2].IsSKey = true
			c.Credentials[2].SecondTicket = []byte{0x61, 0x01, 0x00}
		}},
		{"all times zero", func(c *ccache.Cache) {
			c.Credentials[1].AuthTime, c.Credentials[1].StartTime, c.Credentials[1].EndTime, c.Credentials[1].RenewTill = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		}},
		{"times up to the last second of 2106", func(c *ccache.Cache) { c.Credentials[1].RenewTill = time.Unix(math.MaxUint32, 0).UTC() }},
		{"an rc4-hmac session key", func(c *ccache.Cache) { c.Credentials[1].Key = key(t, crypto.RC4HMAC) }},
		{"the highest address type and the lowest authorization data type", func(c *ccache.Cache) {
			c.Credentials[2].Addresses[0].Type = math.MaxUint16
			c.Credentials[2].AuthData[0].Type = math.MinInt16
		}},
		{"a configuration entry not about a principal", func(c *ccache.Cache) {
			c.Credentials = append(c.Credentials, ccache.NewConfig(c.DefaultPrincipal, "refresh_time", "", []byte("1795800000")))
		}},
		{"every ticket flag", func(c *ccache.Cache) { c.Credentials[1].Flags = math.MaxUint32 }},
		{"principals without components or realm", func(c *ccache.Cache) { c.DefaultPrincipal = ccache.Principal{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCache(t)
			tt.mutate(c)
			b, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ccache.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dump(back), dump(c); got != want {
				t.Errorf("after the round trip:\n%s\nwant:\n%s", got, want)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("second Marshal differs (%v)", err)
			}
		})
	}
}

// malformedBase is a small version 4 cache whose layout the malformed
// cases below address by offset:
//
//	0   05 04, header length 0
//	4   default principal a@R: name type, count, realm length, "R", component length, "a"
//	22  client a@R (same layout), 40 server b@R
//	58  keyblock enctype, 60 key length, 64 aes128 key
//	80  authtime, 84 starttime, 88 endtime, 92 renew_till, 96 is_skey, 97 ticket_flags
//	101 address count, 105 addrtype, 107 address length, 111 address
//	115 authdata count, 119 ad_type, 121 authdata length, 125 authdata
//	127 ticket length, 131 ticket, 134 second ticket length; 138 bytes in all
func malformedBase(t testing.TB) []byte {
	a, b := principal(t, "a@R"), principal(t, "b@R")
	c := &ccache.Cache{DefaultPrincipal: a, Credentials: []ccache.Credential{{
		Client: a, Server: b, Key: key(t, crypto.AES128CTSHMACSHA196),
		AuthTime: authTime, EndTime: authTime.Add(time.Hour), Flags: ccache.FlagInitial,
		Addresses: []ccache.Address{{Type: 2, Data: []byte{10, 0, 0, 1}}},
		AuthData:  []ccache.AuthData{{Type: 1, Data: []byte{0x30, 0x00}}},
		Ticket:    []byte{0x61, 0x01, 0x00},
	}}}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 138 {
		t.Fatalf("base cache is %d bytes, the offsets assume 138", len(out))
	}
	return out
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	put16 := func(at int, v uint16) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint16(b[at:], v); return b }
	}
	put32 := func(at int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint32(b[at:], v); return b }
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }
	// header replaces the empty header with the given fields.
	header := func(fields ...byte) func([]byte) []byte {
		return func(b []byte) []byte {
			h := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
			return append(append(append([]byte{5, 4}, h...), fields...), b[4:]...)
		}
	}
	tests := []struct {
		name      string
		mutate    func([]byte) []byte
		wantErr   error
		wantField string
	}{
		{"an empty file", cut(0), ccache.ErrMalformed, "file format version"},
		{"a first byte other than 5", func(b []byte) []byte { b[0] = 4; return b }, ccache.ErrMalformed, "file format version"},
		{"version 5", func(b []byte) []byte { b[1] = 5; return b }, ccache.ErrVersion, "file format version"},
		{"version 0", func(b []byte) []byte { b[1] = 0; return b }, ccache.ErrVersion, "file format version"},
		{"a file that ends in the header length", cut(3), ccache.ErrMalformed, "header.length"},
		{"a header longer than the file", put16(2, 0x1000), ccache.ErrMalformed, "header"},
		{"a header too short for a tag and length", header(0, 1), ccache.ErrMalformed, "header.fields[0]"},
		{"a header field longer than the header", header(0, 9, 0, 5, 1, 2, 3, 4), ccache.ErrMalformed, "header.fields[0].length"},
		{"a KDC time offset of 4 bytes", header(0, 1, 0, 4, 0, 0, 0, 1), ccache.ErrMalformed, "header.fields[0].length"},
		{"a component count the file cannot hold", put32(8, 0xffffffff), ccache.ErrMalformed, "default principal.count"},
		{"a realm longer than the file", put32(12, 0xffff), ccache.ErrMalformed, "default principal.realm"},
		{"a component longer than the file", put32(17, 1000), ccache.ErrMalformed, "default principal.components[0]"},
		{"a file that ends after a credential's client count", cut(30), ccache.ErrMalformed, "credentials[0].client.count"},
		{"a server component count the file cannot hold", put32(44, 0x40000000), ccache.ErrMalformed, "credentials[0].server.count"},
		{"a key longer than the file", put32(60, 0x7fffffff), ccache.ErrMalformed, "credentials[0].keyblock.contents"},
		{"an aes256 key of 16 bytes", put16(58, uint16(crypto.AES256CTSHMACSHA196)), ccache.ErrMalformed, "credentials[0].keyblock.length"},
		{"a file that ends in the endtime", cut(90), ccache.ErrMalformed, "credentials[0].endtime"},
		{"is_skey of 2", func(b []byte) []byte { b[96] = 2; return b }, ccache.ErrMalformed, "credentials[0].is_skey"},
		{"a file that ends in the ticket flags", cut(98), ccache.ErrMalformed, "credentials[0].ticket_flags"},
		{"an address count the file cannot hold", put32(101, 1000), ccache.ErrMalformed, "credentials[0].addresses.count"},
		{"an address longer than the file", put32(107, 1000), ccache.ErrMalformed, "credentials[0].addresses[0].contents"},
		{"an authorization data count the file cannot hold", put32(115, 0xffffffff), ccache.ErrMalformed, "credentials[0].authdata.count"},
		{"authorization data longer than the file", put32(121, 500), ccache.ErrMalformed, "credentials[0].authdata[0].contents"},
		{"a ticket of 2 GiB", put32(127, 1<<31), ccache.ErrMalformed, "credentials[0].ticket"},
		{"a file that ends in the second ticket length", cut(136), ccache.ErrMalformed, "credentials[0].second_ticket.length"},
		{"three stray bytes after the last credential", func(b []byte) []byte { return append(b, 0, 0, 0) }, ccache.ErrMalformed, "credentials[1].client.name type"},
		{"a version 1 principal count of 0", func([]byte) []byte { return []byte{5, 1, 0, 0, 0, 0} }, ccache.ErrMalformed, "default principal.count"},
		{"a version 3 file that ends in the repeated enctype", func(b []byte) []byte {
			return append([]byte{5, 3}, b[4:60]...)
		}, ccache.ErrMalformed, "credentials[0].keyblock.enctype (repeated)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.mutate(malformedBase(t))
			c, err := ccache.Parse(in)
			if err == nil {
				t.Fatalf("parsed %d credentials, want an error", len(c.Credentials))
			}
			var ce *ccache.Error
			if !errors.As(err, &ce) || !errors.Is(err, tt.wantErr) || c != nil {
				t.Fatalf("error %T %v with cache %v; want *ccache.Error wrapping %v and no cache", err, err, c, tt.wantErr)
			}
			if ce.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q names field %q, want %q", err, ce.Field, tt.wantField)
			}
			if ce.Offset < 0 || ce.Offset > len(in) {
				t.Errorf("error offset %d is not in the %d-byte file", ce.Offset, len(in))
			}
		})
	}
}

func TestMarshalInvalid(t *testing.T) {
	t.Parallel()
	before1970 := time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name      string
		mutate    func(*ccache.Cache)
		wantField string
	}{
		{"a KDC offset of 100 years", func(c *ccache.Cache) { d := 100 * 365 * 24 * time.Hour; c.KDCOffset = &d }, "KDCOffset"},
		{"an authtime before 1970", func(c *ccache.Cache) { c.Credentials[1].AuthTime = before1970 }, "credentials[1].authtime"},
		{"a starttime after 2106", func(c *ccache.Cache) { c.Credentials[2].StartTime = time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC) }, "credentials[2].starttime"},
		{"an endtime before 1970", func(c *ccache.Cache) { c.Credentials[1].EndTime = before1970 }, "credentials[1].endtime"},
		{"a renew_till before 1970", func(c *ccache.Cache) { c.Credentials[1].RenewTill = before1970 }, "credentials[1].renew_till"},
		{"a negative encryption type", func(c *ccache.Cache) { c.Credentials[1].Key = crypto.Key{Type: -1} }, "credentials[1].keyblock.enctype"},
		{"an encryption type above 65535", func(c *ccache.Cache) { c.Credentials[1].Key = crypto.Key{Type: 1 << 16} }, "credentials[1].keyblock.enctype"},
		{"a negative address type", func(c *ccache.Cache) { c.Credentials[2].Addresses[1].Type = -2 }, "credentials[2].addresses[1].addrtype"},
		{"an authorization data type above 32767", func(c *ccache.Cache) { c.Credentials[2].AuthData[0].Type = 40000 }, "credentials[2].authdata[0].ad_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCache(t)
			tt.mutate(c)
			b, err := c.Marshal()
			var ce *ccache.Error
			if !errors.As(err, &ce) || !errors.Is(err, ccache.ErrInvalid) || b != nil {
				t.Fatalf("Marshal: %d bytes, error %v; want no bytes and a *ccache.Error wrapping ErrInvalid", len(b), err)
			}
			if ce.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q names field %q, want %q", err, ce.Field, tt.wantField)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	c := validCache(t)
	c.Credentials = append(c.Credentials,
		ccache.NewConfig(c.DefaultPrincipal, "fast_avail", "krbtgt/CONTOSO.COM@CONTOSO.COM", []byte("yes")),
		ccache.NewConfig(c.DefaultPrincipal, "pa_type", "krbtgt/OTHER@OTHER", []byte("138")))
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"the first entry with the key wins", "pa_type", "2"},
		{"an entry after the tickets is found", "fast_avail", "yes"},
		{"a key not present gives nil", "refresh_time", ""},
		{"keys are case-sensitive", "PA_TYPE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := c.Config(tt.key); string(got) != tt.want || (tt.want == "" && got != nil) {
				t.Errorf("Config(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	cfg := c.Credentials[0]
	if key, princ, ok := cfg.ConfigKey(); !ok || key != "pa_type" || princ != "krbtgt/CONTOSO.COM@CONTOSO.COM" || !cfg.IsConfig() {
		t.Errorf("ConfigKey() = %q, %q, %v", key, princ, ok)
	}
	if cfg.Server.String() != `krb5_ccache_conf_data/pa_type/krbtgt\/CONTOSO.COM\@CONTOSO.COM@X-CACHECONF:` || cfg.Client.String() != "alice@CONTOSO.COM" {
		t.Errorf("NewConfig made %s -> %s", cfg.Client, cfg.Server)
	}
	for _, server := range []string{"krbtgt/CONTOSO.COM@CONTOSO.COM", "krb5_ccache_conf_data@X-CACHECONF:", "krb5_ccache_conf_data/a/b/c@X-CACHECONF:", "krb5_ccache_conf_data/a@x-cacheconf:"} {
		cr := ccache.Credential{Server: principal(t, server)}
		if _, _, ok := cr.ConfigKey(); ok || cr.IsConfig() {
			t.Errorf("%s is taken for a configuration entry", server)
		}
	}
}

func TestTGT(t *testing.T) {
	t.Parallel()
	c := validCache(t)
	later := c.Credentials[1]
	later.EndTime = later.EndTime.Add(time.Hour)
	later.Server = principal(t, "krbtgt/contoso.com@contoso.com")
	cross := c.Credentials[1]
	cross.Server = principal(t, "krbtgt/FABRIKAM.COM@CONTOSO.COM")
	c.Credentials = append(c.Credentials, cross, later)
	tests := []struct {
		name    string
		realm   string
		wantEnd time.Time
	}{
		{"an empty realm means the default principal's", "", later.EndTime},
		{"realms compare case-insensitively, the latest expiry wins", "Contoso.Com", later.EndTime},
		{"a cross-realm TGT is not the realm's own", "FABRIKAM.COM", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.TGT(tt.realm)
			if tt.wantEnd.IsZero() {
				if !errors.Is(err, ccache.ErrNotFound) {
					t.Fatalf("TGT(%q): %v, want ErrNotFound", tt.realm, err)
				}
				return
			}
			if err != nil || !got.EndTime.Equal(tt.wantEnd) {
				t.Errorf("TGT(%q) ends %v (%v), want %v", tt.realm, got.EndTime, err, tt.wantEnd)
			}
		})
	}
}

func TestTicketFlagsString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags ccache.TicketFlags
		want  string
	}{
		{"no flags print nothing", 0, ""},
		{"a kinit TGT is FRIA (enc-pa-rep has no letter)", 0x40e10000, "FRIA"},
		{"a service ticket", ccache.FlagForwardable | ccache.FlagRenewable | ccache.FlagPreAuthent | ccache.FlagTransitedPolicyChecked, "FRAT"},
		{"every flag in klist's order", math.MaxUint32, "FfPpDdiRIHATOa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.flags.String(); got != tt.want {
				t.Errorf("%08x.String() = %q, want %q", uint32(tt.flags), got, tt.want)
			}
		})
	}
}

// unknownEnctype is malformedBase with a des3-cbc-sha1 (16) session key of
// 24 bytes, a type crypto does not implement.
func unknownEnctype(t testing.TB) []byte {
	b := malformedBase(t)
	out := append([]byte(nil), b[:58]...)
	out = binary.BigEndian.AppendUint16(out, 16)
	out = binary.BigEndian.AppendUint32(out, 24)
	out = append(out, bytes.Repeat([]byte{0xab}, 24)...)
	return append(out, b[80:]...)
}

func TestUnknownEnctypeIsKept(t *testing.T) {
	t.Parallel()
	b := unknownEnctype(t)
	c, err := ccache.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	cr := c.Credentials[0]
	if cr.Key.Type != 16 || cr.Key.Bytes() != nil {
		t.Errorf("key: type %d with %d bytes, want type 16 and no bytes", cr.Key.Type, len(cr.Key.Bytes()))
	}
	if s := fmt.Sprintf("%v %+v %#v", cr, c, cr); strings.Contains(s, "171 171") || strings.Contains(s, "abababab") {
		t.Errorf("printing the credential shows the key: %s", s)
	}
	again, err := c.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-encoding: %v\n got %x\nwant %x", err, again, b)
	}
}

func TestCredentialsNeverPrintKeys(t *testing.T) {
	t.Parallel()
	c := validCache(t)
	secret := hex.EncodeToString(c.Credentials[1].Key.Bytes()[:8])
	for _, format := range []string{"%v", "%+v", "%#v", "%x", "%s", "%q"} {
		s := fmt.Sprintf(format, c) + fmt.Sprintf(format, c.Credentials[1])
		if strings.Contains(s, secret) || strings.Contains(s, "[1 2 3 4 5 6 7 8") {
			t.Errorf("%s shows key bytes: %s", format, s)
		}
	}
}
