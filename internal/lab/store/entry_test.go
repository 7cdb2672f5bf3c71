package store

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func vals(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestEntryAttributes(t *testing.T) {
	t.Parallel()
	e := &Entry{DN: "CN=x,DC=y"}
	e.Set("sAMAccountName", vals("x")...)
	e.Add("ServicePrincipalName", vals("a/1")...)
	e.Add("servicePRINCIPALname", vals("b/2", "c/3")...)
	if got := e.String("samaccountname"); got != "x" {
		t.Errorf("String = %q", got)
	}
	if got := e.Get("serviceprincipalname"); !reflect.DeepEqual(got, vals("a/1", "b/2", "c/3")) {
		t.Errorf("Get after Add = %q", got)
	}
	if e.Attrs[1].Name != "ServicePrincipalName" {
		t.Errorf("name casing = %q, want the first seen", e.Attrs[1].Name)
	}
	e.Set("SERVICEPRINCIPALNAME", vals("z/9")...)
	if e.Attrs[1].Name != "ServicePrincipalName" || e.String("servicePrincipalName") != "z/9" {
		t.Errorf("Set replaced the name or not the values: %+v", e.Attrs[1])
	}
	e.Add("member", vals("CN=a", "CN=b", "CN=c")...)
	e.Remove("MEMBER", vals("CN=b", "CN=nope")...)
	if got := e.Get("member"); !reflect.DeepEqual(got, vals("CN=a", "CN=c")) {
		t.Errorf("Remove values: %q", got)
	}
	e.Remove("member", vals("CN=a", "CN=c")...)
	if e.Get("member") != nil {
		t.Errorf("attribute left empty was kept: %+v", e.Attrs)
	}
	e.Add("description", vals("d")...)
	e.Remove("Description")
	e.Set("sAMAccountName")
	if e.First("description") != nil || e.First("samaccountname") != nil || e.String("nope") != "" {
		t.Errorf("removal without values failed: %+v", e.Attrs)
	}
	e.Add("objectSid", []byte{1, 2})
	c := e.Clone()
	c.First("objectSid")[0] = 9
	c.Set("objectSid", []byte{7})
	if !bytes.Equal(e.First("objectSid"), []byte{1, 2}) {
		t.Errorf("Clone shares memory with the original")
	}
}

func TestEntryTidyMergesNames(t *testing.T) {
	t.Parallel()
	e := &Entry{DN: "CN=x", Attrs: []Attribute{{"cn", vals("x")}, {"Empty", nil}, {"CN", vals("y")}}}
	got := e.tidy()
	want := []Attribute{{"cn", vals("x", "y")}}
	if !reflect.DeepEqual(got.Attrs, want) {
		t.Errorf("tidy = %+v, want %+v", got.Attrs, want)
	}
}

func sampleEntry() *Entry {
	return &Entry{DN: `CN=Smith\, John,CN=Users,DC=contoso,DC=com`, Attrs: []Attribute{
		{"objectClass", vals("top", "person", "user")},
		{"sAMAccountName", vals("jsmith")},
		{"objectSid", [][]byte{{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}}},
		{"description", [][]byte{{}}},
	}}
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	e := sampleEntry()
	rec := encodeEntry(e)
	got, err := decodeEntry([]byte("k"), rec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Errorf("round trip: %+v, want %+v", got, e)
	}
	rec[len(rec)-1] ^= 0xff // no aliasing of the record's memory
	got.Attrs[1].Values[0] = append(got.Attrs[1].Values[0], 'X')
	if got.Attrs[2].Values[0][0] != 1 {
		t.Errorf("appending to one value overwrote the next")
	}
	dn, err := decodeDN(nil, encodeEntry(e))
	if err != nil || dn != e.DN {
		t.Errorf("decodeDN = %q, %v", dn, err)
	}
}

func TestRecordCorruption(t *testing.T) {
	t.Parallel()
	good := encodeEntry(sampleEntry())
	key, _ := dnKey(sampleEntry().DN)
	cases := map[string][]byte{
		"empty":           {},
		"unknown version": append([]byte{2}, good[1:]...),
		"truncated":       good[:len(good)-3],
		"trailing bytes":  append(bytes.Clone(good), 0),
		"huge count":      {1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad uvarint":     {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for name, rec := range cases {
		_, err := decodeEntry(key, rec)
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v, want a *CorruptError", name, err)
			continue
		}
		if want := `cn=smith\, john,cn=users,dc=contoso,dc=com`; !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("%s: error %q does not name the DN key", name, err)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(sampleEntry()))
	f.Add(encodeEntry(&Entry{}))
	f.Add(encodeEntry(&Entry{DN: "DC=x", Attrs: []Attribute{{"a", nil}}}))
	f.Add([]byte{1, 0, 1, 1, 'a', 2, 0, 0})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, rec []byte) {
		e, err := decodeEntry([]byte("k\x00"), rec)
		if err != nil {
			if e != nil {
				t.Fatal("entry returned with an error")
			}
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CorruptError", err)
			}
			return
		}
		again, err := decodeEntry(nil, encodeEntry(e))
		if err != nil || !reflect.DeepEqual(normalizeNil(again), normalizeNil(e)) {
			t.Fatalf("re-encoding changed the entry: %+v -> %+v, %v", e, again, err)
		}
		if dn, err := decodeDN(nil, rec); err != nil || dn != e.DN {
			t.Fatalf("decodeDN = %q, %v; want %q", dn, err, e.DN)
		}
	})
}

// normalizeNil makes empty and nil slices compare equal.
func normalizeNil(e *Entry) *Entry {
	c := &Entry{DN: e.DN}
	for _, a := range e.Attrs {
		na := Attribute{Name: a.Name}
		for _, v := range a.Values {
			na.Values = append(na.Values, append([]byte{}, v...))
		}
		c.Attrs = append(c.Attrs, na)
	}
	return c
}
