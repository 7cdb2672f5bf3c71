package gkdi

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

type envelopeVectors struct {
	KeyEnvelope struct {
		Hex     string `json:"blob_hex"`
		Decoded struct {
			Version, Flags uint32
			L0             int32  `json:"l0"`
			L1             int32  `json:"l1"`
			L2             int32  `json:"l2"`
			RootKeyID      string `json:"root_key_id"`
			DomainName     string `json:"domain_name"`
			ForestName     string `json:"forest_name"`
		} `json:"decoded"`
	} `json:"key_envelope"`
	GroupKeyEnvelope struct {
		Hex     string `json:"blob_hex"`
		Decoded struct {
			Version, Flags uint32
			L0             int32  `json:"l0"`
			L1             int32  `json:"l1"`
			L2             int32  `json:"l2"`
			RootKeyID      string `json:"root_key_id"`
			KDF            string `json:"kdf_algorithm"`
			SA             string `json:"secret_agreement_algorithm"`
			Private        uint32 `json:"private_key_len"`
			Public         uint32 `json:"public_key_len"`
			DomainName     string `json:"domain_name"`
			ForestName     string `json:"forest_name"`
			L1Key          string `json:"l1_key_hex"`
			L2Key          string `json:"l2_key_hex"`
		} `json:"decoded"`
	} `json:"group_key_envelope"`
	KDFParams struct {
		Hex  string `json:"blob_hex"`
		Hash string `json:"hash_algorithm"`
	} `json:"kdf_parameters_sha512"`
	FFC struct {
		Hex string `json:"blob_hex"`
	} `json:"ffc_dh_parameters"`
}

func loadEnvelopes(t testing.TB) envelopeVectors {
	var v envelopeVectors
	loadJSON(t, "gkdi-key-envelope-and-params.json", &v)
	return v
}

func TestKeyEnvelopeVector(t *testing.T) {
	t.Parallel()
	v := loadEnvelopes(t)
	raw := unhex(t, v.KeyEnvelope.Hex)
	e, err := ParseKeyEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	d := v.KeyEnvelope.Decoded
	if e.Version != d.Version || e.Flags != d.Flags || e.GKID != (GKID{d.L0, d.L1, d.L2}) ||
		e.RootKeyID.String() != d.RootKeyID || e.Domain != d.DomainName || e.Forest != d.ForestName || e.AdditionalInfo != nil {
		t.Fatalf("decoded %+v, want %+v", e, d)
	}
	out, err := e.Marshal()
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("Marshal = %x, %v\nwant      %x", out, err, raw)
	}
}

func TestGroupKeyEnvelopeVector(t *testing.T) {
	t.Parallel()
	v := loadEnvelopes(t)
	raw := unhex(t, v.GroupKeyEnvelope.Hex)
	e, err := ParseGroupKeyEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	d := v.GroupKeyEnvelope.Decoded
	if e.Version != d.Version || e.Flags != d.Flags || e.GKID != (GKID{d.L0, d.L1, d.L2}) || e.RootKeyID.String() != d.RootKeyID ||
		e.KDFAlgorithm != d.KDF || e.SecretAgreementAlgorithm != d.SA || e.PrivateKeyLength != d.Private || e.PublicKeyLength != d.Public ||
		e.Domain != d.DomainName || e.Forest != d.ForestName ||
		hex.EncodeToString(e.L1Key) != d.L1Key || hex.EncodeToString(e.L2Key) != d.L2Key {
		t.Fatalf("decoded %s differs from %+v", e, d)
	}
	if h, err := ParseKDFParameters(e.KDFParameters); err != nil || h != SHA512 {
		t.Fatalf("embedded KdfParameters: %v, %v", h, err)
	}
	if !bytes.Equal(e.SecretAgreementParameters, unhex(t, v.FFC.Hex)) {
		t.Fatal("embedded secret agreement parameters differ from the FfcDhParameters vector")
	}
	out, err := e.Marshal()
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("Marshal differs: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", e, *e, e); strings.Contains(s, d.L1Key[:16]) || strings.Contains(s, d.L2Key[:16]) {
		t.Fatalf("keys leaked: %s", s)
	}
}

func TestKDFParametersVector(t *testing.T) {
	t.Parallel()
	v := loadEnvelopes(t)
	raw := unhex(t, v.KDFParams.Hex)
	h, err := ParseKDFParameters(raw)
	if err != nil || h.String() != v.KDFParams.Hash {
		t.Fatalf("ParseKDFParameters = %v, %v", h, err)
	}
	if got := MarshalKDFParameters(SHA512); !bytes.Equal(got, raw) {
		t.Fatalf("MarshalKDFParameters = %x", got)
	}
	for _, h := range []Hash{SHA1, SHA256, SHA384, SHA512} {
		if got, err := ParseKDFParameters(MarshalKDFParameters(h)); err != nil || got != h {
			t.Errorf("round trip of %s: %v, %v", h, got, err)
		}
	}
	if h, err := ParseKDFParameters(nil); err != nil || h != SHA256 {
		t.Fatalf("absent msKds-KDFParam must mean SHA256, got %v, %v", h, err)
	}
}

func TestFfcDHParametersVector(t *testing.T) {
	t.Parallel()
	v := loadEnvelopes(t)
	raw := unhex(t, v.FFC.Hex)
	p, err := ParseFfcDHParameters(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyLength != 256 || p.FieldOrder.BitLen() != 2048 {
		t.Fatalf("key length %d, p has %d bits", p.KeyLength, p.FieldOrder.BitLen())
	}
	// RFC 5114 §2.3: p begins 87A8E61D, g begins 3FB32C9B.
	if !strings.HasPrefix(p.FieldOrder.Text(16), "87a8e61d") || !strings.HasPrefix(p.Generator.Text(16), "3fb32c9b") {
		t.Fatalf("p/g are not the RFC 5114 2048/256 group")
	}
	out, err := p.Marshal()
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("Marshal differs: %v", err)
	}
}

func TestMalformedStructures(t *testing.T) {
	t.Parallel()
	v := loadEnvelopes(t)
	ke := unhex(t, v.KeyEnvelope.Hex)
	mutate := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	cases := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  string
	}{
		{"a key envelope shorter than its header", keParse, ke[:51], "shorter than its 52-byte header"},
		{"a key envelope with the wrong magic", keParse, mutate(ke, func(b []byte) []byte { b[4] = 'X'; return b }), "KeyEnvelope.Magic 58445"},
		{"a key envelope with a trailing byte", keParse, append(append([]byte(nil), ke...), 0), "add up to 48 but 49 bytes follow"},
		{"a key envelope whose domain length runs past the end", keParse, mutate(ke, func(b []byte) []byte { b[44] = 0xff; return b }), "DomainNameLength=255"},
		{"a key envelope with L1 = 32", keParse, mutate(ke, func(b []byte) []byte { b[16] = 32; return b }), "GKID 362,32,14"},
		{"a key envelope whose domain is not NUL-terminated", keParse, mutate(ke, func(b []byte) []byte { b[52+22] = 'x'; return b }), "DomainName"},
		{"KdfParameters naming MD5", kpParse, append(unhex(t, "00000000010000000800000000000000"), utf16z("MD5")...), `HashName "MD5"`},
		{"KdfParameters with a bad header", kpParse, unhex(t, "01000000010000000e000000000000005300480041003500310032000000"), "header must be"},
		{"FfcDhParameters with the wrong length", ffcParse, unhex(t, "0d0000004448504d02000000aabbccdd"), "FfcDhParameters.Length 13"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.parse(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not *gkdi.Error", err)
			}
		})
	}
}

func keParse(b []byte) error  { _, err := ParseKeyEnvelope(b); return err }
func kpParse(b []byte) error  { _, err := ParseKDFParameters(b); return err }
func ffcParse(b []byte) error { _, err := ParseFfcDHParameters(b); return err }

func TestKeyEnvelopeRoundTripsForGMSAIDs(t *testing.T) {
	t.Parallel()
	id, _ := adtypes.ParseGUID("0170e972-a035-af4c-993b-e052d5bd1216")
	e := &KeyEnvelope{Version: 1, Flags: FlagKeyMayEncryptNewData, GKID: GKID{361, 26, 24}, RootKeyID: id, Domain: "contoso.com", Forest: "contoso.com"}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 52+24+24 {
		t.Fatalf("length %d", len(b))
	}
	back, err := ParseKeyEnvelope(b)
	if err != nil || fmt.Sprint(*back) != fmt.Sprint(*e) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
