// Package deps_test enforces the layering of docs/architecture.md (the
// shared design's "Layers" section): which packages may import which, that
// pure packages stay pure, and that every package says what it is for.
//
// It asks `go list` for the real import graph, so a new package must be
// classified in layerOf before it can land.
package deps_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/opengmsa/gmsa"

type layer int

const (
	layerPure layer = iota // bytes in, values out: no net, no clock, no files, no randomness
	layerService
	layerApp
	layerCmd
	layerTest // test helpers: importable only from _test files
)

func (l layer) String() string {
	return [...]string{"pure", "service", "application", "cmd", "test-only"}[l]
}

// layerOf places every package of the module in its layer. Prefixes match the
// package and its subpackages unless a longer prefix says otherwise.
var layers = []struct {
	prefix string
	layer  layer
}{
	{"credspec", layerPure},
	{"api/v1", layerPure},
	{"internal/adtypes", layerPure},
	{"internal/gkdi", layerPure},
	{"internal/managedpassword", layerPure},
	{"internal/krb5/crypto", layerPure},
	{"internal/krb5/msg", layerPure},
	{"internal/krb5/keytab", layerPure},
	{"internal/krb5/ccache", layerPure},
	{"internal/krb5/gssapi", layerPure},
	{"internal/krb5/client", layerService},
	{"internal/krb5/transport", layerService},
	{"internal/krb5/negotiate", layerService},
	{"internal/directory", layerService},
	{"internal/atomicfile", layerService},
	{"internal/lab/store", layerService},
	{"internal/lab/ldapserver", layerService},
	{"internal/lab/kdc", layerService},
	{"internal/config", layerService},
	{"internal/lab", layerApp},
	{"internal/agent", layerApp},
	{"internal/webhook", layerApp},
	{"internal/cli", layerApp},
	{"internal/testpeer", layerTest},
	{"internal/testvector", layerTest},
	{"cmd", layerCmd},
	{"test", layerTest},
}

func layerOf(rel string) (layer, bool) {
	best, found := -1, false
	var l layer
	for _, e := range layers {
		if (rel == e.prefix || strings.HasPrefix(rel, e.prefix+"/")) && len(e.prefix) > best {
			best, l, found = len(e.prefix), e.layer, true
		}
	}
	return l, found
}

// thirdParty lists, per third-party module prefix, the only module packages
// allowed to import it directly (prefix match on the relative path).
var thirdParty = map[string][]string{
	"github.com/go-ldap/ldap/v3":          {"internal/directory"},
	"github.com/go-asn1-ber/asn1-ber":     {"internal/lab/ldapserver", "internal/directory"},
	"go.etcd.io/bbolt":                    {"internal/lab/store", "internal/agent"},
	"k8s.io/":                             {"api/v1", "internal/webhook", "internal/agent/csi", "cmd/gmsa-webhook", "cmd/gmsad", "test"},
	"sigs.k8s.io/":                        {"api/v1", "internal/webhook", "internal/agent/csi", "cmd/gmsa-webhook", "cmd/gmsad", "test"},
	"github.com/spf13/":                   {"internal/cli", "cmd"},
	"github.com/jcmturner/":               {}, // test oracle only
	"github.com/rogpeppe/go-internal":     {}, // test only
	"golang.org/x/crypto":                 {"*"},
	"go.yaml.in/yaml/v3":                  {"internal/cli", "internal/config", "credspec"},
	"github.com/prometheus/client_golang": {"internal/agent", "internal/webhook", "cmd"},
	"golang.org/x/net/dns/dnsmessage":     {"internal/testpeer"}, // test DNS servers
	"github.com/miekg/dns":                {"internal/lab", "internal/directory", "internal/krb5/transport"},
}

// pureForbidden are standard packages a pure package must not import directly.
var pureForbidden = []string{"net", "os", "os/exec", "os/signal", "io/ioutil", "io/fs", "syscall", "crypto/rand", "math/rand", "math/rand/v2", "log", "path/filepath"}

type pkgInfo struct {
	ImportPath string
	Dir        string
	Doc        string
	Imports    []string
	GoFiles    []string
	Standard   bool
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list returned no packages")
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestImportEdges(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		if len(p.GoFiles) == 0 {
			continue // test-only directory such as the module root
		}
		fromLayer, ok := layerOf(from)
		if !ok {
			t.Errorf("package %s is not classified: add it to the layers table in deps_test.go (and to architecture.md)", from)
			continue
		}
		for _, imp := range p.Imports {
			if to, ok := rel(imp); ok {
				toLayer, known := layerOf(to)
				if !known {
					continue // reported on its own
				}
				if msg := edgeProblem(from, fromLayer, to, toLayer); msg != "" {
					t.Errorf("%s (%s) imports %s (%s): %s", from, fromLayer, to, toLayer, msg)
				}
				continue
			}
			if isStd(imp) {
				if fromLayer == layerPure {
					for _, bad := range pureForbidden {
						if imp == bad || strings.HasPrefix(imp, "net/") {
							t.Errorf("pure package %s imports %s: pure code takes bytes, time and randomness as parameters", from, imp)
							break
						}
					}
				}
				continue
			}
			if msg := thirdPartyProblem(from, fromLayer, imp); msg != "" {
				t.Errorf("%s imports %s: %s", from, imp, msg)
			}
		}
	}
}

func edgeProblem(from string, fromLayer layer, to string, toLayer layer) string {
	if toLayer == layerTest {
		return "test helpers may be imported only from _test.go files"
	}
	if toLayer == layerCmd {
		return "nothing imports cmd/"
	}
	switch fromLayer {
	case layerPure:
		if toLayer != layerPure {
			return "pure packages import only other pure packages"
		}
	case layerService:
		if toLayer > layerService {
			return "services import only services and pure packages"
		}
	case layerApp:
		if toLayer == layerApp && !strings.HasPrefix(to, from+"/") && !strings.HasPrefix(from, to+"/") {
			// internal/cli may run the lab and the agent in-process (quickstart).
			if from == "internal/cli" && (strings.HasPrefix(to, "internal/lab") || strings.HasPrefix(to, "internal/agent")) {
				return ""
			}
			return "applications do not import each other (only internal/cli may import internal/lab and internal/agent)"
		}
	}
	return ""
}

func thirdPartyProblem(from string, fromLayer layer, imp string) string {
	for prefix, allowed := range thirdParty {
		if !strings.HasPrefix(imp, prefix) {
			continue
		}
		for _, a := range allowed {
			if a == "*" || from == a || strings.HasPrefix(from, a+"/") {
				return ""
			}
		}
		return "only " + strings.Join(allowed, ", ") + " may import " + prefix + " (architecture.md, Dependencies)"
	}
	if fromLayer == layerPure {
		return "pure packages import only the standard library and golang.org/x/crypto"
	}
	return "third-party module not in the allowed list of deps_test.go; add it with a reason (architecture.md, Dependencies)"
}

// TestPureCodeHasNoClock: pure packages take the time as a parameter.
func TestPureCodeHasNoClock(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		if l, ok := layerOf(from); !ok || l != layerPure {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" {
					switch sel.Sel.Name {
					case "Now", "Since", "Until", "Sleep", "After", "Tick", "NewTimer", "NewTicker", "AfterFunc":
						t.Errorf("%s: pure package %s calls time.%s; take now/timers as parameters", fset.Position(sel.Pos()), from, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

// TestEveryPackageHasDoc: every package says what it is and why.
func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
