package store

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestNormalizeDN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"types and values are lower-cased", "CN=Users,DC=Contoso,DC=COM", "cn=users,dc=contoso,dc=com"},
		{"spaces around separators are insignificant", "  CN = Users ,  DC=contoso , DC=com  ", "cn=users,dc=contoso,dc=com"},
		{"inner spaces are kept", "CN=Smith  John,DC=x", "cn=smith  john,dc=x"},
		{"an escaped comma is part of the value", `CN=Smith\, John,OU=People,DC=x`, `cn=smith\, john,ou=people,dc=x`},
		{"a hex-escaped comma equals a backslash-escaped one", `CN=Smith\2C John,DC=x`, `cn=smith\, john,dc=x`},
		{"an escaped trailing space is significant", `CN=a\ ,DC=x`, `cn=a\ ,dc=x`},
		{"an escaped leading space is significant", `CN=\ a,DC=x`, `cn=\ a,dc=x`},
		{"a leading hash is escaped", `CN=\#1,DC=x`, `cn=\#1,dc=x`},
		{"multi-valued RDNs are sorted", "UID=b+CN=a,DC=x", "cn=a+uid=b,dc=x"},
		{"hex string values", "CN=#04024869,DC=x", "cn=#04024869,dc=x"},
		{"UTF-8 is folded", "CN=ÉMILE,DC=x", "cn=émile,dc=x"},
		{"UTF-8 hex escapes decode", `CN=\C3\89mile,DC=x`, "cn=émile,dc=x"},
		{"equals in a value is escaped", "CN=a=b,DC=x", `cn=a\=b,dc=x`},
		{"an OID type", "2.5.4.3=A,DC=x", "2.5.4.3=a,dc=x"},
		{"a NUL byte is kept escaped", `CN=a\00b,DC=x`, `cn=a\00b,dc=x`},
		{"the empty DN", "", ""},
		{"an empty value", "CN=,DC=x", "cn=,dc=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeDN(tt.in)
			if err != nil {
				t.Fatalf("NormalizeDN(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeDN(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := NormalizeDN(got)
			if err != nil || again != got {
				t.Errorf("NormalizeDN(%q) = %q, %v: not idempotent", got, again, err)
			}
		})
	}
}

func TestNormalizeDNRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"CN=a,,DC=x", "CN=a,", "users", "CN=a\\", `CN=a\zz`, `CN=a\4`, "C N=a", "1..2=a", "-x=a",
		"CN=#zz", "CN=#0a b", `CN=a"b`, "CN=a;DC=x", "CN=a<b", "=a", "CN=a+",
	} {
		_, err := NormalizeDN(in)
		var de *DNError
		if !errors.As(err, &de) {
			t.Errorf("NormalizeDN(%q) error = %v, want a *DNError", in, err)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("NormalizeDN(%q) error %q does not name the DN", in, err)
		}
	}
}

func TestParentDN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"CN=Users,DC=contoso,DC=com", "DC=contoso,DC=com"},
		{`CN=Smith\, John,OU=People,DC=x`, "OU=People,DC=x"},
		{`CN=a\\,DC=x`, "DC=x"},
		{"CN=a, DC=x", "DC=x"},
		{"DC=com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ParentDN(tt.in); got != tt.want {
			t.Errorf("ParentDN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyOrderPutsSubtreesTogether(t *testing.T) {
	t.Parallel()
	a, _ := dnKey("CN=a,DC=x")
	ab, _ := dnKey("CN=ab,DC=x")
	child, _ := dnKey("CN=z,CN=a,DC=x")
	if !(string(a) < string(child) && string(child) < string(subtreeEnd(a)) && string(subtreeEnd(a)) <= string(ab)) {
		t.Errorf("keys out of order: %q %q %q %q", a, child, subtreeEnd(a), ab)
	}
	if got := keyText(child); got != `"cn=z,cn=a,dc=x"` {
		t.Errorf("keyText = %q", got)
	}
}

func FuzzNormalizeDN(f *testing.F) {
	for _, s := range []string{
		"CN=Users,DC=contoso,DC=com", `CN=Smith\, John,DC=x`, "UID=b+CN=a,DC=x", "CN=#04024869,DC=x",
		`CN=\C3\89mile,DC=x`, `CN=\ a\ ,DC=x`, "2.5.4.3=A", "", "CN=a,,", `CN=a\00`, "CN=İ,DC=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		_ = ParentDN(dn)
		_ = splitRawRDNs(dn)
		n, err := NormalizeDN(dn)
		if err != nil {
			return
		}
		if strings.IndexByte(n, 0) >= 0 {
			t.Fatalf("NormalizeDN(%q) = %q contains NUL", dn, n)
		}
		again, err := NormalizeDN(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeDN(%q) = %q; again: %q, %v", dn, n, again, err)
		}
		k, err := dnKey(dn)
		if err != nil || n != "" && keyText(k) != `"`+n+`"` && !strings.ContainsAny(n, "\"") {
			t.Fatalf("dnKey(%q) = %q (%q), %v; want %q", dn, k, keyText(k), err, n)
		}
		if p := ParentDN(dn); n != "" && p != "" {
			pn, err := NormalizeDN(p)
			if err != nil || !strings.HasSuffix(n, ","+pn) {
				t.Fatalf("ParentDN(%q) = %q normalizes to %q, %v; not a suffix of %q", dn, p, pn, err, n)
			}
		}
	})
}
