package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A vector file (testdata/<rfc>/*.txt) is one test case: "name: value"
// lines, a header that must include "source:" and says where the values
// come from, a blank line, then the payload. A line that starts with
// white space continues the previous value. Byte values are a sequence of
// hex octets ("cd ed b5 28", "be072631") and Go-quoted strings
// ("ATHENA.MIT.EDUraeburn"), concatenated.
type vector struct {
	path   string
	fields map[string]string
}

// loadVectors reads every vector file in testdata/dir and checks there are
// exactly want of them, so that a lost file fails instead of shrinking the
// test.
func loadVectors(t testing.TB, dir string, want int) []vector {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) != want {
		t.Fatalf("testdata/%s holds %d vector files, want %d", dir, len(paths), want)
	}
	var vs []vector
	for _, p := range paths {
		vs = append(vs, parseVector(t, p))
	}
	return vs
}

func parseVector(t testing.TB, path string) vector {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := vector{path: path, fields: map[string]string{}}
	last := ""
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				t.Fatalf("%s:%d: continuation line with nothing to continue", path, i+1)
			}
			v.fields[last] += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("%s:%d: want \"name: value\", got %q", path, i+1, line)
			}
			if _, dup := v.fields[name]; dup {
				t.Fatalf("%s:%d: %s given twice", path, i+1, name)
			}
			last = name
			v.fields[name] = strings.TrimSpace(value)
		}
	}
	if !strings.HasPrefix(v.fields["source"], "RFC ") {
		t.Fatalf("%s: no \"source: RFC …\" line", path)
	}
	return v
}

func (v vector) name() string { return strings.TrimSuffix(filepath.Base(v.path), ".txt") }

func (v vector) text(t testing.TB, field string) string {
	t.Helper()
	s, ok := v.fields[field]
	if !ok {
		t.Fatalf("%s: no %s", v.path, field)
	}
	return s
}

func (v vector) int(t testing.TB, field string) int {
	t.Helper()
	n, err := strconv.Atoi(v.text(t, field))
	if err != nil {
		t.Fatalf("%s: %s: %v", v.path, field, err)
	}
	return n
}

func (v vector) bytes(t testing.TB, field string) []byte {
	t.Helper()
	s := v.text(t, field)
	var out []byte
	for s != "" {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				t.Fatalf("%s: %s: %v", v.path, field, err)
			}
			u, _ := strconv.Unquote(q)
			out = append(out, u...)
			s = strings.TrimSpace(s[len(q):])
			continue
		}
		tok, rest, _ := strings.Cut(s, " ")
		b, err := hex.DecodeString(tok)
		if err != nil {
			t.Fatalf("%s: %s: %q: %v", v.path, field, tok, err)
		}
		out = append(out, b...)
		s = strings.TrimSpace(rest)
	}
	return out
}

func (v vector) enctype(t testing.TB) EncType {
	t.Helper()
	e, err := ParseEncType(v.text(t, "enctype"))
	if err != nil {
		t.Fatalf("%s: %v", v.path, err)
	}
	return e
}

func (v vector) key(t testing.TB, e EncType, field string) Key {
	t.Helper()
	k, err := NewKey(e, v.bytes(t, field))
	if err != nil {
		t.Fatalf("%s: %s: %v", v.path, field, err)
	}
	return k
}

func s2kparams(n int) []byte {
	return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func TestNFoldMatchesRFC3961AppendixA1(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, "rfc3961", 11) {
		t.Run(v.name(), func(t *testing.T) {
			t.Parallel()
			got := nfold(v.bytes(t, "input"), v.int(t, "bits")/8)
			if want := v.bytes(t, "output"); !bytes.Equal(got, want) {
				t.Errorf("%s: got %x, want %x", v.text(t, "case"), got, want)
			}
		})
	}
}

func TestRFC3962AppendixB(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, "rfc3962", 13) {
		t.Run(v.name(), func(t *testing.T) {
			t.Parallel()
			if strings.HasPrefix(v.name(), "cts-") {
				checkCTSVector(t, v)
			} else {
				checkRFC3962StringToKeyVector(t, v)
			}
		})
	}
}

// checkCTSVector runs one of the raw AES-CTS vectors through ctsEncrypt and
// ctsDecrypt.
func checkCTSVector(t *testing.T, v vector) {
	b, err := aes.NewCipher(v.bytes(t, "key"))
	if err != nil {
		t.Fatal(err)
	}
	iv, in, want := v.bytes(t, "iv"), v.bytes(t, "input"), v.bytes(t, "output")
	got, next := ctsEncrypt(b, iv, in)
	if !bytes.Equal(got, want) {
		t.Errorf("ctsEncrypt:\n got %x\nwant %x", got, want)
	}
	if wantNext := v.bytes(t, "next-iv"); !bytes.Equal(next, wantNext) {
		t.Errorf("next IV: got %x, want %x", next, wantNext)
	}
	if back := ctsDecrypt(b, iv, want); !bytes.Equal(back, in) {
		t.Errorf("ctsDecrypt:\n got %x\nwant %x", back, in)
	}
}

func checkRFC3962StringToKeyVector(t *testing.T, v vector) {
	password, salt, iter := v.bytes(t, "password"), v.bytes(t, "salt"), v.int(t, "iterations")
	for _, c := range []struct {
		e      EncType
		prefix string
	}{{AES128CTSHMACSHA196, "aes128"}, {AES256CTSHMACSHA196, "aes256"}} {
		// The intermediate PBKDF2 output pins down that the RFC and the
		// standard library agree on the inputs before DK is applied.
		tkey, err := pbkdf2.Key(sha1.New, string(password), salt, iter, c.e.KeySize())
		if err != nil {
			t.Fatal(err)
		}
		if want := v.bytes(t, c.prefix+"-pbkdf2"); !bytes.Equal(tkey, want) {
			t.Errorf("%v PBKDF2: got %x, want %x", c.e, tkey, want)
		}
		k, err := StringToKey(c.e, string(password), string(salt), s2kparams(iter))
		if err != nil {
			t.Fatal(err)
		}
		if want := v.bytes(t, c.prefix+"-key"); !bytes.Equal(k.Bytes(), want) {
			t.Errorf("%v key: got %x, want %x", c.e, k.Bytes(), want)
		}
	}
}

func TestRFC8009AppendixA(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, "rfc8009", 14) {
		t.Run(v.name(), func(t *testing.T) {
			t.Parallel()
			e := v.enctype(t)
			switch kind, _, _ := strings.Cut(v.name(), "-"); kind {
			case "s2k":
				want := append(append([]byte(e.String()), 0), v.bytes(t, "salt")...)
				if saltp := v.bytes(t, "saltp"); !bytes.Equal(saltp, want) {
					t.Fatalf("the vector's saltp %q is not enctype-name|0|salt %q", saltp, want)
				}
				k, err := StringToKey(e, string(v.bytes(t, "password")), string(v.bytes(t, "salt")), s2kparams(v.int(t, "iterations")))
				if err != nil {
					t.Fatal(err)
				}
				if want := v.bytes(t, "key"); !bytes.Equal(k.Bytes(), want) {
					t.Errorf("key: got %x, want %x", k.Bytes(), want)
				}
				// 32768 is the default: no s2kparams gives the same key.
				k2, err := StringToKey(e, string(v.bytes(t, "password")), string(v.bytes(t, "salt")), nil)
				if err != nil || !bytes.Equal(k2.Bytes(), k.Bytes()) {
					t.Errorf("default iteration count: got %x (%v), want %x", k2.Bytes(), err, k.Bytes())
				}
			case "derive":
				checkDerived(t, v, e)
			case "encrypt":
				checkDerived(t, v, e)
				k := v.key(t, e, "base-key")
				usage := uint32(v.int(t, "usage"))
				got, err := Encrypt(k, usage, v.bytes(t, "plaintext"), bytes.NewReader(v.bytes(t, "confounder")))
				if err != nil {
					t.Fatal(err)
				}
				want := v.bytes(t, "ciphertext")
				if !bytes.Equal(got, want) {
					t.Errorf("Encrypt:\n got %x\nwant %x", got, want)
				}
				if !bytes.Equal(want, append(v.bytes(t, "aes-output"), v.bytes(t, "hmac-output")...)) {
					t.Errorf("the vector's ciphertext is not aes-output|hmac-output")
				}
				plain, err := Decrypt(k, usage, want)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(plain, v.bytes(t, "plaintext")) {
					t.Errorf("Decrypt: got %x, want %x", plain, v.bytes(t, "plaintext"))
				}
			case "checksum":
				k := v.key(t, e, "base-key")
				usage := uint32(v.int(t, "usage"))
				sum, err := Checksum(k, usage, v.bytes(t, "plaintext"))
				if err != nil {
					t.Fatal(err)
				}
				if want := v.bytes(t, "checksum"); !bytes.Equal(sum, want) {
					t.Errorf("Checksum: got %x, want %x", sum, want)
				}
				if err := VerifyChecksum(k, usage, v.bytes(t, "plaintext"), v.bytes(t, "checksum")); err != nil {
					t.Errorf("VerifyChecksum: %v", err)
				}
			default:
				t.Fatalf("no test for a vector named %s", v.name())
			}
		})
	}
}

// checkDerived compares Kc, Ke and Ki (whichever the vector gives) with the
// ones derived from base-key for its usage.
func checkDerived(t *testing.T, v vector, e EncType) {
	t.Helper()
	p := aesProfiles[e]
	base, usage := v.bytes(t, "base-key"), uint32(v.int(t, "usage"))
	for _, d := range []struct {
		field string
		kind  byte
	}{{"kc", kindChecksum}, {"ke", kindEncrypt}, {"ki", kindIntegrity}} {
		if _, ok := v.fields[d.field]; !ok {
			continue
		}
		if got, want := p.derive(base, usage, d.kind), v.bytes(t, d.field); !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", d.field, got, want)
		}
	}
}
