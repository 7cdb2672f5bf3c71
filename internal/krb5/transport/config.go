package transport

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of MIT krb5 1.20 for the [libdefaults] relations this package
// reads (krb5.conf(5)).
const (
	DefaultUDPPreferenceLimit = 1465
	// maxUDPPreferenceLimit is MIT's HARD_UDP_LIMIT: larger settings are
	// clamped to it.
	maxUDPPreferenceLimit = 32700
	DefaultTicketLifetime = 24 * time.Hour
	// DefaultKDCPort is the port KDCs listen on, RFC 4120 §7.2.1 and §7.2.2.
	DefaultKDCPort = 88
	// DefaultConfigPath is where MIT looks when KRB5_CONFIG is not set.
	DefaultConfigPath = "/etc/krb5.conf"
)

// Config is what this project reads from krb5.conf. Values the file does
// not set hold MIT's defaults.
type Config struct {
	LibDefaults LibDefaults
	// Realms holds the [realms] subsections by name, as written (realm
	// names are case-sensitive; [Config.Realm] also tries a
	// case-insensitive match).
	Realms map[string]*Realm
	// DomainRealm is [domain_realm] in file order: ".contoso.com" (a
	// domain) or "host.contoso.com" (a host) to a realm.
	DomainRealm []DomainRealm

	root *node
}

// LibDefaults is the [libdefaults] section.
type LibDefaults struct {
	DefaultRealm       string
	DNSLookupKDC       bool // default true
	UDPPreferenceLimit int  // default 1465, at most 32700
	KDCTimeSync        bool // default true (kdc_timesync = 1)
	RDNS               bool // default true
	TicketLifetime     time.Duration
	RenewLifetime      time.Duration
	DefaultCCacheName  string // e.g. "FILE:/tmp/krb5cc_%{uid}", unexpanded
	DefaultKeytabName  string
	// Encryption type names as written (MIT names such as
	// "aes256-cts-hmac-sha1-96", or families such as "aes"); the client maps
	// them. Nil when not set.
	PermittedEnctypes  []string
	DefaultTktEnctypes []string
	DefaultTGSEnctypes []string
}

// Realm is one subsection of [realms].
type Realm struct {
	Name          string
	KDC           []KDC // the kdc relations, in order
	AdminServer   []string
	KPasswdServer []string
	DefaultDomain string
}

// DomainRealm is one [domain_realm] relation.
type DomainRealm struct {
	Domain string // lower case; a leading "." marks a domain
	Realm  string
}

// Protocol restricts a KDC entry to a transport.
type Protocol int

const (
	ProtocolAny   Protocol = iota // UDP and TCP, in the order the request size says
	ProtocolUDP                   // "udp/host" in krb5.conf, or an _udp SRV record
	ProtocolTCP                   // "tcp/host" in krb5.conf, or a _tcp SRV record
	ProtocolHTTPS                 // "https://…" (MS-KKDCP): parsed, never sent
)

func (p Protocol) String() string {
	switch p {
	case ProtocolUDP:
		return "udp"
	case ProtocolTCP:
		return "tcp"
	case ProtocolHTTPS:
		return "https"
	}
	return "any"
}

// KDC is one KDC address: a kdc relation of krb5.conf or a DNS SRV record.
type KDC struct {
	Host     string // a name or an IP address, without brackets
	Port     int
	Protocol Protocol
	URL      string // the whole entry, for ProtocolHTTPS
}

// Addr returns host:port, with brackets around an IPv6 address.
func (k KDC) Addr() string { return net.JoinHostPort(k.Host, strconv.Itoa(k.Port)) }

// String returns the entry as krb5.conf writes it ("tcp/[::1]:88"); ParseKDC
// reads it back.
func (k KDC) String() string {
	switch k.Protocol {
	case ProtocolHTTPS:
		return k.URL
	case ProtocolUDP, ProtocolTCP:
		return k.Protocol.String() + "/" + k.Addr()
	}
	return k.Addr()
}

// ParseKDC reads a kdc value of krb5.conf as MIT does: "host", "host:port",
// "[v6addr]:port" or a bare IPv6 address (more than one colon), optionally
// prefixed with "udp/" or "tcp/" to use only that protocol, or an
// "https://" MS-KKDCP URL. The port defaults to 88.
func ParseKDC(s string) (KDC, error) {
	s = strings.TrimSpace(s)
	k := KDC{Port: DefaultKDCPort}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "https://"):
		u := s[len("https://"):]
		if i := strings.IndexAny(u, "/"); i >= 0 {
			u = u[:i]
		}
		k.Protocol, k.URL, k.Port = ProtocolHTTPS, s, 443
		s = u
	case strings.HasPrefix(lower, "udp/"):
		k.Protocol, s = ProtocolUDP, s[4:]
	case strings.HasPrefix(lower, "tcp/"):
		k.Protocol, s = ProtocolTCP, s[4:]
	}
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return KDC{}, errors.New("[ without ]")
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return KDC{}, errors.New("text after ]")
			}
			port = rest[1:]
			if port == "" {
				return KDC{}, errors.New("empty port")
			}
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return KDC{}, errors.New("empty port")
		}
	}
	if host == "" {
		return KDC{}, errors.New("no host")
	}
	if strings.ContainsAny(host, " \t/[]") {
		return KDC{}, errors.New("not a host name or address")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' || port[0] == '-' {
			return KDC{}, errors.New("port " + strconv.Quote(port) + " is not 1–65535")
		}
		k.Port = n
	}
	k.Host = host
	return k, nil
}

// ParseConfig parses krb5.conf bytes. include and includedir directives are
// errors here: use [LoadConfigFS] or [LoadConfig] to follow them.
func ParseConfig(b []byte) (*Config, error) {
	return parseConfig("krb5.conf", b, nil)
}

// LoadConfig reads the krb5.conf at path (and what it includes) from the
// operating system's files.
func LoadConfig(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &ConfigError{File: path, Reason: err.Error(), Err: ErrInclude}
	}
	return LoadConfigFS(os.DirFS("/"), filepath.ToSlash(abs))
}

// LoadConfigFS reads the krb5.conf at the absolute path name of fsys, a
// file system rooted at "/" (fstest.MapFS{"etc/krb5.conf": …} holds
// "/etc/krb5.conf"), following include and includedir within fsys.
func LoadConfigFS(fsys fs.FS, name string) (*Config, error) {
	data, err := fs.ReadFile(fsys, fsPath(name))
	if err != nil {
		return nil, &ConfigError{File: name, Reason: brief(err), Err: ErrInclude}
	}
	return parseConfig(name, data, fsys)
}

// LoadDefault reads the configuration MIT's library reads: the files of
// the KRB5_CONFIG environment variable (a list separated by ":", earlier
// files winning for single values and final nodes hiding later ones), else
// /etc/krb5.conf. A missing file counts as empty.
func LoadDefault() (*Config, error) {
	list := os.Getenv("KRB5_CONFIG")
	if list == "" {
		list = DefaultConfigPath
	}
	return LoadFiles(filepath.SplitList(list))
}

// LoadFiles reads a list of krb5.conf files as one profile, as MIT does
// with KRB5_CONFIG; missing files are skipped.
func LoadFiles(paths []string) (*Config, error) {
	root := &node{isGroup: true}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		c, err := LoadConfig(p)
		if err != nil {
			return nil, err
		}
		merge(root, c.root)
	}
	return fromTree(root)
}

func parseConfig(name string, data []byte, fsys fs.FS) (*Config, error) {
	p := &profileParser{fsys: fsys, root: &node{isGroup: true}}
	if err := p.parse(name, data); err != nil {
		return nil, err
	}
	return fromTree(p.root)
}

// Values returns every value of the relation at path, e.g.
// Values("realms", "CONTOSO.COM", "kdc") or Values("libdefaults",
// "clockskew"), for relations the typed fields do not cover.
func (c *Config) Values(path ...string) []string {
	if c == nil || c.root == nil || len(path) == 0 {
		return nil
	}
	n := c.root
	for _, p := range path[:len(path)-1] {
		if n = n.child(p); n == nil {
			return nil
		}
	}
	var out []string
	for _, r := range n.children {
		if !r.isGroup && r.name == path[len(path)-1] {
			out = append(out, r.value)
		}
	}
	return out
}

// Realm returns the [realms] entry named name, trying an exact match
// first and then a case-insensitive one.
func (c *Config) Realm(name string) (*Realm, bool) {
	if c == nil {
		return nil, false
	}
	if r, ok := c.Realms[name]; ok {
		return r, true
	}
	for n, r := range c.Realms {
		if strings.EqualFold(n, name) {
			return r, true
		}
	}
	return nil, false
}

// RealmForHost maps a host name to its realm with [domain_realm], as MIT's
// domain_realm module does: it looks up the host itself, then each parent
// domain with and without its leading dot (".a.contoso.com",
// "a.contoso.com", ".contoso.com", "contoso.com", ".com", "com"), and the
// first relation found wins. ok is false when nothing matches; MIT then
// falls back to default_realm, which is the caller's choice.
func (c *Config) RealmForHost(host string) (realm string, ok bool) {
	if c == nil {
		return "", false
	}
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if h == "" {
		return "", false
	}
	for p := h; p != ""; {
		for _, m := range c.DomainRealm {
			if m.Domain == p {
				return m.Realm, true
			}
		}
		if p[0] == '.' {
			p = p[1:]
		} else if i := strings.IndexByte(p, '.'); i >= 0 {
			p = p[i:]
		} else {
			break
		}
	}
	return "", false
}

func fromTree(root *node) (*Config, error) {
	c := &Config{
		root:   root,
		Realms: map[string]*Realm{},
		LibDefaults: LibDefaults{
			DNSLookupKDC:       true,
			UDPPreferenceLimit: DefaultUDPPreferenceLimit,
			KDCTimeSync:        true,
			RDNS:               true,
			TicketLifetime:     DefaultTicketLifetime,
		},
	}
	if lib := root.child("libdefaults"); lib != nil {
		if err := c.LibDefaults.read(lib); err != nil {
			return nil, err
		}
	}
	if realms := root.child("realms"); realms != nil {
		for _, g := range realms.children {
			if !g.isGroup {
				continue
			}
			r := &Realm{Name: g.name}
			for _, rel := range g.children {
				if rel.isGroup {
					continue
				}
				switch rel.name {
				case "kdc":
					k, err := ParseKDC(rel.value)
					if err != nil {
						return nil, badValue(rel, "kdc address: "+err.Error())
					}
					r.KDC = append(r.KDC, k)
				case "admin_server":
					r.AdminServer = append(r.AdminServer, rel.value)
				case "kpasswd_server":
					r.KPasswdServer = append(r.KPasswdServer, rel.value)
				case "default_domain":
					if r.DefaultDomain == "" {
						r.DefaultDomain = rel.value
					}
				}
			}
			c.Realms[g.name] = r
		}
	}
	if dr := root.child("domain_realm"); dr != nil {
		for _, rel := range dr.children {
			if !rel.isGroup {
				c.DomainRealm = append(c.DomainRealm, DomainRealm{Domain: strings.ToLower(rel.name), Realm: rel.value})
			}
		}
	}
	return c, nil
}

func badValue(n *node, reason string) *ConfigError {
	return &ConfigError{File: n.file, Line: n.line, Text: n.name + " = " + n.value, Reason: reason, Err: ErrBadValue}
}

func (d *LibDefaults) read(lib *node) error {
	seen := map[string]bool{}
	for _, rel := range lib.children {
		if rel.isGroup || seen[rel.name] {
			continue // MIT reads the first value of a single-valued relation
		}
		seen[rel.name] = true
		v := rel.value
		var err error
		switch rel.name {
		case "default_realm":
			d.DefaultRealm = v
		case "dns_lookup_kdc":
			d.DNSLookupKDC, err = parseBool(v)
		case "rdns":
			d.RDNS, err = parseBool(v)
		case "kdc_timesync":
			var n int
			n, err = parseInt(v)
			d.KDCTimeSync = n != 0
		case "udp_preference_limit":
			var n int
			n, err = parseInt(v)
			switch {
			case n < 0:
				n = DefaultUDPPreferenceLimit
			case n > maxUDPPreferenceLimit:
				n = maxUDPPreferenceLimit
			}
			d.UDPPreferenceLimit = n
		case "ticket_lifetime":
			d.TicketLifetime, err = parseDuration(v)
		case "renew_lifetime":
			d.RenewLifetime, err = parseDuration(v)
		case "default_ccache_name":
			d.DefaultCCacheName = v
		case "default_keytab_name":
			d.DefaultKeytabName = v
		case "permitted_enctypes":
			d.PermittedEnctypes = splitList(v)
		case "default_tkt_enctypes":
			d.DefaultTktEnctypes = splitList(v)
		case "default_tgs_enctypes":
			d.DefaultTGSEnctypes = splitList(v)
		}
		if err != nil {
			return badValue(rel, err.Error())
		}
	}
	return nil
}

// parseBool accepts what MIT's profile_parse_boolean accepts.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "y", "yes", "true", "t", "1", "on":
		return true, nil
	case "n", "no", "false", "nil", "0", "off":
		return false, nil
	}
	return false, errors.New("not a boolean (yes, no, true, false, on, off, 1, 0)")
}

func parseInt(s string) (int, error) {
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return int(n), nil
}

// parseDuration reads MIT's krb5_string_to_deltat forms: seconds ("3600"),
// units ("10h", "1d 2h 30m 10s", "7d"), "h:m" and "h:m:s", and "d-h:m:s".
func parseDuration(s string) (time.Duration, error) {
	bad := errors.New("not a duration (e.g. 10h, 1d 2h, 10:00, 36000)")
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, bad
	}
	if n, err := strconv.ParseUint(t, 10, 31); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if strings.Contains(t, ":") {
		var days uint64
		if d, rest, ok := strings.Cut(t, "-"); ok {
			n, err := strconv.ParseUint(d, 10, 16)
			if err != nil {
				return 0, bad
			}
			days, t = n, rest
		}
		parts := strings.Split(t, ":")
		if len(parts) > 3 {
			return 0, bad
		}
		var total time.Duration
		units := []time.Duration{time.Hour, time.Minute, time.Second}
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || (i > 0 && n > 59) {
				return 0, bad
			}
			total += time.Duration(n) * units[i]
		}
		return total + time.Duration(days)*24*time.Hour, nil
	}
	var total time.Duration
	seenUnit := false
	for t != "" {
		t = strings.TrimLeft(t, " \t")
		i := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 || i == len(t) {
			return 0, bad
		}
		n, _ := strconv.Atoi(t[:i])
		var unit time.Duration
		switch t[i] {
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, bad
		}
		total += time.Duration(n) * unit
		seenUnit = true
		t = strings.TrimLeft(t[i+1:], " \t")
	}
	if !seenUnit {
		return 0, bad
	}
	return total, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
}

func itoa(n int) string { return strconv.Itoa(n) }
