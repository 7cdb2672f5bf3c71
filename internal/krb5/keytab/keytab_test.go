package keytab_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/opengmsa/gmsa/internal/testvector"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

const klistField = "klist -k -t -e -K (TZ=UTC)"

// TestMITVectors: the keytabs MIT wrote parse to what MIT klist listed,
// and re-encode to the same bytes.
func TestMITVectors(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, 2) {
		t.Run(v.Path, func(t *testing.T) {
			t.Parallel()
			kt, err := keytab.Parse(v.Data)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := klistLines(kt), v.Fields[klistField]+"\n"; got != want {
				t.Errorf("parsed:\n%s\nMIT klist:\n%s", got, want)
			}
			again, err := kt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, v.Data) {
				t.Errorf("re-encoding changed the file:\n got %x\nwant %x", again, v.Data)
			}
		})
	}
}

// TestADSaltMatchesKtutil: string-to-key with an Active Directory salt
// gives the keys MIT ktutil wrote for the same password and salt.
func TestADSaltMatchesKtutil(t *testing.T) {
	t.Parallel()
	v := testvector.ReadFile(t, "testdata/mit/ktutil-ad-salt.txt", mitSource)
	kt, err := keytab.Parse(v.Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kt.Entries {
		k := mustS2K(t, e.Key.Type, v.Fields["password"], v.Fields["salt"])
		if !bytes.Equal(k.Bytes(), e.Key.Bytes()) {
			t.Errorf("%s: string-to-key with salt %q differs from ktutil's key", e.Key.Type, v.Fields["salt"])
		}
	}
}

// key makes a test key of type e whose bytes are 0x01, 0x02, ….
func key(t testing.TB, e crypto.EncType) crypto.Key {
	b := make([]byte, e.KeySize())
	for i := range b {
		b[i] = byte(i + 1)
	}
	k, err := crypto.NewKey(e, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// validKeytab is the base of the table tests: two principals, two types.
func validKeytab(t testing.TB) *keytab.Keytab {
	return &keytab.Keytab{Entries: []keytab.Entry{
		{Principal: keytab.Principal{NameType: keytab.NameTypePrincipal, Components: []string{"webapp01$"}, Realm: "CONTOSO.COM"}, Timestamp: stamp, KVNO: 2, Key: key(t, crypto.AES256CTSHMACSHA196)},
		{Principal: keytab.Principal{NameType: keytab.NameTypeSrvHst, Components: []string{"HTTP", "web.contoso.com"}, Realm: "CONTOSO.COM"}, Timestamp: stamp, KVNO: 7, Key: key(t, crypto.AES128CTSHMACSHA256128)},
	}}
}

// dump renders everything a keytab holds, key bytes included, for
// comparing two of them in tests.
func dump(kt *keytab.Keytab) string {
	var b strings.Builder
	for _, e := range kt.Entries {
		fmt.Fprintf(&b, "%d %q %q t=%d kvno=%d %d %x\n", e.Principal.NameType, e.Principal.Components, e.Principal.Realm,
			e.Timestamp.Unix(), e.KVNO, e.Key.Type, e.Key.Bytes())
	}
	return b.String()
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*keytab.Keytab)
	}{
		{"two entries of two principals", func(*keytab.Keytab) {}},
		{"an empty keytab is the header alone", func(k *keytab.Keytab) { k.Entries = nil }},
		{"key version 0", func(k *keytab.Keytab) { k.Entries[0].KVNO = 0 }},
		{"key version 255 fits the 8-bit field", func(k *keytab.Keytab) { k.Entries[0].KVNO = 255 }},
		{"key version 256 needs the 32-bit field", func(k *keytab.Keytab) { k.Entries[0].KVNO = 256 }},
		{"the largest key version", func(k *keytab.Keytab) { k.Entries[0].KVNO = math.MaxUint32 }},
		{"the zero timestamp", func(k *keytab.Keytab) { k.Entries[0].Timestamp = time.Time{} }},
		{"the last second of 2106", func(k *keytab.Keytab) { k.Entries[0].Timestamp = time.Unix(math.MaxUint32, 0).UTC() }},
		{"an rc4-hmac key", func(k *keytab.Keytab) { k.Entries[0].Key = key(t, crypto.RC4HMAC) }},
		{"an aes256-sha2 key", func(k *keytab.Keytab) { k.Entries[0].Key = key(t, crypto.AES256CTSHMACSHA384192) }},
		{"a principal of three components", func(k *keytab.Keytab) {
			k.Entries[0].Principal.Components = []string{"ldap", "dc1.contoso.com", "contoso.com"}
		}},
		{"a principal of no components and no realm", func(k *keytab.Keytab) { k.Entries[0].Principal = keytab.Principal{} }},
		{"non-ASCII and separator bytes in names", func(k *keytab.Keytab) {
			k.Entries[0].Principal.Components = []string{"dürer/@\\\x00"}
		}},
		{"a negative name type", func(k *keytab.Keytab) { k.Entries[0].Principal.NameType = -130 }},
		{"a 65535-byte component", func(k *keytab.Keytab) {
			k.Entries[0].Principal.Components = []string{strings.Repeat("a", math.MaxUint16)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt := validKeytab(t)
			tt.mutate(kt)
			b, err := kt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := keytab.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dump(back), dump(kt); got != want {
				t.Errorf("after the round trip:\n%s\nwant:\n%s", got, want)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("second Marshal differs (%v)", err)
			}
		})
	}
}

// v1 encodes kt in the version 1 format — host byte order, no name type,
// the realm counted among the components — with extra bytes after each
// entry, as MIT versions before 1.14 or a reused hole leave them.
func v1(t testing.TB, kt *keytab.Keytab, padding int) []byte {
	o := binary.NativeEndian
	out := []byte{5, 1}
	for _, e := range kt.Entries {
		var r []byte
		r = o.AppendUint16(r, uint16(len(e.Principal.Components)+1))
		r = o.AppendUint16(r, uint16(len(e.Principal.Realm)))
		r = append(r, e.Principal.Realm...)
		for _, c := range e.Principal.Components {
			r = o.AppendUint16(r, uint16(len(c)))
			r = append(r, c...)
		}
		r = o.AppendUint32(r, uint32(e.Timestamp.Unix()))
		r = append(r, byte(e.KVNO))
		r = o.AppendUint16(r, uint16(e.Key.Type))
		r = o.AppendUint16(r, uint16(len(e.Key.Bytes())))
		r = append(r, e.Key.Bytes()...)
		r = append(r, make([]byte, padding)...)
		out = o.AppendUint32(out, uint32(len(r)))
		out = append(out, r...)
	}
	return out
}

func TestParseVariants(t *testing.T) {
	t.Parallel()
	base := validKeytab(t)
	v2, err := base.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n1 := 2 + 4 + int(binary.BigEndian.Uint32(v2[2:])) // end of the first record
	hole := func(n int) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(int32(-n))), make([]byte, n)...)
	}
	withNT := func(k *keytab.Keytab, nt int32) *keytab.Keytab {
		for i := range k.Entries {
			k.Entries[i].Principal.NameType = nt
		}
		return k
	}
	tests := []struct {
		name  string
		input []byte
		want  *keytab.Keytab
	}{
		{"version 1 in host byte order has no name type", v1(t, base, 0), withNT(validKeytab(t), keytab.NameTypeUnknown)},
		{"version 1 padding after an entry is ignored", v1(t, base, 3), withNT(validKeytab(t), keytab.NameTypeUnknown)},
		{"holes before, between and after entries are skipped", concat(v2[:2], hole(10), v2[2:n1], hole(1), v2[n1:], hole(0x20)), base},
		{"a zero record length ends the file, whatever follows", concat(v2, []byte{0, 0, 0, 0, 0xde, 0xad}), base},
		{"a zero 32-bit key version leaves the 8-bit one", zeroKVNO32(t, base), base},
		{"a record longer than its entry keeps only the entry", padded(t, base), base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt, err := keytab.Parse(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dump(kt), dump(tt.want); got != want {
				t.Errorf("parsed:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// oneEntry returns the marshalled record of kt's only entry, without its
// length.
func oneEntry(t testing.TB, e keytab.Entry) []byte {
	b, err := (&keytab.Keytab{Entries: []keytab.Entry{e}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b[6:]
}

func record(r []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(r))), r...) }

func zeroKVNO32(t testing.TB, kt *keytab.Keytab) []byte {
	out := []byte{5, 2}
	for _, e := range kt.Entries {
		r := oneEntry(t, e)
		copy(r[len(r)-4:], []byte{0, 0, 0, 0})
		out = append(out, record(r)...)
	}
	return out
}

func padded(t testing.TB, kt *keytab.Keytab) []byte {
	out := []byte{5, 2}
	for _, e := range kt.Entries {
		out = append(out, record(append(oneEntry(t, e), 0xff, 0xff))...)
	}
	return out
}

// malformedBase is one v2 entry for HTTP/web@CONTOSO.COM with an aes128
// key; offsets into it are spelled out in the cases below:
//
//	0  05 02           version
//	2  00 00 00 3b     record length 59
//	6  00 02           component count
//	8  00 0b CONTOSO.COM
//	21 00 04 HTTP
//	27 00 03 web
//	32 00 00 00 01     name type
//	36 timestamp, 40 kvno, 41 enctype, 43 key length, 45 key, 61 kvno32
func malformedBase(t testing.TB) []byte {
	b, err := (&keytab.Keytab{Entries: []keytab.Entry{{
		Principal: keytab.Principal{NameType: 1, Components: []string{"HTTP", "web"}, Realm: "CONTOSO.COM"},
		Timestamp: stamp, KVNO: 5, Key: key(t, crypto.AES128CTSHMACSHA196),
	}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 65 {
		t.Fatalf("base keytab is %d bytes, the offsets below assume 65", len(b))
	}
	return b
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	put16 := func(at int, v uint16) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint16(b[at:], v); return b }
	}
	put32 := func(at int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint32(b[at:], v); return b }
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }
	// shrink sets the record length to n and cuts the file to match.
	shrink := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint32(b[2:], uint32(n)); return b[:6+n] }
	}
	tests := []struct {
		name      string
		mutate    func([]byte) []byte
		wantErr   error
		wantField string
	}{
		{"an empty file", cut(0), keytab.ErrMalformed, "file format version"},
		{"a file of one byte", cut(1), keytab.ErrMalformed, "file format version"},
		{"a first byte other than 5", func(b []byte) []byte { b[0] = 4; return b }, keytab.ErrMalformed, "file format version"},
		{"version 3", func(b []byte) []byte { b[1] = 3; return b }, keytab.ErrVersion, "file format version"},
		{"a record length cut short", cut(4), keytab.ErrMalformed, "entries[0].record length"},
		{"a record longer than the file", put32(2, 60), keytab.ErrMalformed, "entries[0].record length"},
		{"the largest record length", put32(2, math.MaxInt32), keytab.ErrMalformed, "entries[0].record length"},
		{"a hole longer than the file", put32(2, uint32(0xffffff00)), keytab.ErrMalformed, "entries[0].record length"},
		{"the most negative hole", put32(2, 0x80000000), keytab.ErrMalformed, "entries[0].record length"},
		{"a component count the record cannot hold", put16(6, 0xffff), keytab.ErrMalformed, "entries[0].principal.count"},
		{"a realm longer than the record", put16(8, 0x0100), keytab.ErrMalformed, "entries[0].principal.realm"},
		{"a component longer than the record", put16(27, 0x0100), keytab.ErrMalformed, "entries[0].principal.components[1]"},
		{"a record that ends inside the count", shrink(1), keytab.ErrMalformed, "entries[0].principal.count"},
		{"a record that ends before the name type", shrink(28), keytab.ErrMalformed, "entries[0].principal.name type"},
		{"a record that ends before the timestamp", shrink(31), keytab.ErrMalformed, "entries[0].timestamp"},
		{"a record that ends before the key version", shrink(34), keytab.ErrMalformed, "entries[0].kvno"},
		{"a record that ends before the enctype", shrink(35), keytab.ErrMalformed, "entries[0].key.enctype"},
		{"a record that ends inside the key", shrink(50), keytab.ErrMalformed, "entries[0].key.contents"},
		{"an aes128 key of 17 bytes", put16(43, 17), keytab.ErrMalformed, "entries[0].key.length"},
		{"an aes128 key longer than the record", put16(43, 21), keytab.ErrMalformed, "entries[0].key.contents"},
		{"an aes256 key of 16 bytes", put16(41, uint16(crypto.AES256CTSHMACSHA196)), keytab.ErrMalformed, "entries[0].key.length"},
		{"version 1 with a component count of 0", func(b []byte) []byte {
			b[1] = 1
			binary.NativeEndian.PutUint32(b[2:], 59)
			binary.NativeEndian.PutUint16(b[6:], 0)
			return b
		}, keytab.ErrMalformed, "entries[0].principal.count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt, err := keytab.Parse(tt.mutate(malformedBase(t)))
			if err == nil {
				t.Fatalf("parsed %d entries, want an error", len(kt.Entries))
			}
			var ke *keytab.Error
			if !errors.As(err, &ke) || !errors.Is(err, tt.wantErr) || kt != nil {
				t.Fatalf("error %T %v with keytab %v; want *keytab.Error wrapping %v and no keytab", err, err, kt, tt.wantErr)
			}
			if ke.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q names field %q, want %q", err, ke.Field, tt.wantField)
			}
			if ke.Offset < 0 || ke.Offset > 65 {
				t.Errorf("error offset %d is not in the file", ke.Offset)
			}
		})
	}
}

func TestMarshalInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mutate    func(*keytab.Keytab)
		wantField string
	}{
		{"a realm of 65536 bytes", func(k *keytab.Keytab) { k.Entries[1].Principal.Realm = strings.Repeat("R", 65536) }, "entries[1].principal.realm"},
		{"a component of 65536 bytes", func(k *keytab.Keytab) {
			k.Entries[1].Principal.Components[1] = strings.Repeat("h", 65536)
		}, "entries[1].principal.components[1]"},
		{"65536 components", func(k *keytab.Keytab) { k.Entries[0].Principal.Components = make([]string, 65536) }, "entries[0].principal.count"},
		{"a timestamp before 1970", func(k *keytab.Keytab) { k.Entries[0].Timestamp = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }, "entries[0].timestamp"},
		{"a timestamp after 2106", func(k *keytab.Keytab) { k.Entries[0].Timestamp = time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC) }, "entries[0].timestamp"},
		{"a key without bytes", func(k *keytab.Keytab) { k.Entries[1].Key = crypto.Key{Type: crypto.AES256CTSHMACSHA196} }, "entries[1].key.contents"},
		{"a negative encryption type", func(k *keytab.Keytab) { k.Entries[0].Key = crypto.Key{Type: -1} }, "entries[0].key.enctype"},
		{"an encryption type above 65535", func(k *keytab.Keytab) { k.Entries[0].Key = crypto.Key{Type: 65536} }, "entries[0].key.enctype"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt := validKeytab(t)
			tt.mutate(kt)
			b, err := kt.Marshal()
			var ke *keytab.Error
			if !errors.As(err, &ke) || !errors.Is(err, keytab.ErrInvalid) || b != nil {
				t.Fatalf("Marshal: %d bytes, error %v; want no bytes and a *keytab.Error wrapping ErrInvalid", len(b), err)
			}
			if ke.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q names field %q, want %q", err, ke.Field, tt.wantField)
			}
		})
	}
}

// unknownEnctype is a keytab with one des3-cbc-sha1 (16) entry, a type
// crypto does not implement.
func unknownEnctype(t testing.TB) []byte {
	e := oneEntry(t, keytab.Entry{Principal: keytab.Principal{NameType: 1, Components: []string{"old"}, Realm: "R"}, KVNO: 1, Key: key(t, crypto.AES128CTSHMACSHA196)})
	// enctype at 2+1+2+1+4 (count, realm, component) + 4 (name type) + 4 + 1.
	at := 2 + 3 + 5 + 4 + 4 + 1
	binary.BigEndian.PutUint16(e[at:], 16)
	binary.BigEndian.PutUint16(e[at+2:], 24)
	k := bytes.Repeat([]byte{0xab}, 24)
	e = concat(e[:at+4], k, e[at+4+16:])
	return concat([]byte{5, 2}, record(e))
}

func TestUnknownEnctypeIsKept(t *testing.T) {
	t.Parallel()
	b := unknownEnctype(t)
	kt, err := keytab.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	e := kt.Entries[0]
	if e.Key.Type != 16 || e.Key.Bytes() != nil {
		t.Errorf("key: type %d with %d bytes, want type 16 and no bytes", e.Key.Type, len(e.Key.Bytes()))
	}
	if s := fmt.Sprintf("%v %+v %#v", e, kt, e); strings.Contains(s, "171 171") || strings.Contains(s, "abababab") {
		t.Errorf("printing the entry shows the key: %s", s)
	}
	if _, err := kt.Find("old@R", "", 0, 0); !errors.Is(err, keytab.ErrNotFound) {
		t.Errorf("Find returned the des3 entry (%v), want ErrNotFound", err)
	}
	again, err := kt.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-encoding: %v\n got %x\nwant %x", err, again, b)
	}

	// An unknown type with an empty key (enctype 0, as a fuzzer found) is
	// kept too.
	const enctypeAt = 6 + 19 // file header, record length, then the entry's enctype
	empty := concat(b[:enctypeAt], []byte{0, 0, 0, 0}, b[enctypeAt+4+24:])
	binary.BigEndian.PutUint32(empty[2:], uint32(len(empty)-6))
	kt, err = keytab.Parse(empty)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := kt.Marshal(); err != nil || !bytes.Equal(again, empty) {
		t.Errorf("re-encoding an empty key of enctype 0: %v\n got %x\nwant %x", err, again, empty)
	}
}

func TestEntriesNeverPrintKeys(t *testing.T) {
	t.Parallel()
	kt := validKeytab(t)
	secret := hex.EncodeToString(kt.Entries[0].Key.Bytes()[:8])
	for _, format := range []string{"%v", "%+v", "%#v", "%x", "%s", "%q"} {
		s := fmt.Sprintf(format, kt) + fmt.Sprintf(format, kt.Entries[0])
		if strings.Contains(s, secret) || strings.Contains(s, "[1 2 3 4 5") {
			t.Errorf("%s shows key bytes: %s", format, s)
		}
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	kt := &keytab.Keytab{Entries: []keytab.Entry{
		{Principal: mustPrincipal(t, "WebApp01$@CONTOSO.COM"), KVNO: 2, Key: key(t, crypto.AES256CTSHMACSHA196)},
		{Principal: mustPrincipal(t, "WebApp01$@CONTOSO.COM"), KVNO: 3, Key: key(t, crypto.AES128CTSHMACSHA196)},
		{Principal: mustPrincipal(t, "WebApp01$@CONTOSO.COM"), KVNO: 3, Key: key(t, crypto.AES256CTSHMACSHA196)},
		{Principal: mustPrincipal(t, "WebApp01$@FABRIKAM.COM"), KVNO: 9, Key: key(t, crypto.AES256CTSHMACSHA196)},
		{Principal: mustPrincipal(t, "HTTP/web.contoso.com@CONTOSO.COM"), KVNO: 1, Key: key(t, crypto.AES256CTSHMACSHA384192)},
	}}
	tests := []struct {
		name      string
		principal string
		realm     string
		kvno      uint32
		e         crypto.EncType
		want      int // index into kt.Entries, -1 for ErrNotFound
	}{
		{"the name in another case finds the entry", "webapp01$", "contoso.com", 2, crypto.AES256CTSHMACSHA196, 0},
		{"kvno 0 picks the highest key version", "WEBAPP01$", "CONTOSO.COM", 0, crypto.AES256CTSHMACSHA196, 2},
		{"enctype 0 picks the first entry of the highest version", "webapp01$", "CONTOSO.COM", 0, 0, 1},
		{"the realm can come with the name", "webapp01$@fabrikam.com", "", 0, 0, 3},
		{"the realm argument wins over the name's", "webapp01$@fabrikam.com", "CONTOSO.COM", 0, 0, 1},
		{"no realm at all matches any realm, highest version first", "webapp01$", "", 0, crypto.AES256CTSHMACSHA196, 3},
		{"a service principal with two components", "http/WEB.contoso.com", "CONTOSO.COM", 1, crypto.AES256CTSHMACSHA384192, 4},
		{"a key version not held finds nothing", "webapp01$", "CONTOSO.COM", 4, 0, -1},
		{"an encryption type not held finds nothing", "webapp01$", "CONTOSO.COM", 0, crypto.AES128CTSHMACSHA256128, -1},
		{"another realm finds nothing", "webapp01$", "CORP.CONTOSO.COM", 0, 0, -1},
		{"one component of two finds nothing", "HTTP", "CONTOSO.COM", 0, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := kt.Find(tt.principal, tt.realm, tt.kvno, tt.e)
			if tt.want < 0 {
				if !errors.Is(err, keytab.ErrNotFound) {
					t.Fatalf("Find: %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := kt.Entries[tt.want]
			if got.KVNO != w.KVNO || got.Key.Type != w.Key.Type || got.Principal.String() != w.Principal.String() {
				t.Errorf("Find = %s kvno %d %s, want entry %d: %s kvno %d %s", got.Principal, got.KVNO, got.Key.Type, tt.want, w.Principal, w.KVNO, w.Key.Type)
			}
		})
	}
	if _, err := kt.Find("a@b@c", "", 0, 0); !errors.Is(err, keytab.ErrMalformed) {
		t.Errorf("Find with a malformed name: %v, want ErrMalformed", err)
	}
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want keytab.Principal
		out  string // String() of the parse; "" means in
	}{
		{"a user with a realm", "alice@CONTOSO.COM", keytab.Principal{NameType: 1, Components: []string{"alice"}, Realm: "CONTOSO.COM"}, ""},
		{"a gMSA without a realm", "webapp01$", keytab.Principal{NameType: 1, Components: []string{"webapp01$"}}, ""},
		{"a service with a host", "HTTP/web.contoso.com@CONTOSO.COM", keytab.Principal{NameType: 1, Components: []string{"HTTP", "web.contoso.com"}, Realm: "CONTOSO.COM"}, ""},
		{"the TGS principal is NT-SRV-INST", "krbtgt/CONTOSO.COM@CONTOSO.COM", keytab.Principal{NameType: 2, Components: []string{"krbtgt", "CONTOSO.COM"}, Realm: "CONTOSO.COM"}, ""},
		{"escaped separators stay in the component", `a\/b\@c@R`, keytab.Principal{NameType: 1, Components: []string{"a/b@c"}, Realm: "R"}, ""},
		{"escaped control characters", `\n\t\b\0\\x`, keytab.Principal{NameType: 1, Components: []string{"\n\t\b\x00\\x"}}, ""},
		{"an escaped ordinary character loses its backslash", `\q@R`, keytab.Principal{NameType: 1, Components: []string{"q"}, Realm: "R"}, "q@R"},
		{"a slash in the realm is literal", "a@R/S", keytab.Principal{NameType: 1, Components: []string{"a"}, Realm: "R/S"}, `a@R\/S`},
		{"an empty component between slashes", "a//b", keytab.Principal{NameType: 1, Components: []string{"a", "", "b"}}, ""},
		{"an empty realm after @", "a@", keytab.Principal{NameType: 1, Components: []string{"a"}}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := keytab.ParsePrincipal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%#v", p) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("ParsePrincipal(%q) = %#v, want %#v", tt.in, p, tt.want)
			}
			out := tt.out
			if out == "" {
				out = tt.in
			}
			if p.String() != out {
				t.Errorf("String() = %q, want %q", p.String(), out)
			}
			if back, err := keytab.ParsePrincipal(p.String()); err != nil || !back.Equal(p) {
				t.Errorf("ParsePrincipal(String()) = %v, %v; want %v", back, err, p)
			}
		})
	}
	for _, bad := range []string{"", `a\`, "a@b@c"} {
		if _, err := keytab.ParsePrincipal(bad); !errors.Is(err, keytab.ErrMalformed) {
			t.Errorf("ParsePrincipal(%q): %v, want ErrMalformed", bad, err)
		}
	}
	a, b := mustPrincipal(t, "WebApp01$@contoso.com"), mustPrincipal(t, "webapp01$@CONTOSO.COM")
	b.NameType = keytab.NameTypeEnterprise
	if !a.Equal(b) || a.Equal(mustPrincipal(t, "webapp01@CONTOSO.COM")) {
		t.Error("Equal must ignore case and name type, and nothing else")
	}
}
