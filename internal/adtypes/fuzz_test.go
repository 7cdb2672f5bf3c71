package adtypes

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets below are seeded from the table tests and the testdata
// vectors, so every case a person thought of is also a starting point for
// the fuzzer. Each asserts that an accepted input re-encodes and re-parses to
// the same value, and that a rejected one returns nothing partial.

func sidStringSeeds() []string {
	var seeds []string
	for _, tc := range parseSIDCases {
		seeds = append(seeds, tc.in)
	}
	for _, tc := range parseSIDErrorCases {
		seeds = append(seeds, tc.in)
	}
	return seeds
}

func sidBytesSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{validSIDBytes(), mustHex(tb, readVector(tb, "sid-gmsa-account.txt")["hex"])}
	for _, tc := range sidBytesErrorCases {
		seeds = append(seeds, tc.mutate(validSIDBytes()))
	}
	return seeds
}

func guidSeeds() []string {
	var seeds []string
	for _, tc := range parseGUIDCases {
		seeds = append(seeds, tc.in)
	}
	for _, tc := range parseGUIDErrorCases {
		seeds = append(seeds, tc.in)
	}
	return seeds
}

func sdSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{validSDBytes(), rawACEDescriptor().Bytes(), GMSAMembership(nil).Bytes()}
	for _, name := range vectorFiles(tb, "*.txt") {
		if h, ok := readVector(tb, name)["hex"]; ok && (strings.HasPrefix(name, "gmsa-") || strings.HasPrefix(name, "nt-")) {
			seeds = append(seeds, mustHex(tb, h))
		}
	}
	for _, tc := range sdErrorCases {
		seeds = append(seeds, tc.mutate(validSDBytes()))
	}
	for _, tc := range sddlCases {
		sd, err := ParseSDDL(tc.in, testDomain)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, sd.Bytes())
	}
	return seeds
}

func sddlSeeds() []string {
	var seeds []string
	for _, tc := range sddlCases {
		seeds = append(seeds, tc.in, tc.want)
	}
	for _, tc := range sddlErrorCases {
		if len(tc.in) < 1000 {
			seeds = append(seeds, tc.in)
		}
	}
	return seeds
}

func TestFuzzSeedCorporaAreNotEmpty(t *testing.T) {
	t.Parallel()
	for name, n := range map[string]int{
		"FuzzParseSID":                len(sidStringSeeds()),
		"FuzzSIDFromBytes":            len(sidBytesSeeds(t)),
		"FuzzParseGUID":               len(guidSeeds()),
		"FuzzParseSecurityDescriptor": len(sdSeeds(t)),
		"FuzzParseSDDL":               len(sddlSeeds()),
	} {
		// Each corpus holds accepted and rejected inputs; a handful means
		// a table was emptied or a testdata file went missing.
		if n < 5 {
			t.Errorf("%s has %d seeds; want at least 5", name, n)
		}
	}
}

func FuzzParseSID(f *testing.F) {
	for _, s := range sidStringSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sid, err := ParseSID(s)
		if err != nil {
			if !sid.IsZero() {
				t.Fatalf("ParseSID(%q) returned %v with error %v", s, sid, err)
			}
			return
		}
		str := sid.String()
		again, err := ParseSID(str)
		if err != nil || !reflect.DeepEqual(again, sid) {
			t.Fatalf("ParseSID(%q) = %#v, but its String %q parses to %#v, %v", s, sid, str, again, err)
		}
		if again.String() != str {
			t.Fatalf("String is not stable: %q then %q", str, again.String())
		}
		fromBytes, err := SIDFromBytes(sid.Bytes())
		if err != nil || !reflect.DeepEqual(fromBytes, sid) {
			t.Fatalf("binary round trip of %q = %#v, %v", s, fromBytes, err)
		}
	})
}

func FuzzSIDFromBytes(f *testing.F) {
	for _, b := range sidBytesSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sid, err := SIDFromBytes(b)
		if err != nil {
			if !sid.IsZero() {
				t.Fatalf("SIDFromBytes(%x) returned %v with error %v", b, sid, err)
			}
			return
		}
		if out := sid.Bytes(); !bytes.Equal(out, b) {
			t.Fatalf("SIDFromBytes(%x).Bytes() = %x", b, out)
		}
		again, err := ParseSID(sid.String())
		if err != nil || !reflect.DeepEqual(again, sid) {
			t.Fatalf("string round trip of %x = %#v, %v; want %#v", b, again, err, sid)
		}
	})
}

func FuzzParseGUID(f *testing.F) {
	for _, s := range guidSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGUID(s)
		if err != nil {
			if !g.IsZero() {
				t.Fatalf("ParseGUID(%q) returned %v with error %v", s, g, err)
			}
			return
		}
		str := g.String()
		if want := strings.ToLower(strings.Trim(s, "{}")); str != want {
			t.Fatalf("ParseGUID(%q).String() = %q; want %q", s, str, want)
		}
		again, err := ParseGUID(str)
		if err != nil || again != g {
			t.Fatalf("ParseGUID(%q) = %v, %v; want %v", str, again, err, g)
		}
		fromBytes, err := GUIDFromBytes(g[:])
		if err != nil || fromBytes != g {
			t.Fatalf("GUIDFromBytes round trip = %v, %v", fromBytes, err)
		}
	})
}

func FuzzParseSecurityDescriptor(f *testing.F) {
	for _, b := range sdSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := ParseSecurityDescriptor(b)
		if err != nil {
			if sd != nil {
				t.Fatalf("ParseSecurityDescriptor returned %+v with error %v", sd, err)
			}
			return
		}
		out, err := sd.MarshalBinary()
		if err != nil {
			t.Fatalf("a parsed descriptor does not encode: %v", err)
		}
		again, err := ParseSecurityDescriptor(out)
		if err != nil {
			t.Fatalf("Bytes() of %x does not parse: %v\n%x", b, err, out)
		}
		if !reflect.DeepEqual(again, sd) {
			t.Fatalf("Bytes() of %x parses to a different descriptor:\n%+v\n%+v", b, sd, again)
		}
		// Bytes is canonical: its output re-encodes exactly.
		if out2 := again.Bytes(); !bytes.Equal(out2, out) {
			t.Fatalf("canonical bytes changed on a round trip:\n%x\n%x", out, out2)
		}
		// SDDL reads back, unless it holds an ACE with no SDDL form, and
		// is then stable.
		text := sd.SDDL()
		fromText, err := ParseSDDL(text, SID{})
		if err != nil {
			if !strings.Contains(text, "(0x") {
				t.Fatalf("SDDL() = %q does not parse: %v", text, err)
			}
			return
		}
		if got := fromText.SDDL(); got != text {
			t.Fatalf("SDDL changed on a round trip:\n%s\n%s", text, got)
		}
	})
}

func FuzzParseSDDL(f *testing.F) {
	for _, s := range sddlSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sd, err := ParseSDDL(s, testDomain)
		if err != nil {
			if sd != nil {
				t.Fatalf("ParseSDDL(%q) returned %+v with error %v", s, sd, err)
			}
			return
		}
		text := sd.SDDL()
		// Canonical SDDL names no domain-relative alias, so it parses
		// without the domain SID.
		again, err := ParseSDDL(text, SID{})
		if err != nil {
			t.Fatalf("ParseSDDL(%q).SDDL() = %q does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(again, sd) {
			t.Fatalf("ParseSDDL(%q) and its SDDL %q parse differently:\n%+v\n%+v", s, text, sd, again)
		}
		if got := again.SDDL(); got != text {
			t.Fatalf("SDDL changed on a round trip:\n%s\n%s", text, got)
		}
		b, err := sd.MarshalBinary()
		if err != nil {
			t.Fatalf("ParseSDDL(%q) accepted a descriptor that does not encode: %v", s, err)
		}
		back, err := ParseSecurityDescriptor(b)
		if err != nil || !reflect.DeepEqual(back, sd) {
			t.Fatalf("binary round trip of %q = %+v, %v; want %+v", s, back, err, sd)
		}
	})
}
