package gkdi

import (
	"testing"

	"github.com/opengmsa/gmsa/internal/testvector"
)

// loadJSON and unhex are the shared test-vector helpers under local names.
func loadJSON(t testing.TB, name string, v any) { t.Helper(); testvector.Load(t, name, v) }

func unhex(t testing.TB, s string) []byte { t.Helper(); return testvector.Hex(t, s) }
