package adtypes

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSIDVector(t *testing.T) {
	t.Parallel()
	v := readVector(t, "sid-gmsa-account.txt")
	want := mustHex(t, v["hex"])

	sid, err := ParseSID(v["string"])
	if err != nil {
		t.Fatal(err)
	}
	if got := sid.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("ParseSID(%q).Bytes() = %x; want %x", v["string"], got, want)
	}
	fromBytes, err := SIDFromBytes(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromBytes.String(); got != v["string"] {
		t.Errorf("SIDFromBytes(%x).String() = %q; want %q", want, got, v["string"])
	}
	if !reflect.DeepEqual(sid, fromBytes) {
		t.Errorf("string and binary forms differ: %#v vs %#v", sid, fromBytes)
	}

	if rid, ok := sid.RID(); !ok || rid != 48026 {
		t.Errorf("RID() = %d, %v; want 48026, true", rid, ok)
	}
	if !sid.IsDomainAccount() || sid.IsDomain() {
		t.Errorf("IsDomainAccount() = %v, IsDomain() = %v; want true, false", sid.IsDomainAccount(), sid.IsDomain())
	}
	domain, ok := sid.Prefix()
	if !ok || domain.String() != "S-1-5-21-4119591868-3001629103-3445594911" {
		t.Errorf("Prefix() = %v, %v; want the domain SID", domain, ok)
	}
	if !domain.IsDomain() || domain.IsDomainAccount() {
		t.Errorf("domain IsDomain() = %v, IsDomainAccount() = %v; want true, false", domain.IsDomain(), domain.IsDomainAccount())
	}
	if back := domain.WithRID(48026); !back.Equal(sid) {
		t.Errorf("Prefix().WithRID(48026) = %v; want %v", back, sid)
	}
}

// parseSIDCases are the valid SID strings ParseSID accepts, with the string
// each prints as.
var parseSIDCases = []struct {
	name string
	in   string
	want string
}{
	{"a domain account SID prints as it was written", "S-1-5-21-4119591868-3001629103-3445594911-48026", "S-1-5-21-4119591868-3001629103-3445594911-48026"},
	{"a SID without sub-authorities is valid", "S-1-5", "S-1-5"},
	{"the zero SID is S-1-0", "S-1-0", "S-1-0"},
	{"fifteen sub-authorities are allowed", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"},
	{"the largest sub-authority is 2^32-1", "S-1-5-4294967295", "S-1-5-4294967295"},
	{"the largest decimal authority is 2^32-1", "S-1-4294967295-1", "S-1-4294967295-1"},
	{"a hex authority below 2^32 prints in decimal", "S-1-0x000000000005-18", "S-1-5-18"},
	{"a hex authority of 2^32 or more prints in hex", "S-1-0x000100000000-1", "S-1-0x000100000000-1"},
	{"a hex authority of 2^32-1 prints in decimal", "S-1-0x0000ffffffff-1", "S-1-4294967295-1"},
	{"the largest authority is 2^48-1", "S-1-0XFFFFFFFFFFFF", "S-1-0xFFFFFFFFFFFF"},
	{"leading zeros are dropped", "S-1-05-018", "S-1-5-18"},
	{"a lowercase s is accepted", "s-1-5-32-544", "S-1-5-32-544"},
}

func TestParseSID(t *testing.T) {
	t.Parallel()
	for _, tc := range parseSIDCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sid, err := ParseSID(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sid.String(); got != tc.want {
				t.Errorf("ParseSID(%q).String() = %q; want %q", tc.in, got, tc.want)
			}
			again, err := SIDFromBytes(sid.Bytes())
			if err != nil || !reflect.DeepEqual(again, sid) {
				t.Errorf("binary round trip = %#v, %v; want %#v", again, err, sid)
			}
		})
	}
}

// parseSIDErrorCases are strings ParseSID rejects, with what the error must
// say.
var parseSIDErrorCases = []struct {
	name string
	in   string
	want string
}{
	{"the empty string is rejected", "", "is empty"},
	{"a string not starting with S- is rejected", "X-1-5-18", `does not start with "S-"`},
	{"a bare S- is rejected", "S-", `revision "" is not 1`},
	{"revision 2 is rejected", "S-2-5-18", `revision "2" is not 1`},
	{"a missing authority is rejected", "S-1", "has no identifier authority"},
	{"an empty authority is rejected", "S-1--18", `identifier authority "" is empty`},
	{"a decimal authority of 2^32 is rejected with a hint", "S-1-4294967296-1", "write it as 0x followed by 12 hexadecimal digits"},
	{"a hex authority with 11 digits is rejected", "S-1-0x00000000005-18", "exactly 12 hexadecimal digits"},
	{"a hex authority with a non-hex digit is rejected", "S-1-0x00000000000g-18", "is not hexadecimal"},
	{"a letter in a sub-authority is rejected", "S-1-5-x", `sub-authority 1 "x" is not a decimal number`},
	{"a sub-authority of 2^32 is rejected", "S-1-5-21-4294967296", `sub-authority 2 "4294967296" does not fit in 32 bits`},
	{"a sub-authority of 11 digits is rejected", "S-1-5-00000000001", "does not fit in 32 bits"},
	{"a trailing dash is rejected", "S-1-5-21-", `sub-authority 2 "" is empty`},
	{"trailing junk is rejected", "S-1-5-18 ", `sub-authority 1 "18 " is not a decimal number`},
	{"a sign is rejected", "S-1-5-+18", "is not a decimal number"},
	{"sixteen sub-authorities are rejected", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "has 16 sub-authorities; at most 15"},
}

func TestParseSIDRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range parseSIDErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sid, err := ParseSID(tc.in)
			checkError(t, err, "SID", `SID "`+tc.in+`"`, tc.want)
			if !sid.IsZero() {
				t.Errorf("returned %v with the error; want the zero SID", sid)
			}
		})
	}
}

// validSIDBytes is the binary SID the byte-level cases below change.
func validSIDBytes() []byte {
	return []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0} // S-1-5-32-544
}

var sidBytesErrorCases = []struct {
	name   string
	mutate func([]byte) []byte
	want   string
}{
	{"an empty slice is rejected", func([]byte) []byte { return nil }, "is 0 bytes; a SID needs at least 8"},
	{"revision 2 is rejected", func(b []byte) []byte { b[0] = 2; return b }, "revision 2 is not 1"},
	{"a count of 16 is rejected", func(b []byte) []byte { b[1] = 16; return b }, "has 16 sub-authorities; at most 15"},
	{"a truncated sub-authority is rejected", func(b []byte) []byte { return b[:15] }, "is 15 bytes; 2 sub-authorities need 16"},
	{"a count larger than the data is rejected", func(b []byte) []byte { b[1] = 3; return b }, "is 16 bytes; 3 sub-authorities need 20"},
	{"trailing bytes are rejected", func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, "is 20 bytes, but its 2 sub-authorities make 16"},
}

func TestSIDFromBytesRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range sidBytesErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.mutate(validSIDBytes())
			_, err := SIDFromBytes(in)
			checkError(t, err, "SID", tc.want)
		})
	}
}

func TestReadSIDReportsTheBytesItUsed(t *testing.T) {
	t.Parallel()
	in := append(validSIDBytes(), 0xde, 0xad)
	sid, n, err := ReadSID(in)
	if err != nil {
		t.Fatal(err)
	}
	if n != 16 || sid.String() != "S-1-5-32-544" {
		t.Errorf("ReadSID = %v, %d; want S-1-5-32-544, 16", sid, n)
	}
}

func TestSIDWithoutSubAuthoritiesHasNoRIDOrPrefix(t *testing.T) {
	t.Parallel()
	sid := SID{Authority: 5}
	if _, ok := sid.RID(); ok {
		t.Error("RID() ok = true; want false")
	}
	if _, ok := sid.Prefix(); ok {
		t.Error("Prefix() ok = true; want false")
	}
	one := SID{Authority: 5, SubAuthorities: []uint32{18}}
	if p, ok := one.Prefix(); !ok || !reflect.DeepEqual(p, SID{Authority: 5}) {
		t.Errorf("S-1-5-18 Prefix() = %#v, %v; want S-1-5 with nil sub-authorities", p, ok)
	}
}

func TestSIDEqualAndIsZero(t *testing.T) {
	t.Parallel()
	a, _ := ParseSID("S-1-5-32-544")
	b, _ := ParseSID("S-1-5-32-544")
	c, _ := ParseSID("S-1-5-32-545")
	if !a.Equal(b) || a.Equal(c) || a.Equal(SID{Authority: 5}) {
		t.Error("Equal compares wrongly")
	}
	if !(SID{}).IsZero() || a.IsZero() || (SID{Authority: 1}).IsZero() {
		t.Error("IsZero reports wrongly")
	}
}

func TestSIDJSONIsTheStringForm(t *testing.T) {
	t.Parallel()
	type doc struct {
		Sid SID `json:"sid"`
	}
	in := doc{Sid: SID{Authority: 5, SubAuthorities: []uint32{21, 1, 2, 3, 500}}}
	out, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"sid":"S-1-5-21-1-2-3-500"}` {
		t.Errorf("json.Marshal = %s", out)
	}
	var back doc
	if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, in) {
		t.Errorf("json round trip = %#v, %v; want %#v", back, err, in)
	}
	err = json.Unmarshal([]byte(`{"sid":"S-1-5-x"}`), &back)
	if err == nil || !strings.Contains(err.Error(), `adtypes: SID "S-1-5-x": sub-authority 1 "x" is not a decimal number`) {
		t.Errorf("json.Unmarshal of a bad SID = %v; want the adtypes error", err)
	}
}
