package testvector

import (
	"os"
	"path/filepath"
	"testing"
)

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Fatal(...any)          { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

func fails(f func(tb testing.TB)) (failed bool) {
	r := &recorder{}
	defer func() {
		if recover() != nil {
			failed = r.failed
		}
	}()
	f(r)
	return false
}

func TestLoadRequiresASource(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("testdata", 0o755)
	os.WriteFile(filepath.Join("testdata", "ok.json"), []byte(`{"source":"RFC 1","x":3}`), 0o644)
	os.WriteFile(filepath.Join("testdata", "nosource.json"), []byte(`{"x":3}`), 0o644)
	var v struct{ X int }
	Load(t, "ok.json", &v)
	if v.X != 3 {
		t.Fatalf("got %d", v.X)
	}
	if !fails(func(tb testing.TB) { Load(tb, "nosource.json", &v) }) {
		t.Fatal("a file without a source was accepted")
	}
	if !fails(func(tb testing.TB) { Load(tb, "missing.json", &v) }) {
		t.Fatal("a missing file was accepted")
	}
	if !fails(func(tb testing.TB) { Hex(tb, "zz") }) {
		t.Fatal("bad hex was accepted")
	}
}
