package pac

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// testKey makes a key of type e from the bytes seed, seed+1, …; rc4-hmac
// keys are opted in.
func testKey(tb testing.TB, e crypto.EncType, seed byte) crypto.Key {
	tb.Helper()
	b := make([]byte, e.KeySize())
	for i := range b {
		b[i] = seed + byte(i)
	}
	k, err := crypto.NewKey(e, b)
	if err != nil {
		tb.Fatal(err)
	}
	return crypto.AllowRC4(k)
}

var signingTypes = []crypto.EncType{
	crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196,
	crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA384192, crypto.RC4HMAC,
}

func TestSignThenVerify(t *testing.T) {
	t.Parallel()
	for _, st := range signingTypes {
		// The KDC key is aes256 or, as on Windows 2008 to 2012 DCs, rc4-hmac.
		for _, kt := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.RC4HMAC} {
			t.Run(fmt.Sprintf("server %v, KDC %v", st, kt), func(t *testing.T) {
				t.Parallel()
				server, kdc := testKey(t, st, 1), testKey(t, kt, 101)
				p := validPAC()
				raw, err := p.Sign(server, kdc)
				if err != nil {
					t.Fatal(err)
				}
				if err := Verify(raw, server); err != nil {
					t.Errorf("Verify: %v", err)
				}
				if err := VerifyKDC(raw, kdc); err != nil {
					t.Errorf("VerifyKDC: %v", err)
				}
				if again, err := p.Marshal(); err != nil || !bytes.Equal(again, raw) {
					t.Errorf("Sign did not leave p describing what it returned: %v", err)
				}
				q, err := Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				if q.ServerSignature.Type != st.ChecksumType() || q.KDCSignature.Type != kt.ChecksumType() {
					t.Errorf("signature types %v, %v; want %v, %v", q.ServerSignature.Type, q.KDCSignature.Type, st.ChecksumType(), kt.ChecksumType())
				}
				if err := Verify(raw, testKey(t, st, 2)); !errors.Is(err, ErrIntegrity) {
					t.Errorf("Verify with another key: %v, want ErrIntegrity", err)
				}
				for _, at := range []int{0, 100, len(raw) - 1} {
					altered := bytes.Clone(raw)
					altered[at] ^= 0x80
					if Verify(altered, server) == nil && VerifyKDC(altered, kdc) == nil {
						t.Errorf("Verify and VerifyKDC accepted a PAC altered at byte %d", at)
					}
				}
				// The server signature does not cover the KDC signature; the
				// KDC signature covers the server signature.
				altered := bytes.Clone(raw)
				dataOf(altered, BufferKDCSignature)[4] ^= 1
				if err := VerifyKDC(altered, kdc); !errors.Is(err, ErrIntegrity) {
					t.Errorf("VerifyKDC of an altered KDC signature: %v", err)
				}
				altered = bytes.Clone(raw)
				dataOf(altered, BufferServerSignature)[4] ^= 1
				if err := VerifyKDC(altered, kdc); !errors.Is(err, ErrIntegrity) {
					t.Errorf("VerifyKDC of an altered server signature: %v", err)
				}
			})
		}
	}
}

func TestSignKeepsTheRODCIdentifier(t *testing.T) {
	t.Parallel()
	server, kdc := testKey(t, crypto.AES256CTSHMACSHA196, 1), testKey(t, crypto.AES256CTSHMACSHA196, 101)
	p := validPAC()
	p.KDCSignature.RODCIdentifier = 0x1234
	raw, err := p.Sign(server, kdc)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if q.KDCSignature.RODCIdentifier != 0x1234 || len(q.KDCSignature.Value) != 12 {
		t.Errorf("KDC signature %+v, want RODCIdentifier 0x1234 after 12 bytes", q.KDCSignature)
	}
	if err := Verify(raw, server); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := VerifyKDC(raw, kdc); err != nil {
		t.Errorf("VerifyKDC: %v", err)
	}
}

func TestSignDropsSignaturesItCannotMake(t *testing.T) {
	t.Parallel()
	p := validPAC()
	stale := []byte{0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	p.Buffers = []Buffer{{Type: BufferLogonInfo}, {Type: BufferTicketSignature, Data: stale}, {Type: BufferFullPACSignature, Data: stale}, {Type: 42, Data: []byte("kept")}}
	raw, err := p.Sign(testKey(t, crypto.AES256CTSHMACSHA196, 1), testKey(t, crypto.AES256CTSHMACSHA196, 2))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range q.Buffers {
		if b.Type == BufferTicketSignature || b.Type == BufferFullPACSignature {
			t.Errorf("the signed PAC still has a %v buffer", b.Type)
		}
	}
	if len(p.Buffers) != 2 || p.Buffers[1].Type != 42 {
		t.Errorf("p.Buffers after Sign: %v", p.Buffers)
	}
}

func TestSignAndVerifyRefuse(t *testing.T) {
	t.Parallel()
	aes256, aes128 := testKey(t, crypto.AES256CTSHMACSHA196, 1), testKey(t, crypto.AES128CTSHMACSHA196, 1)
	rc4, err := crypto.NewKey(crypto.RC4HMAC, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := validPAC().Sign(aes256, aes256)
	if err != nil {
		t.Fatal(err)
	}
	withoutKDC := validPAC()
	withoutKDC.KDCSignature = nil
	noKDC, err := withoutKDC.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	twoServer := bytes.Clone(signed)
	put32(twoServer, pacHeaderLen+infoBufferLen*bufferIndex(twoServer, BufferKDCSignature), uint32(BufferServerSignature))
	unknownType := bytes.Clone(signed)
	put32(dataOf(unknownType, BufferServerSignature), 0, 99)

	cases := []struct {
		name    string
		run     func() error
		wantErr error
	}{
		{"an rc4-hmac key without the AllowRC4 opt-in cannot sign", func() error { _, err := validPAC().Sign(rc4, aes256); return err }, crypto.ErrUnsupported},
		{"the zero key cannot sign", func() error { _, err := validPAC().Sign(crypto.Key{}, aes256); return err }, ErrUnsupported},
		{"an aes128 key cannot verify an aes256 signature", func() error { return Verify(signed, aes128) }, ErrKeyMismatch},
		{"an aes128 key cannot verify an aes256 KDC signature", func() error { return VerifyKDC(signed, aes128) }, ErrKeyMismatch},
		{"a PAC without a KDC signature does not verify", func() error { return Verify(noKDC, aes256) }, ErrMissing},
		{"a PAC with two server signatures does not verify", func() error { return Verify(twoServer, aes256) }, ErrMalformed},
		{"a signature of unknown type does not verify", func() error { return Verify(unknownType, aes256) }, ErrUnsupported},
		{"a truncated PAC does not verify", func() error { return Verify(signed[:40], aes256) }, ErrMalformed},
		{"the KDC key does not verify the server signature", func() error { return Verify(signed, testKey(t, crypto.AES256CTSHMACSHA196, 9)) }, ErrIntegrity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.run()
			var pe *Error
			if !errors.Is(err, tc.wantErr) || !errors.As(err, &pe) {
				t.Errorf("got %v (%T), want %v in a *pac.Error", err, err, tc.wantErr)
			}
		})
	}
}
