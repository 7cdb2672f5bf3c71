package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

var aesTypes = []EncType{AES128CTSHMACSHA196, AES256CTSHMACSHA196, AES128CTSHMACSHA256128, AES256CTSHMACSHA384192}

// countingReader is a deterministic stand-in for crypto/rand: 0, 1, 2, …
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// testKey is a fixed key of type e: 0x11, 0x12, …
func testKey(t testing.TB, e EncType) Key {
	t.Helper()
	b := make([]byte, e.KeySize())
	for i := range b {
		b[i] = byte(0x11 + i)
	}
	k, err := NewKey(e, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func message(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestEncryptThenDecryptGivesThePlaintextBack(t *testing.T) {
	t.Parallel()
	for _, e := range aesTypes {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100} {
			t.Run(fmt.Sprintf("%v with %d bytes", e, n), func(t *testing.T) {
				t.Parallel()
				k := testKey(t, e)
				ct, err := Encrypt(k, KeyUsageAPReqAuthenticator, message(n), &countingReader{})
				if err != nil {
					t.Fatal(err)
				}
				if want := 16 + n + aesProfiles[e].macSize; len(ct) != want {
					t.Errorf("ciphertext is %d bytes, want %d", len(ct), want)
				}
				pt, err := Decrypt(k, KeyUsageAPReqAuthenticator, ct)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pt, message(n)) {
					t.Errorf("got %x, want %x", pt, message(n))
				}
			})
		}
	}
}

func TestEncryptUsesTheConfounderFromTheReader(t *testing.T) {
	t.Parallel()
	for _, e := range aesTypes {
		k := testKey(t, e)
		a, _ := Encrypt(k, 1, []byte("same"), &countingReader{})
		b, _ := Encrypt(k, 1, []byte("same"), &countingReader{})
		c, _ := Encrypt(k, 1, []byte("same"), &countingReader{n: 1})
		if !bytes.Equal(a, b) || bytes.Equal(a, c) {
			t.Errorf("%v: the ciphertext does not follow the confounder", e)
		}
	}
}

func TestDecryptRefusesAlteredCiphertext(t *testing.T) {
	t.Parallel()
	for _, e := range aesTypes {
		t.Run(e.String(), func(t *testing.T) {
			t.Parallel()
			k := testKey(t, e)
			ct, err := Encrypt(k, KeyUsageKDCRepTicket, message(33), &countingReader{})
			if err != nil {
				t.Fatal(err)
			}
			// Every bit of the confounder, the body, the stolen block and the MAC.
			for i := range 8 * len(ct) {
				bad := bytes.Clone(ct)
				bad[i/8] ^= 1 << (i % 8)
				pt, err := Decrypt(k, KeyUsageKDCRepTicket, bad)
				if !errors.Is(err, ErrIntegrity) || pt != nil {
					t.Fatalf("bit %d flipped: got %x, %v; want ErrIntegrity and no plaintext", i, pt, err)
				}
			}
		})
	}
}

func TestDecryptRefusesTheWrongKeyOrUsage(t *testing.T) {
	t.Parallel()
	for _, e := range aesTypes {
		k := testKey(t, e)
		other, _ := GenerateKey(e, &countingReader{n: 200})
		ct, _ := Encrypt(k, KeyUsageASRepEncPart, []byte("enc-part"), &countingReader{})
		if _, err := Decrypt(k, KeyUsageTGSRepEncPartSessionKey, ct); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%v, another usage: got %v, want ErrIntegrity", e, err)
		}
		if _, err := Decrypt(other, KeyUsageASRepEncPart, ct); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%v, another key: got %v, want ErrIntegrity", e, err)
		}
	}
}

func TestDecryptRefusesCiphertextTooShortForAConfounderAndMAC(t *testing.T) {
	t.Parallel()
	for _, e := range aesTypes {
		k := testKey(t, e)
		for n := range 16 + aesProfiles[e].macSize {
			pt, err := Decrypt(k, 2, make([]byte, n))
			if !errors.Is(err, ErrMalformed) || pt != nil {
				t.Errorf("%v, %d bytes: got %x, %v; want ErrMalformed", e, n, pt, err)
			}
		}
		// One byte more is long enough to reach the MAC check.
		if _, err := Decrypt(k, 2, make([]byte, 16+aesProfiles[e].macSize)); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%v, minimum length: got %v, want ErrIntegrity", e, err)
		}
	}
}

func TestChecksumVerifiesAndRefusesAlteredData(t *testing.T) {
	t.Parallel()
	wantSize := map[EncType]int{AES128CTSHMACSHA196: 12, AES256CTSHMACSHA196: 12, AES128CTSHMACSHA256128: 16, AES256CTSHMACSHA384192: 24}
	for _, e := range aesTypes {
		k := testKey(t, e)
		data := []byte("KRB-SAFE body")
		sum, err := Checksum(k, KeyUsageKRBSafeChecksum, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum) != wantSize[e] {
			t.Errorf("%v: checksum is %d bytes, want %d", e, len(sum), wantSize[e])
		}
		if err := VerifyChecksum(k, KeyUsageKRBSafeChecksum, data, sum); err != nil {
			t.Errorf("%v: %v", e, err)
		}
		for name, c := range map[string]struct {
			usage     uint32
			data, sum []byte
		}{
			"altered data":  {KeyUsageKRBSafeChecksum, []byte("KRB-SAFE bodY"), sum},
			"another usage": {KeyUsageAPReqAuthenticatorChecksum, data, sum},
			"short sum":     {KeyUsageKRBSafeChecksum, data, sum[:len(sum)-1]},
			"empty sum":     {KeyUsageKRBSafeChecksum, data, nil},
		} {
			if err := VerifyChecksum(k, c.usage, c.data, c.sum); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%v, %s: got %v, want ErrIntegrity", e, name, err)
			}
		}
	}
}

func TestChecksumTypeGoesWithTheEncType(t *testing.T) {
	t.Parallel()
	for e, want := range map[EncType]string{
		AES128CTSHMACSHA196: "hmac-sha1-96-aes128", AES256CTSHMACSHA196: "hmac-sha1-96-aes256",
		AES128CTSHMACSHA256128: "hmac-sha256-128-aes128", AES256CTSHMACSHA384192: "hmac-sha384-192-aes256",
		RC4HMAC: "hmac-md5-rc4",
	} {
		if got := e.ChecksumType().String(); got != want {
			t.Errorf("%v: got %s, want %s", e, got, want)
		}
	}
}

func TestOperationsRefuseKeysTheyCannotUse(t *testing.T) {
	t.Parallel()
	rc4, err := StringToKey(RC4HMAC, "password", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  Key
		want error
	}{
		{"an rc4-hmac key without the AllowRC4 opt-in", rc4, ErrUnsupported},
		{"an unknown encryption type is unsupported", Key{Type: 99}, ErrUnsupported},
		{"the zero Key of a known type is malformed", Key{Type: AES256CTSHMACSHA196}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Encrypt(tc.key, 1, nil, &countingReader{}); !errors.Is(err, tc.want) {
				t.Errorf("Encrypt: got %v, want %v", err, tc.want)
			}
			if _, err := Decrypt(tc.key, 1, make([]byte, 64)); !errors.Is(err, tc.want) {
				t.Errorf("Decrypt: got %v, want %v", err, tc.want)
			}
			if _, err := Checksum(tc.key, 1, nil); !errors.Is(err, tc.want) {
				t.Errorf("Checksum: got %v, want %v", err, tc.want)
			}
			if err := VerifyChecksum(tc.key, 1, nil, nil); !errors.Is(err, tc.want) {
				t.Errorf("VerifyChecksum: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncryptReportsAFailingRandomSource(t *testing.T) {
	t.Parallel()
	k := testKey(t, AES256CTSHMACSHA196)
	if _, err := Encrypt(k, 1, nil, strings.NewReader("short")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: got %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := Encrypt(k, 1, nil, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil reader: got %v, want ErrMalformed", err)
	}
}

func TestStringToKeyIterationCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		params    []byte
		want      error
		wantInMsg string
	}{
		{"no s2kparams means the default count", nil, nil, ""},
		{"a count of one is accepted", []byte{0, 0, 0, 1}, nil, ""},
		{"a count of zero, which means 2^32, is refused", []byte{0, 0, 0, 0}, ErrParams, "iteration count 0"},
		{"a count of 2^24+1 is refused", []byte{0x01, 0, 0, 1}, ErrParams, "iteration count 16777217"},
		{"a count of 2^32-1 is refused", []byte{0xff, 0xff, 0xff, 0xff}, ErrParams, "iteration count 4294967295"},
		{"s2kparams of three bytes is malformed", []byte{0, 0x10, 0}, ErrMalformed, "3 bytes"},
		{"s2kparams of five bytes is malformed", []byte{0, 0, 0x10, 0, 0}, ErrMalformed, "5 bytes"},
	}
	for _, e := range aesTypes {
		for _, tc := range tests {
			t.Run(e.String()+": "+tc.name, func(t *testing.T) {
				t.Parallel()
				k, err := StringToKey(e, "secret", "EXAMPLE.COMuser", tc.params)
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if err != nil {
					if !strings.Contains(err.Error(), tc.wantInMsg) || strings.Contains(err.Error(), "secret") {
						t.Errorf("message %q should contain %q and not the password", err, tc.wantInMsg)
					}
					return
				}
				if k.Type != e || len(k.Bytes()) != e.KeySize() {
					t.Errorf("got a %v key of %d bytes", k.Type, len(k.Bytes()))
				}
			})
		}
	}
}

func TestStringToKeyDefaultsMatchTheRFCs(t *testing.T) {
	t.Parallel()
	for e, def := range map[EncType]int{AES128CTSHMACSHA196: 4096, AES256CTSHMACSHA196: 4096, AES128CTSHMACSHA256128: 32768, AES256CTSHMACSHA384192: 32768} {
		a, err1 := StringToKey(e, "pw", "salt", nil)
		b, err2 := StringToKey(e, "pw", "salt", s2kparams(def))
		if err1 != nil || err2 != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%v: default differs from %d iterations (%v, %v)", e, def, err1, err2)
		}
	}
}

func TestRC4StringToKeyIsTheNTHash(t *testing.T) {
	t.Parallel()
	// The NT hash of "password", as every Windows password-audit tool
	// shows it.
	want, _ := hex.DecodeString("8846f7eaee8fb117ad06bdd830b7586c")
	k, err := StringToKey(RC4HMAC, "password", "ignored salt", []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Bytes(), want) {
		t.Errorf("StringToKey: got %x, want %x", k.Bytes(), want)
	}
	if got := NTHash([]byte("p\x00a\x00s\x00s\x00w\x00o\x00r\x00d\x00")); !bytes.Equal(got, want) {
		t.Errorf("NTHash: got %x, want %x", got, want)
	}
}

func TestParseEncType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  EncType
		isErr bool
	}{
		{"the MIT name of aes256-sha1 parses", "aes256-cts-hmac-sha1-96", AES256CTSHMACSHA196, false},
		{"the MIT name of aes128-sha1 parses", "aes128-cts-hmac-sha1-96", AES128CTSHMACSHA196, false},
		{"the MIT name of aes128-sha2 parses", "aes128-cts-hmac-sha256-128", AES128CTSHMACSHA256128, false},
		{"the MIT name of aes256-sha2 parses", "aes256-cts-hmac-sha384-192", AES256CTSHMACSHA384192, false},
		{"the MIT name of rc4 parses", "arcfour-hmac", RC4HMAC, false},
		{"the alias aes256 means the SHA-1 type", "aes256", AES256CTSHMACSHA196, false},
		{"the alias aes128 means the SHA-1 type", "aes128", AES128CTSHMACSHA196, false},
		{"the alias rc4 parses", "rc4", RC4HMAC, false},
		{"the MIT alias rc4-hmac parses", "rc4-hmac", RC4HMAC, false},
		{"the MIT alias aes256-sha2 parses", "aes256-sha2", AES256CTSHMACSHA384192, false},
		{"names are case-insensitive", "AES256-CTS-HMAC-SHA1-96", AES256CTSHMACSHA196, false},
		{"a decimal number parses", "18", AES256CTSHMACSHA196, false},
		{"the decimal number 23 parses", "23", RC4HMAC, false},
		{"an unknown number is refused", "16", 0, true},
		{"a negative number is refused", "-18", 0, true},
		{"an unknown name is refused", "des3-cbc-sha1", 0, true},
		{"the empty string is refused", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEncType(tc.in)
			if tc.isErr {
				if !errors.Is(err, ErrUnsupported) {
					t.Errorf("ParseEncType(%q) = %v, %v; want ErrUnsupported", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseEncType(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestEncTypeStringAndKeySize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    EncType
		name string
		size int
	}{
		{AES128CTSHMACSHA196, "aes128-cts-hmac-sha1-96", 16},
		{AES256CTSHMACSHA196, "aes256-cts-hmac-sha1-96", 32},
		{AES128CTSHMACSHA256128, "aes128-cts-hmac-sha256-128", 16},
		{AES256CTSHMACSHA384192, "aes256-cts-hmac-sha384-192", 32},
		{RC4HMAC, "arcfour-hmac", 16},
		{16, "enctype-16", 0},
		{-128, "enctype--128", 0},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.name {
			t.Errorf("EncType(%d).String() = %q, want %q", int32(tc.e), got, tc.name)
		}
		if got := tc.e.KeySize(); got != tc.size {
			t.Errorf("%v.KeySize() = %d, want %d", tc.e, got, tc.size)
		}
		if tc.size > 0 {
			if back, err := ParseEncType(tc.name); err != nil || back != tc.e {
				t.Errorf("ParseEncType(%q) = %v, %v; want %v", tc.name, back, err, tc.e)
			}
		}
	}
}

func TestNewKeyChecksTheLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    EncType
		n    int
		want error
	}{
		{"32 bytes make an aes256 key", AES256CTSHMACSHA196, 32, nil},
		{"16 bytes make an aes128 key", AES128CTSHMACSHA256128, 16, nil},
		{"16 bytes make an rc4-hmac key", RC4HMAC, 16, nil},
		{"16 bytes do not make an aes256 key", AES256CTSHMACSHA384192, 16, ErrMalformed},
		{"33 bytes do not make an aes256 key", AES256CTSHMACSHA196, 33, ErrMalformed},
		{"no bytes do not make a key", AES128CTSHMACSHA196, 0, ErrMalformed},
		{"an unknown type makes no key", 3, 8, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := message(tc.n)
			k, err := NewKey(tc.e, b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil {
				b[0] ^= 0xff // NewKey copied
				if got := k.Bytes(); !bytes.Equal(got, message(tc.n)) {
					t.Errorf("Bytes() = %x, want %x", got, message(tc.n))
				}
				k.Bytes()[0] ^= 0xff // Bytes returns a copy
				if !bytes.Equal(k.Bytes(), message(tc.n)) {
					t.Errorf("changing the result of Bytes changed the key")
				}
			}
		})
	}
}

func TestKeysNeverPrintTheirBytes(t *testing.T) {
	t.Parallel()
	k := testKey(t, AES256CTSHMACSHA196)
	secret := hex.EncodeToString(k.Bytes())
	secretUpper := strings.ToUpper(secret)
	holder := struct {
		Name string
		key  Key // unexported: fmt prints it by reflection, not via its methods
		Ptr  *Key
	}{"svc", k, &k}
	type nested struct{ inner struct{ keys []Key } }
	deep := nested{}
	deep.inner.keys = []Key{k}

	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, holder), fmt.Sprintf(verb, &holder),
			fmt.Sprintf(verb, []Key{k}), fmt.Sprintf(verb, deep), fmt.Sprintf(verb, map[string]Key{"k": k}))
	}
	out = append(out, k.String(), k.GoString(), fmt.Sprint(k), fmt.Sprintln(k))
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("key", "key", k, "ptr", &k)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("key", "key", k, "holder", holder)
	out = append(out, logs.String())

	for _, s := range out {
		if strings.Contains(s, secret) || strings.Contains(s, secretUpper) || strings.Contains(s, string(k.Bytes())) {
			t.Errorf("printed the key: %s", s)
		}
		// Decimal bytes, as %v of a []byte would print them.
		if strings.Contains(s, fmt.Sprint(k.Bytes())[1:20]) {
			t.Errorf("printed the key bytes in decimal: %s", s)
		}
	}
	if got, want := fmt.Sprint(k), "aes256-cts-hmac-sha1-96 key [REDACTED]"; got != want {
		t.Errorf("fmt.Sprint(k) = %q, want %q", got, want)
	}
}

func TestErrorsNameTheOperationAndNoSecret(t *testing.T) {
	t.Parallel()
	k := testKey(t, AES128CTSHMACSHA196)
	secret := hex.EncodeToString(k.Bytes())
	plaintext := "attack at dawn, plaintext marker"
	ct, _ := Encrypt(k, 3, []byte(plaintext), &countingReader{})
	ct[20] ^= 1
	_, errDecrypt := Decrypt(k, 3, ct)
	_, errShort := Decrypt(k, 3, ct[:10])
	_, errS2K := StringToKey(AES128CTSHMACSHA196, "hunter2-password", "salt", []byte{0, 0, 0, 0})
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a failed MAC says decrypt and integrity", errDecrypt, "krb5 crypto: decrypt aes128-cts-hmac-sha1-96: integrity check failed"},
		{"a short ciphertext gives its length", errShort, "krb5 crypto: decrypt aes128-cts-hmac-sha1-96: ciphertext is 10 bytes, shorter than the 28 of a confounder and a MAC: malformed input"},
		{"a refused count names the value", errS2K, "krb5 crypto: string-to-key aes128-cts-hmac-sha1-96: iteration count 0 (meaning 4294967296, RFC 3962 §4) is above the limit of 16777216: refused string-to-key parameters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err == nil || tc.err.Error() != tc.want {
				t.Fatalf("got %v, want %s", tc.err, tc.want)
			}
			var e *Error
			if !errors.As(tc.err, &e) {
				t.Fatalf("%T is not *Error", tc.err)
			}
			for _, s := range []string{secret, plaintext, "hunter2"} {
				if strings.Contains(tc.err.Error(), s) {
					t.Errorf("message contains %q", s)
				}
			}
		})
	}
}

func TestGenerateKeyReadsKeySizeBytes(t *testing.T) {
	t.Parallel()
	for _, e := range append(aesTypes, RC4HMAC) {
		k, err := GenerateKey(e, &countingReader{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.Bytes(), message(0)) && !bytes.Equal(k.Bytes()[:3], []byte{0, 1, 2}) || len(k.Bytes()) != e.KeySize() {
			t.Errorf("%v: got %x", e, k.Bytes())
		}
	}
	if _, err := GenerateKey(AES256CTSHMACSHA196, strings.NewReader("x")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: got %v", err)
	}
	if _, err := GenerateKey(9, &countingReader{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown type: got %v", err)
	}
}

func TestRC4NeedsTheOptIn(t *testing.T) {
	t.Parallel()
	inert, err := StringToKey(RC4HMAC, "Passw0rd!", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Encrypt(inert, KeyUsageASRepEncPart, []byte("x"), rand.Reader); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "AllowRC4") {
		t.Fatalf("encrypt without opt-in: %v", err)
	}
	if _, err := Checksum(inert, 17, []byte("x")); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("checksum without opt-in: %v", err)
	}
	k := AllowRC4(inert)
	msg := []byte("a message of some length")
	ct, err := Encrypt(k, KeyUsageASRepEncPart, msg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != 16+8+len(msg) {
		t.Fatalf("ciphertext is %d bytes, want checksum 16 + confounder 8 + %d", len(ct), len(msg))
	}
	// RFC 4757 §3: the AS-REP and TGS-REP encrypted parts share message type 8.
	for _, u := range []uint32{3, 8, 9} {
		if pt, err := Decrypt(k, u, ct); err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("usage %d: %v", u, err)
		}
	}
	if _, err := Decrypt(k, 7, ct); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("wrong usage: %v", err)
	}
	ct[20] ^= 1
	if _, err := Decrypt(k, 3, ct); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("tampered: %v", err)
	}
	if AllowRC4(newKey(AES256CTSHMACSHA196, make([]byte, 32))).rc4 {
		t.Fatal("AllowRC4 marked an AES key")
	}
}
