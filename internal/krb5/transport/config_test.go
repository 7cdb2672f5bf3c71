package transport_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func defaults() transport.LibDefaults {
	return transport.LibDefaults{
		DNSLookupKDC:       true,
		UDPPreferenceLimit: 1465,
		KDCTimeSync:        true,
		RDNS:               true,
		TicketLifetime:     24 * time.Hour,
	}
}

func kdcs(t *testing.T, entries ...string) []transport.KDC {
	t.Helper()
	var out []transport.KDC
	for _, e := range entries {
		k, err := transport.ParseKDC(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		input       string
		lib         func(*transport.LibDefaults) // applied to defaults()
		realms      func(t *testing.T) map[string]*transport.Realm
		domainRealm []transport.DomainRealm
	}{
		{
			name:  "MIT's documented example has two multi-line realms and a domain_realm",
			input: readTestdata(t, "mit-example.conf"),
			lib:   func(d *transport.LibDefaults) { d.DefaultRealm = "ATHENA.MIT.EDU" },
			realms: func(t *testing.T) map[string]*transport.Realm {
				return map[string]*transport.Realm{
					"ATHENA.MIT.EDU": {Name: "ATHENA.MIT.EDU", KDC: kdcs(t, "kerberos.mit.edu", "kerberos-1.mit.edu", "kerberos-2.mit.edu"), AdminServer: []string{"kerberos.mit.edu"}},
					"EXAMPLE.COM":    {Name: "EXAMPLE.COM", KDC: kdcs(t, "kerberos.example.com", "kerberos-1.example.com"), AdminServer: []string{"kerberos.example.com"}},
				}
			},
			domainRealm: []transport.DomainRealm{{Domain: "mit.edu", Realm: "ATHENA.MIT.EDU"}},
		},
		{
			name:  "Samba's generated krb5.conf has a realm without kdc lines",
			input: readTestdata(t, "samba-provision.conf"),
			lib:   func(d *transport.LibDefaults) { d.DefaultRealm = "CONTOSO.COM" },
			realms: func(t *testing.T) map[string]*transport.Realm {
				return map[string]*transport.Realm{"CONTOSO.COM": {Name: "CONTOSO.COM", DefaultDomain: "contoso.com"}}
			},
			domainRealm: []transport.DomainRealm{{Domain: "dc1", Realm: "CONTOSO.COM"}},
		},
		{
			name: "comments, blank lines, CRLF and text before the first section are ignored",
			input: "this line precedes any section\r\n# a comment\r\n[libdefaults]\r\n  ; another\r\n\r\n" +
				"\tdefault_realm = CONTOSO.COM\r\n  # kdc = nowhere\r\n",
			lib: func(d *transport.LibDefaults) { d.DefaultRealm = "CONTOSO.COM" },
		},
		{
			name: "repeated kdc lines keep their order, with ports, IPv6 and protocol prefixes",
			input: `[realms]
CONTOSO.COM = {
	kdc = dc1.contoso.com
	kdc = dc2.contoso.com:1088
	kdc = [2001:db8::1]:750
	kdc = 2001:db8::2
	kdc = tcp/dc3.contoso.com
	kdc = UDP/[::1]
	kdc = https://kdcproxy.contoso.com/KdcProxy
	admin_server = dc1.contoso.com:749
	kpasswd_server = dc1.contoso.com
}
`,
			realms: func(t *testing.T) map[string]*transport.Realm {
				return map[string]*transport.Realm{"CONTOSO.COM": {
					Name: "CONTOSO.COM",
					KDC: []transport.KDC{
						{Host: "dc1.contoso.com", Port: 88},
						{Host: "dc2.contoso.com", Port: 1088},
						{Host: "2001:db8::1", Port: 750},
						{Host: "2001:db8::2", Port: 88},
						{Host: "dc3.contoso.com", Port: 88, Protocol: transport.ProtocolTCP},
						{Host: "::1", Port: 88, Protocol: transport.ProtocolUDP},
						{Host: "kdcproxy.contoso.com", Port: 443, Protocol: transport.ProtocolHTTPS, URL: "https://kdcproxy.contoso.com/KdcProxy"},
					},
					AdminServer:   []string{"dc1.contoso.com:749"},
					KPasswdServer: []string{"dc1.contoso.com"},
				}}
			},
		},
		{
			name: "every libdefaults relation the project reads is typed",
			input: `[libdefaults]
	default_realm = CONTOSO.COM
	dns_lookup_kdc = off
	udp_preference_limit = 1
	kdc_timesync = 0
	rdns = false
	ticket_lifetime = 10h 30m
	renew_lifetime = 7d
	default_ccache_name = FILE:/var/run/gmsa/krb5cc
	default_keytab_name = FILE:/etc/krb5.keytab
	permitted_enctypes = aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96
	default_tkt_enctypes = aes256-cts-hmac-sha1-96
	default_tgs_enctypes = aes
	default_realm = IGNORED.COM
`,
			lib: func(d *transport.LibDefaults) {
				*d = transport.LibDefaults{
					DefaultRealm:       "CONTOSO.COM",
					UDPPreferenceLimit: 1,
					TicketLifetime:     10*time.Hour + 30*time.Minute,
					RenewLifetime:      7 * 24 * time.Hour,
					DefaultCCacheName:  "FILE:/var/run/gmsa/krb5cc",
					DefaultKeytabName:  "FILE:/etc/krb5.keytab",
					PermittedEnctypes:  []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"},
					DefaultTktEnctypes: []string{"aes256-cts-hmac-sha1-96"},
					DefaultTGSEnctypes: []string{"aes"},
				}
			},
		},
		{
			name:  "durations take MIT's forms",
			input: "[libdefaults]\nticket_lifetime = 36000\nrenew_lifetime = 1-02:03:04\n",
			lib: func(d *transport.LibDefaults) {
				d.TicketLifetime = 10 * time.Hour
				d.RenewLifetime = 26*time.Hour + 3*time.Minute + 4*time.Second
			},
		},
		{
			name:  "an over-large udp_preference_limit is clamped as MIT does",
			input: "[libdefaults]\nudp_preference_limit = 100000\n",
			lib:   func(d *transport.LibDefaults) { d.UDPPreferenceLimit = 32700 },
		},
		{
			name:  "a brace on the line after the tag opens the subsection, and quoted values unescape",
			input: "[realms]\nCONTOSO.COM =\n{\n  default_domain = \"contoso.com\\t# not a comment\" ignored\n}\n",
			realms: func(t *testing.T) map[string]*transport.Realm {
				return map[string]*transport.Realm{"CONTOSO.COM": {Name: "CONTOSO.COM", DefaultDomain: "contoso.com\t# not a comment"}}
			},
		},
		{
			name:  "final markers are accepted and sections of the same name merge",
			input: "[realms]*\nCONTOSO.COM = {\n kdc* = dc1\n}*\n[libdefaults]\nrdns = no\n[realms]\nCONTOSO.COM = {\n kdc = dc2\n}\n",
			lib:   func(d *transport.LibDefaults) { d.RDNS = false },
			realms: func(t *testing.T) map[string]*transport.Realm {
				return map[string]*transport.Realm{"CONTOSO.COM": {Name: "CONTOSO.COM", KDC: kdcs(t, "dc1", "dc2")}}
			},
		},
		{
			name:  "domain_realm tags are lower-cased, values kept",
			input: "[domain_realm]\n  .Contoso.COM = CONTOSO.COM\n  contoso.com = CONTOSO.COM\n",
			domainRealm: []transport.DomainRealm{
				{Domain: ".contoso.com", Realm: "CONTOSO.COM"},
				{Domain: "contoso.com", Realm: "CONTOSO.COM"},
			},
		},
		{
			name:  "an empty file is MIT's defaults",
			input: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := transport.ParseConfig([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			wantLib := defaults()
			if tt.lib != nil {
				tt.lib(&wantLib)
			}
			if !reflect.DeepEqual(c.LibDefaults, wantLib) {
				t.Errorf("LibDefaults =\n%+v\nwant\n%+v", c.LibDefaults, wantLib)
			}
			wantRealms := map[string]*transport.Realm{}
			if tt.realms != nil {
				wantRealms = tt.realms(t)
			}
			if !reflect.DeepEqual(c.Realms, wantRealms) {
				t.Errorf("Realms:")
				for n, r := range c.Realms {
					t.Errorf("  got  %s: %+v", n, *r)
				}
				for n, r := range wantRealms {
					t.Errorf("  want %s: %+v", n, *r)
				}
			}
			if !reflect.DeepEqual(c.DomainRealm, tt.domainRealm) {
				t.Errorf("DomainRealm = %+v, want %+v", c.DomainRealm, tt.domainRealm)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		wantErr error
		wantMsg string
	}{
		{
			name:    "an unclosed brace names the line that opened it",
			input:   "[realms]\nCONTOSO.COM = {\n  kdc = dc1\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:2: { is never closed: "CONTOSO.COM = {"`,
		},
		{
			name:    "a stray closing brace names its line",
			input:   "[realms]\nCONTOSO.COM = {\n}\n}\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:4: } without a matching {: "}"`,
		},
		{
			name:    "a relation without = names its line",
			input:   "[libdefaults]\n  default_realm CONTOSO.COM\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:2: missing = in relation: "default_realm CONTOSO.COM"`,
		},
		{
			name:    "a section header without ] is refused",
			input:   "[libdefaults\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:1: section header without ]: "[libdefaults"`,
		},
		{
			name:    "a section header inside a subsection is refused",
			input:   "[realms]\nA = {\n[libdefaults]\n}\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:3: section header inside a subsection opened on line 2: "[libdefaults]"`,
		},
		{
			name:    "text after an opening brace is refused",
			input:   "[realms]\nA = { kdc = x }\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:2: text after { on the line that opens a subsection: "A = { kdc = x }"`,
		},
		{
			name:    "a tag without its brace at the end of the file is refused",
			input:   "[realms]\nA =\n",
			wantErr: transport.ErrSyntax,
			wantMsg: `krb5.conf: krb5.conf:3: missing { for the subsection A at the end of the file`,
		},
		{
			name:    "a bad boolean names the relation",
			input:   "[libdefaults]\n\n  dns_lookup_kdc = maybe\n",
			wantErr: transport.ErrBadValue,
			wantMsg: `krb5.conf: krb5.conf:3: not a boolean (yes, no, true, false, on, off, 1, 0): "dns_lookup_kdc = maybe"`,
		},
		{
			name:    "a bad kdc port names the relation",
			input:   "[realms]\nA = {\n  kdc = dc1:99999\n}\n",
			wantErr: transport.ErrBadValue,
			wantMsg: `krb5.conf: krb5.conf:3: kdc address: port "99999" is not 1–65535: "kdc = dc1:99999"`,
		},
		{
			name:    "a bad duration names the relation",
			input:   "[libdefaults]\nticket_lifetime = 10 hours\n",
			wantErr: transport.ErrBadValue,
			wantMsg: `krb5.conf: krb5.conf:2: not a duration (e.g. 10h, 1d 2h, 10:00, 36000): "ticket_lifetime = 10 hours"`,
		},
		{
			name:    "include without a file system is refused",
			input:   "include /etc/krb5.conf.d/x\n",
			wantErr: transport.ErrInclude,
			wantMsg: `krb5.conf: krb5.conf:1: include needs a file system: use LoadConfig or LoadConfigFS: "include /etc/krb5.conf.d/x"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := transport.ParseConfig([]byte(tt.input))
			if c != nil {
				t.Errorf("ParseConfig returned a value with its error")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("err = %s\nwant  %s", err, tt.wantMsg)
			}
			var ce *transport.ConfigError
			if !errors.As(err, &ce) || ce.Line == 0 {
				t.Errorf("err is not a *ConfigError with a line: %#v", err)
			}
		})
	}
}

func TestLoadConfigFSFollowsIncludes(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"etc/krb5.conf":        {Data: []byte("include /etc/krb5/realms.conf\n[libdefaults]\n default_realm = CONTOSO.COM\nincludedir /etc/krb5.conf.d/\n")},
		"etc/krb5/realms.conf": {Data: []byte("[realms]\nCONTOSO.COM = {\n kdc = dc1\n}\n")},
		// read in name order; names with a dot must end in .conf.
		"etc/krb5.conf.d/20-second.conf": {Data: []byte("[realms]\nCONTOSO.COM = {\n kdc = dc3\n}\n")},
		"etc/krb5.conf.d/10_first":       {Data: []byte("[realms]\nCONTOSO.COM = {\n kdc = dc2\n}\n")},
		"etc/krb5.conf.d/.hidden.conf":   {Data: []byte("[realms]\nCONTOSO.COM = {\n kdc = hidden\n}\n")},
		"etc/krb5.conf.d/backup.conf~":   {Data: []byte("[realms]\nCONTOSO.COM = {\n kdc = backup\n}\n")},
		"etc/krb5.conf.d/README.md":      {Data: []byte("not a profile {")},
		"etc/cycle.conf":                 {Data: []byte("include /etc/cycle.conf\n")},
		"etc/missing.conf":               {Data: []byte("[libdefaults]\ninclude /etc/nowhere.conf\n")},
		"etc/broken.conf":                {Data: []byte("include /etc/krb5/bad.conf\n")},
		"etc/krb5/bad.conf":              {Data: []byte("[realms]\n\nA = {\n")},
	}
	c, err := transport.LoadConfigFS(fsys, "/etc/krb5.conf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range c.Realms["CONTOSO.COM"].KDC {
		got = append(got, k.Host)
	}
	if strings.Join(got, " ") != "dc1 dc2 dc3" || c.LibDefaults.DefaultRealm != "CONTOSO.COM" {
		t.Errorf("kdc = %v, default_realm %q; want dc1 dc2 dc3 and CONTOSO.COM", got, c.LibDefaults.DefaultRealm)
	}

	for _, tt := range []struct{ name, file, want string }{
		{"an include cycle is refused", "/etc/cycle.conf", "includes nested more than 8 deep"},
		{"a missing include names the including line", "/etc/missing.conf", `krb5.conf: /etc/missing.conf:2: file does not exist: "include /etc/nowhere.conf"`},
		{"an error in an included file names that file", "/etc/broken.conf", `krb5.conf: /etc/krb5/bad.conf:3: { is never closed: "A = {"`},
	} {
		_, err := transport.LoadConfigFS(fsys, tt.file)
		if !errors.Is(err, transport.ErrInclude) && !errors.Is(err, transport.ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestLoadDefault reads KRB5_CONFIG, so it does not run in parallel.
func TestLoadDefault(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.conf")
	second := filepath.Join(dir, "second.conf")
	os.WriteFile(first, []byte("[libdefaults]\n default_realm = FIRST.COM\n[realms]\nA.COM = {\n kdc* = a1\n}\nB.COM = {\n kdc = b1\n}\n"), 0o644)
	os.WriteFile(second, []byte("[libdefaults]\n default_realm = SECOND.COM\n dns_lookup_kdc = false\n[realms]\nA.COM = {\n kdc = a2\n}\nB.COM = {\n kdc = b2\n}\n"), 0o644)
	t.Setenv("KRB5_CONFIG", first+":"+filepath.Join(dir, "missing.conf")+":"+second)
	c, err := transport.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	if c.LibDefaults.DefaultRealm != "FIRST.COM" || c.LibDefaults.DNSLookupKDC {
		t.Errorf("libdefaults = %+v: want the first file's default_realm and the second's dns_lookup_kdc", c.LibDefaults)
	}
	hosts := func(realm string) string {
		var s []string
		for _, k := range c.Realms[realm].KDC {
			s = append(s, k.Host)
		}
		return strings.Join(s, " ")
	}
	if hosts("A.COM") != "a1" || hosts("B.COM") != "b1 b2" {
		t.Errorf("A.COM kdc %q (want a1: final), B.COM kdc %q (want b1 b2)", hosts("A.COM"), hosts("B.COM"))
	}

	t.Setenv("KRB5_CONFIG", filepath.Join(dir, "missing.conf"))
	c, err = transport.LoadDefault()
	if err != nil || len(c.Realms) != 0 || !c.LibDefaults.DNSLookupKDC {
		t.Errorf("a missing file: %+v, %v; want an empty config with MIT's defaults", c, err)
	}
}

func TestRealmForHost(t *testing.T) {
	t.Parallel()
	c := config(t, `[domain_realm]
	dc1.fabrikam.com = CONTOSO.COM
	.contoso.com = CONTOSO.COM
	contoso.com = CONTOSO.COM
	eu.contoso.com = EU.CONTOSO.COM
	fabrikam.com = FABRIKAM.COM
`)
	tests := []struct {
		name, host, want string
	}{
		{"a host entry wins over its domain", "DC1.Fabrikam.com.", "CONTOSO.COM"},
		{"a host under a dotted domain maps to it", "web.contoso.com", "CONTOSO.COM"},
		{"the domain name itself maps through its undotted entry", "contoso.com", "CONTOSO.COM"},
		{"a closer parent wins", "sql.eu.contoso.com", "EU.CONTOSO.COM"},
		{"an undotted entry covers subdomains as MIT's walk does", "web.fabrikam.com", "FABRIKAM.COM"},
		{"an unknown host maps to nothing", "example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := c.RealmForHost(tt.host)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("RealmForHost(%q) = %q, %v; want %q", tt.host, got, ok, tt.want)
			}
		})
	}
}

func TestParseKDC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "a bare host gets port 88", in: "dc1.contoso.com", want: "dc1.contoso.com:88"},
		{name: "a port follows one colon", in: "dc1:750", want: "dc1:750"},
		{name: "a bracketed IPv6 address takes a port", in: "[fe80::1]:750", want: "[fe80::1]:750"},
		{name: "a bare IPv6 address has no port", in: "fe80::1", want: "[fe80::1]:88"},
		{name: "tcp/ restricts to TCP", in: "tcp/dc1", want: "tcp/dc1:88"},
		{name: "udp/ restricts to UDP", in: "udp/10.0.0.1:88", want: "udp/10.0.0.1:88"},
		{name: "an empty port is an error", in: "dc1:", wantErr: "empty port"},
		{name: "a port out of range is an error", in: "dc1:0", wantErr: `port "0" is not 1–65535`},
		{name: "an unclosed bracket is an error", in: "[::1", wantErr: "[ without ]"},
		{name: "text after the bracket is an error", in: "[::1]x", wantErr: "text after ]"},
		{name: "an empty host is an error", in: "tcp/", wantErr: "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := transport.ParseKDC(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseKDC(%q) = %v, %v; want error %q", tt.in, k, err, tt.wantErr)
				}
				return
			}
			if err != nil || k.String() != tt.want {
				t.Fatalf("ParseKDC(%q) = %v, %v; want %s", tt.in, k, err, tt.want)
			}
			if again, err := transport.ParseKDC(k.String()); err != nil || again != k {
				t.Errorf("re-parsing %q gives %v, %v", k.String(), again, err)
			}
		})
	}
}
