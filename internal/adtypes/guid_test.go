package adtypes

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGUIDVectors(t *testing.T) {
	t.Parallel()
	for _, name := range vectorFiles(t, "guid-*.txt") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := readVector(t, name)
			want := mustHex(t, v["hex"])
			g, err := ParseGUID(v["string"])
			if err != nil {
				t.Fatal(err)
			}
			if string(g[:]) != string(want) {
				t.Errorf("ParseGUID(%q) = %x; want %x", v["string"], g[:], want)
			}
			fromBytes, err := GUIDFromBytes(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := fromBytes.String(); got != v["string"] {
				t.Errorf("GUIDFromBytes(%x).String() = %q; want %q", want, got, v["string"])
			}
		})
	}
}

// parseGUIDCases are the spellings ParseGUID accepts, all of one GUID.
var parseGUIDCases = []struct {
	name string
	in   string
}{
	{"the lowercase form is accepted", "0170e972-a035-af4c-993b-e052d5bd1216"},
	{"the uppercase form is accepted", "0170E972-A035-AF4C-993B-E052D5BD1216"},
	{"the braced form Windows tools print is accepted", "{0170e972-a035-af4c-993b-e052d5bd1216}"},
}

func TestParseGUID(t *testing.T) {
	t.Parallel()
	for _, tc := range parseGUIDCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := ParseGUID(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.String(); got != "0170e972-a035-af4c-993b-e052d5bd1216" {
				t.Errorf("ParseGUID(%q).String() = %q", tc.in, got)
			}
		})
	}
}

var parseGUIDErrorCases = []struct {
	name string
	in   string
	want string
}{
	{"the empty string is rejected", "", "is 0 characters; want 36"},
	{"a GUID without dashes is rejected", "0170e972a035af4c993be052d5bd1216", "is 32 characters; want 36"},
	{"a misplaced dash is rejected", "0170e97-2a035-af4c-993b-e052d5bd1216", "character 8 '-' is not a hexadecimal digit"},
	{"a missing dash is rejected", "0170e972-a035-af4c-993be-052d5bd1216", "character 24 is 'e'; want '-'"},
	{"a non-hex digit is rejected", "0170e972-a035-af4c-993b-e052d5bd121g", `character 36 'g' is not a hexadecimal digit`},
	{"a non-hex digit in braces is counted from the brace", "{g170e972-a035-af4c-993b-e052d5bd1216}", `character 2 'g' is not a hexadecimal digit`},
	{"one brace is rejected", "{0170e972-a035-af4c-993b-e052d5bd1216", "is 37 characters"},
	{"parentheses are rejected", "(0170e972-a035-af4c-993b-e052d5bd1216)", "not wrapped in {}"},
	{"a urn prefix is rejected", "urn:uuid:0170e972-a035-af4c-993b-e052d5bd1216", "is 45 characters"},
	{"surrounding space is rejected", " 0170e972-a035-af4c-993b-e052d5bd1216", "is 37 characters"},
}

func TestParseGUIDRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range parseGUIDErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseGUID(tc.in)
			checkError(t, err, "GUID", `GUID "`+tc.in+`"`, tc.want)
		})
	}
}

func TestGUIDFromBytesWantsSixteenBytes(t *testing.T) {
	t.Parallel()
	_, err := GUIDFromBytes(make([]byte, 15))
	checkError(t, err, "GUID", "is 15 bytes; want 16")
}

func TestGUIDIsZero(t *testing.T) {
	t.Parallel()
	if !(GUID{}).IsZero() {
		t.Error("GUID{}.IsZero() = false")
	}
	if (GUID{15: 1}).IsZero() {
		t.Error("a non-nil GUID reports IsZero")
	}
}

func TestGUIDJSONIsTheStringForm(t *testing.T) {
	t.Parallel()
	g, _ := ParseGUID("9d922231-af27-b73b-1056-aeb18eeca71a")
	out, err := json.Marshal(map[string]GUID{"id": g})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"id":"9d922231-af27-b73b-1056-aeb18eeca71a"}` {
		t.Errorf("json.Marshal = %s", out)
	}
	var back map[string]GUID
	if err := json.Unmarshal(out, &back); err != nil || back["id"] != g {
		t.Errorf("json round trip = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"id":"nope"}`), &back); err == nil || !strings.Contains(err.Error(), `adtypes: GUID "nope"`) {
		t.Errorf("json.Unmarshal of a bad GUID = %v; want the adtypes error", err)
	}
}
