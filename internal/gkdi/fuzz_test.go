package gkdi

import (
	"bytes"
	"testing"
)

// Every decoder here has a fuzz target: accepted input must re-encode to the
// same bytes, and rejected input must return no value.

func FuzzParseKeyEnvelope(f *testing.F) {
	v := loadEnvelopes(f)
	f.Add(unhex(f, v.KeyEnvelope.Hex))
	f.Add(unhex(f, v.KeyEnvelope.Hex)[:52])
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseKeyEnvelope(b)
		if err != nil {
			if e != nil {
				t.Fatal("value returned with an error")
			}
			return
		}
		out, err := e.Marshal()
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}

func FuzzParseGroupKeyEnvelope(f *testing.F) {
	v := loadEnvelopes(f)
	f.Add(unhex(f, v.GroupKeyEnvelope.Hex))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseGroupKeyEnvelope(b)
		if err != nil {
			if e != nil {
				t.Fatal("value returned with an error")
			}
			return
		}
		out, err := e.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs (%v)", err)
		}
	})
}

func FuzzParseKDFParameters(f *testing.F) {
	v := loadEnvelopes(f)
	f.Add(unhex(f, v.KDFParams.Hex))
	for _, h := range []Hash{SHA1, SHA256, SHA384} {
		f.Add(MarshalKDFParameters(h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseKDFParameters(b)
		if err != nil {
			return
		}
		if len(b) == 0 {
			return // absent means the default
		}
		if out := MarshalKDFParameters(h); !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}

func FuzzParseFfcDHParameters(f *testing.F) {
	v := loadEnvelopes(f)
	f.Add(unhex(f, v.FFC.Hex))
	f.Add(unhex(f, "0e0000004448504d01000000aabb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseFfcDHParameters(b)
		if err != nil {
			if p != nil {
				t.Fatal("value returned with an error")
			}
			return
		}
		out, err := p.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs (%v)", err)
		}
	})
}

func FuzzParseGKID(f *testing.F) {
	for _, s := range []string{"362,0,23", "(1, 2, 3)", "0,-1,-1", "-1,-1,-1", "1,32,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGKID(s)
		if err != nil {
			return
		}
		back, err := ParseGKID(g.String())
		if err != nil || back != g {
			t.Fatalf("%q → %v → %v, %v", s, g, back, err)
		}
		if g.Type() == KeyL2 {
			if start, err := g.Start(); err == nil && GKIDAt(start) != g {
				t.Fatalf("GKIDAt(Start(%v)) = %v", g, GKIDAt(start))
			}
		}
	})
}
