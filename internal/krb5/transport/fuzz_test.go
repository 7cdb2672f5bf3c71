package transport

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// canonical writes a parsed profile back in one fixed form: a section
// header per section, one relation per line, subsections as "tag = {" …
// "}", final markers on the tag, quoting where the plain form would not
// read back. Parsing its output gives the same tree.
func canonical(root *node) string {
	var b strings.Builder
	for _, sec := range root.children {
		if !sec.isGroup {
			continue
		}
		b.WriteString("[" + sec.name + "]")
		if sec.final {
			b.WriteString("*")
		}
		b.WriteString("\n")
		writeBody(&b, sec, "\t")
	}
	return b.String()
}

func writeBody(b *strings.Builder, g *node, indent string) {
	for _, c := range g.children {
		b.WriteString(indent + quoteTag(c.name, c.final))
		if c.isGroup {
			b.WriteString(" = {\n")
			writeBody(b, c, indent+"\t")
			b.WriteString(indent + "}\n")
			continue
		}
		b.WriteString(" = " + quoteValue(c.value) + "\n")
	}
}

// quoteTag writes a tag and its final marker, inside the quotes when the
// tag needs them: MIT looks for the "*" after unquoting.
func quoteTag(s string, final bool) string {
	star := ""
	if final {
		star = "*"
	}
	if s == "" || strings.ContainsAny(s[:1], `"[}#;{`) || strings.ContainsAny(s, " \t\v\f\r\n\b\\") {
		return quote(s + star)
	}
	return s + star
}

func quoteValue(s string) string {
	if s == "" || strings.ContainsAny(s[:1], `"{#;`) || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\b\t") {
		return quote(s)
	}
	return s
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\b", `\b`)
	return `"` + r.Replace(s) + `"`
}

func FuzzParseConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"[realms]\nA = {\n kdc = tcp/[::1]:88\n kdc* = b\n}*\n",
		"[libdefaults]\n x = \"a\\tb\\\\c\" d\n \"q t\" = 1\n",
		"[realms]\nA =\n{\n}\n[domain_realm]\n .a = A\n",
		"[a]\nb = {\n c = {\n d = e\n }\n}\n",
		"[realms]\nA = {\n",
		"}\n[x]\n}\n",
		"[libdefaults]\nudp_preference_limit = 0x10\nticket_lifetime = 1d2h\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &profileParser{root: &node{isGroup: true}}
		perr := p.parse("fuzz", data)
		c, err := ParseConfig(data)
		if (err == nil) != (c != nil) {
			t.Fatalf("ParseConfig = %v, %v: exactly one must be nil", c, err)
		}
		if perr != nil {
			return
		}
		text := canonical(p.root)
		p2 := &profileParser{root: &node{isGroup: true}}
		if err := p2.parse("canonical", []byte(text)); err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, text)
		}
		if again := canonical(p2.root); again != text {
			t.Fatalf("canonical form is not stable:\n%s\n---\n%s", text, again)
		}
		if err != nil {
			return // a value the typed fields refuse; the syntax was fine
		}
		c2, err := ParseConfig([]byte(text))
		if err != nil {
			t.Fatalf("canonical form fails: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(c.Realms, c2.Realms) || !reflect.DeepEqual(c.DomainRealm, c2.DomainRealm) || !reflect.DeepEqual(c.LibDefaults, c2.LibDefaults) {
			t.Fatalf("re-parsed config differs:\n%+v\n%+v", c, c2)
		}
	})
}

func TestFuzzCorpusIsNotEmpty(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	if len(seeds) < 2 {
		t.Fatalf("FuzzParseConfig seeds: %d files in testdata/*.conf", len(seeds))
	}
}
