// Package testvector loads the JSON test vector files that packages copy
// from the design team's shared/testvectors into their own testdata/: each
// file must name its source, and tests read only files inside the module.
// It is imported only by tests.
package testvector

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Load decodes testdata/name into v, failing the test if the file is
// missing, is not JSON, or has no "source" field.
func Load(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(b, &src); err != nil || src.Source == "" {
		t.Fatalf("%s: no source field (err %v)", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// Hex decodes a hex string from a vector, failing the test on bad hex.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vector: %v", err)
	}
	return b
}
