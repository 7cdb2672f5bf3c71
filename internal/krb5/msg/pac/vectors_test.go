package pac

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// A vector file (testdata/*.txt) is one PAC, or one PAC_LOGON_INFO buffer,
// captured by someone else: "name: value" lines, the first of which is
// "source:" and names where the bytes come from, then the payload ("pac:"
// or "logon-info:") as hex on indented continuation lines. The other
// fields are what the source says the bytes hold ("expect-from:" names
// where it says so); each is checked when present.
type vector struct {
	name   string
	fields map[string]string
}

// vectorCount is how many vector files testdata holds, so that a lost file
// fails the tests instead of shrinking them.
const vectorCount = 8

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(paths)
	if len(paths) != vectorCount {
		tb.Fatalf("testdata holds %d vector files, want %d", len(paths), vectorCount)
	}
	vs := make([]vector, len(paths))
	for i, p := range paths {
		vs[i] = readVector(tb, p)
	}
	return vs
}

func readVector(tb testing.TB, path string) vector {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	v := vector{name: strings.TrimSuffix(filepath.Base(path), ".txt"), fields: map[string]string{}}
	last := ""
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				tb.Fatalf("%s:%d: continuation line with nothing to continue", path, i+1)
			}
			v.fields[last] += strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				tb.Fatalf("%s:%d: want \"name: value\", got %q", path, i+1, line)
			}
			if i == 0 && name != "source" {
				tb.Fatalf("%s: the first line must be \"source: …\", got %q", path, line)
			}
			if _, dup := v.fields[name]; dup {
				tb.Fatalf("%s:%d: %s given twice", path, i+1, name)
			}
			last = name
			v.fields[name] = strings.TrimSpace(value)
		}
	}
	return v
}

func (v vector) has(field string) bool { _, ok := v.fields[field]; return ok }

// value returns a field's first word (the rest is a comment such as a
// date).
func (v vector) value(field string) string {
	s, _, _ := strings.Cut(v.fields[field], " ")
	return s
}

func (v vector) hex(tb testing.TB, field string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(v.fields[field], " ", ""))
	if err != nil {
		tb.Fatalf("%s: %s: %v", v.name, field, err)
	}
	return b
}

// key reads "enctype hex" into a key, rc4-hmac ones opted in: these PACs
// were signed with them.
func (v vector) key(tb testing.TB, field string) crypto.Key {
	tb.Helper()
	typ, h, _ := strings.Cut(v.fields[field], " ")
	e, err := crypto.ParseEncType(typ)
	if err != nil {
		tb.Fatalf("%s: %s: %v", v.name, field, err)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		tb.Fatalf("%s: %s: %v", v.name, field, err)
	}
	k, err := crypto.NewKey(e, b)
	if err != nil {
		tb.Fatalf("%s: %s: %v", v.name, field, err)
	}
	return crypto.AllowRC4(k)
}

// checkLogonInfo compares li with the vector's logon info expectations.
func (v vector) checkLogonInfo(t *testing.T, li *LogonInfo) {
	t.Helper()
	if li == nil {
		t.Fatal("no logon info")
	}
	str := map[string]string{
		"effective-name":        li.EffectiveName,
		"full-name":             li.FullName,
		"logon-script":          li.LogonScript,
		"logon-server":          li.LogonServer,
		"logon-domain-name":     li.LogonDomainName,
		"user-id":               strconv.FormatUint(uint64(li.UserID), 10),
		"user-sid":              li.UserSID().String(),
		"group-count":           strconv.Itoa(len(li.GroupIDs)),
		"extra-sid-count":       strconv.Itoa(len(li.ExtraSIDs)),
		"resource-group-domain": li.ResourceGroupDomainID.String(),
	}
	for field, got := range str {
		if v.has(field) && got != v.fields[field] {
			t.Errorf("%s: got %q, the source says %q", field, got, v.fields[field])
		}
	}
	if v.has("group-sids") {
		var got []string
		for _, s := range li.GroupSIDs() {
			got = append(got, s.String())
		}
		if want := strings.Fields(v.fields["group-sids"]); !slices.Equal(got, want) {
			t.Errorf("GroupSIDs:\n got %v\nwant %v", got, want)
		}
	}
}

func TestVectorsDecodeAsTheirSourcesSay(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		if !v.has("pac") {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			raw := v.hex(t, "pac")
			p, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			var types, sizes []string
			for _, b := range p.Buffers {
				types = append(types, strconv.FormatUint(uint64(b.Type), 10))
				sizes = append(sizes, strconv.Itoa(len(b.Data)))
			}
			if v.has("buffer-types") && strings.Join(types, " ") != v.fields["buffer-types"] {
				t.Errorf("buffer types %v, the source says %s", types, v.fields["buffer-types"])
			}
			if v.has("buffer-sizes") && strings.Join(sizes, " ") != v.fields["buffer-sizes"] {
				t.Errorf("buffer sizes %v, the source says %s", sizes, v.fields["buffer-sizes"])
			}
			if v.has("buffer-count") && strconv.Itoa(len(p.Buffers)) != v.fields["buffer-count"] {
				t.Errorf("%d buffers, the source says %s", len(p.Buffers), v.fields["buffer-count"])
			}
			if p.LogonInfo != nil || v.has("effective-name") {
				v.checkLogonInfo(t, p.LogonInfo)
			}
			if v.has("client-name") || v.has("client-id") {
				if p.ClientInfo == nil {
					t.Fatal("no client info")
				}
				if v.has("client-name") && p.ClientInfo.Name != v.fields["client-name"] {
					t.Errorf("client name %q, the source says %q", p.ClientInfo.Name, v.fields["client-name"])
				}
				if v.has("client-id") && p.ClientInfo.ClientID.String() != v.value("client-id") {
					t.Errorf("client id %v, the source says %s", p.ClientInfo.ClientID, v.fields["client-id"])
				}
			}
			if v.has("upn") {
				if p.UPNDNSInfo == nil {
					t.Fatal("no UPN DNS info")
				}
				if p.UPNDNSInfo.UPN != v.fields["upn"] || p.UPNDNSInfo.DNSDomainName != v.fields["dns-domain-name"] {
					t.Errorf("UPN %q DNS domain %q, the source says %q, %q", p.UPNDNSInfo.UPN, p.UPNDNSInfo.DNSDomainName, v.fields["upn"], v.fields["dns-domain-name"])
				}
				if v.has("upn-flags") && strconv.FormatUint(uint64(p.UPNDNSInfo.Flags), 10) != v.fields["upn-flags"] {
					t.Errorf("UPN flags %d, the source says %s", p.UPNDNSInfo.Flags, v.fields["upn-flags"])
				}
			}
			for field, s := range map[string]*Signature{"server-signature-type": p.ServerSignature, "kdc-signature-type": p.KDCSignature} {
				if !v.has(field) {
					continue
				}
				if s == nil {
					t.Fatalf("%s: no signature", field)
				}
				if got := strconv.Itoa(int(s.Type)); got != v.fields[field] {
					t.Errorf("%s %s, the source says %s", field, got, v.fields[field])
				}
			}
		})
	}
}

// Every captured PAC re-encodes to its own bytes: framing, padding, NDR
// referent IDs and string lengths all as Windows (or Samba) wrote them.
func TestVectorsReencodeToTheSameBytes(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var raw, got []byte
			var err error
			if v.has("pac") {
				raw = v.hex(t, "pac")
				var p *PAC
				if p, err = Parse(raw); err == nil {
					got, err = p.Marshal()
				}
			} else {
				raw = v.hex(t, "logon-info")
				var li *LogonInfo
				if li, err = ParseLogonInfo(raw); err == nil {
					v.checkLogonInfo(t, li)
					got, err = li.Marshal()
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Errorf("re-encoded bytes differ at offset %d\n got %x\nwant %x", firstDifference(got, raw), got, raw)
			}
		})
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The vectors whose keys are known verify, fail with the other key and when
// altered, and (the Samba one, whose signatures are deterministic hmac-md5)
// re-sign to their own bytes.
func TestVectorsSignaturesVerify(t *testing.T) {
	t.Parallel()
	n := 0
	for _, v := range loadVectors(t) {
		if !v.has("server-key") {
			continue
		}
		n++
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			raw := v.hex(t, "pac")
			server := v.key(t, "server-key")
			if err := Verify(raw, server); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			altered := bytes.Clone(raw)
			altered[200] ^= 1 // inside the logon info
			if err := Verify(altered, server); !errors.Is(err, ErrIntegrity) {
				t.Errorf("Verify of an altered PAC: %v, want ErrIntegrity", err)
			}
			if !v.has("kdc-key") {
				return
			}
			kdc := v.key(t, "kdc-key")
			if err := VerifyKDC(raw, kdc); err != nil {
				t.Fatalf("VerifyKDC: %v", err)
			}
			if err := Verify(raw, kdc); !errors.Is(err, ErrIntegrity) {
				t.Errorf("Verify with the KDC key: %v, want ErrIntegrity", err)
			}
			if v.has("resign") {
				p, err := Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.Sign(server, kdc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, raw) {
					t.Errorf("re-signed PAC differs at offset %d", firstDifference(got, raw))
				}
			}
		})
	}
	if n != 2 {
		t.Errorf("%d vectors carry a server key, want 2", n)
	}
}
