package gkdi

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

type seedVectors struct {
	SD      string `json:"gmsa_security_descriptor_hex"`
	Vectors []struct {
		Name     string   `json:"name"`
		RootID   string   `json:"root_key_id"`
		RootIDB  string   `json:"root_key_id_bytes_hex"`
		Hash     string   `json:"hash"`
		GKID     [3]int32 `json:"gkid"`
		KeyType  string   `json:"key_type"`
		RootData string   `json:"root_key_data_hex"`
		Expected string   `json:"expected_key_hex"`
	} `json:"vectors"`
	Failures []struct {
		Name      string   `json:"name"`
		HashParam string   `json:"hash_param"`
		GKID      [3]int32 `json:"gkid"`
		Version   uint32   `json:"root_key_version"`
		RootID    string   `json:"root_key_id"`
		RootData  string   `json:"root_key_data_hex"`
		Status    string   `json:"expected_status"`
	} `json:"failure_vectors"`
}

func TestGMSASecurityDescriptorMatchesVector(t *testing.T) {
	t.Parallel()
	var v seedVectors
	loadJSON(t, "gkdi-seed-keys.json", &v)
	if got := hex.EncodeToString(GMSASecurityDescriptor); got != v.SD {
		t.Fatalf("GMSASecurityDescriptor = %s, want %s", got, v.SD)
	}
	sddlCrossCheck(t)
}

func TestSeedKeyVectors(t *testing.T) {
	t.Parallel()
	var v seedVectors
	loadJSON(t, "gkdi-seed-keys.json", &v)
	if len(v.Vectors) < 12 {
		t.Fatalf("only %d seed-key vectors", len(v.Vectors))
	}
	d := NewDeriver(GMSASecurityDescriptor, 64)
	for _, c := range v.Vectors {
		t.Run(c.Name, func(t *testing.T) {
			root := vectorRoot(t, c.RootID, c.RootIDB, c.Hash, 1, c.RootData)
			g := GKID{c.GKID[0], c.GKID[1], c.GKID[2]}
			if g.Type().String() != c.KeyType {
				t.Fatalf("GKID %v is %s, vector says %s", g, g.Type(), c.KeyType)
			}
			got, err := SeedKey(root, g, GMSASecurityDescriptor)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != c.Expected {
				t.Fatalf("SeedKey = %x\nwant       %s", got, c.Expected)
			}
			cached, err := d.SeedKey(root, g)
			if err != nil || !bytes.Equal(cached, got) {
				t.Fatalf("Deriver.SeedKey = %x, %v", cached, err)
			}
		})
	}
}

func TestSeedKeyFailureVectors(t *testing.T) {
	t.Parallel()
	var v seedVectors
	loadJSON(t, "gkdi-seed-keys.json", &v)
	if len(v.Failures) == 0 {
		t.Fatal("no failure vectors")
	}
	for _, c := range v.Failures {
		t.Run(c.Name, func(t *testing.T) {
			id, err := adtypes.ParseGUID(c.RootID)
			if err != nil {
				t.Fatal(err)
			}
			h := SHA512
			if !strings.Contains(c.HashParam, "SHA512") {
				h = Hash(0xff) // the vector's "unsupported algorithm"
			}
			root := &RootKey{ID: id, Version: c.Version, Data: unhex(t, c.RootData), Hash: h}
			g := GKID{c.GKID[0], c.GKID[1], c.GKID[2]}
			want := map[string]error{"NT_STATUS_NOT_SUPPORTED": ErrNotSupported, "NT_STATUS_INVALID_PARAMETER": ErrInvalidParameter}[c.Status]
			if want == nil {
				t.Fatalf("unknown status %s", c.Status)
			}
			_, err = SeedKey(root, g, GMSASecurityDescriptor)
			if !errors.Is(err, want) {
				t.Fatalf("err = %v, want %s", err, c.Status)
			}
			if _, err2 := NewDeriver(GMSASecurityDescriptor, 4).SeedKey(root, g); !errors.Is(err2, want) {
				t.Fatalf("Deriver err = %v, want %s", err2, c.Status)
			}
		})
	}
}

// TestIntermediateKeys checks the L0 and L1 keys of the password vector's
// chain (regression values computed independently, see the file's warning).
func TestIntermediateKeys(t *testing.T) {
	t.Parallel()
	var v struct {
		Keys map[string]string `json:"intermediate_keys_hex"`
	}
	loadJSON(t, "gmsa-derived-kerberos-keys.json", &v)
	root := passwordVectorRoot(t)
	var ctx []byte
	l0 := KDF(root.Hash, root.Data, labelKDSService, context(ctx, root.ID, 362, -1, -1), SeedKeyLen)
	checks := map[string][]byte{"L0(362,-1,-1)": l0}
	for name, g := range map[string]GKID{"L1(362,31,-1)": {362, 31, -1}, "L1(362,0,-1)": {362, 0, -1}, "L2(362,0,23)": {362, 0, 23}} {
		k, err := SeedKey(root, g, GMSASecurityDescriptor)
		if err != nil {
			t.Fatal(err)
		}
		checks[name] = k
	}
	if len(v.Keys) != len(checks) {
		t.Fatalf("vector has %d keys, test checks %d", len(v.Keys), len(checks))
	}
	for name, got := range checks {
		if hex.EncodeToString(got) != v.Keys[name] {
			t.Errorf("%s = %x, want %s", name, got, v.Keys[name])
		}
	}
}

func TestDeriverReusesNearbyKeys(t *testing.T) {
	t.Parallel()
	root := passwordVectorRoot(t)
	d := NewDeriver(GMSASecurityDescriptor, 16)
	first := GKID{362, 5, 10}
	if _, err := d.SeedKey(root, first); err != nil {
		t.Fatal(err)
	}
	if s := d.Stats(); s.Misses != 1 || s.L1Hits != 0 {
		t.Fatalf("after the first key: %+v", s)
	}
	// Same interval: an L2 hit. Same L1, other L2: an L1 hit. A lower L1:
	// continues from the cached L1[5].
	for _, g := range []GKID{first, {362, 5, 11}, {362, 3, 0}} {
		got, err := d.SeedKey(root, g)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := SeedKey(root, g, GMSASecurityDescriptor)
		if !bytes.Equal(got, want) {
			t.Fatalf("%v: cached derivation differs from the full chain", g)
		}
	}
	if s := d.Stats(); s.Misses != 1 || s.L2Hits != 1 || s.L1Hits != 2 {
		t.Fatalf("stats %+v; want 1 miss, 1 L2 hit, 2 L1 hits", s)
	}
}

func TestDeriverIsBoundedAndKeyedByRootData(t *testing.T) {
	t.Parallel()
	root := passwordVectorRoot(t)
	d := NewDeriver(GMSASecurityDescriptor, 4)
	for l2 := int32(0); l2 < 20; l2++ {
		if _, err := d.SeedKey(root, GKID{362, 0, l2}); err != nil {
			t.Fatal(err)
		}
	}
	if d.Len() > 4 {
		t.Fatalf("cache holds %d entries, bound is 4", d.Len())
	}
	// Same GUID, different secret: must not be served from the cache.
	other := *root
	other.Data = bytes.Repeat([]byte{0x42}, 64)
	got, err := d.SeedKey(&other, GKID{362, 0, 19})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := SeedKey(&other, GKID{362, 0, 19}, GMSASecurityDescriptor)
	if !bytes.Equal(got, want) {
		t.Fatal("a root key with a reused GUID got another key's cached seed")
	}
}

func TestDeriverConcurrentUse(t *testing.T) {
	t.Parallel()
	root := passwordVectorRoot(t)
	d := NewDeriver(GMSASecurityDescriptor, 8)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := GKID{362, int32(i % 4), int32(i % 32)}
			got, err := d.SeedKey(root, g)
			want, _ := SeedKey(root, g, GMSASecurityDescriptor)
			if err != nil || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("%v: %v", g, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKDFBlocksCountsTheChain(t *testing.T) {
	t.Parallel()
	// L0 + L1[31] + L1[30..0] + L2[31..23] = 1 + 1 + 31 + 9.
	if got := KDFBlocks(SHA512, GKID{362, 0, 23}); got != 42 {
		t.Fatalf("KDFBlocks = %d, want 42", got)
	}
	if got := KDFBlocks(SHA256, GKID{362, 31, -1}); got != 4 {
		t.Fatalf("KDFBlocks(SHA256, L1[31]) = %d, want 4 (2 blocks per 64-byte key)", got)
	}
}

func TestRootKeyNeverPrintsItsData(t *testing.T) {
	t.Parallel()
	root := passwordVectorRoot(t)
	secret := hex.EncodeToString(root.Data)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("k", "root", root)
	for _, s := range []string{
		fmt.Sprintf("%v", root), fmt.Sprintf("%+v", *root), fmt.Sprintf("%#v", root), fmt.Sprintf("%x", *root),
		fmt.Sprintf("%s", root), fmt.Sprint(root), logged.String(),
	} {
		if strings.Contains(s, secret) || strings.Contains(s, secret[:16]) || strings.Contains(s, fmt.Sprint(root.Data[:4])) {
			t.Errorf("secret leaked: %s", s)
		}
		if !strings.Contains(s, "REDACTED") {
			t.Errorf("no redaction marker in %q", s)
		}
	}
}

func TestNewestPicksLatestCreatedUsableKey(t *testing.T) {
	t.Parallel()
	a := &RootKey{Created: 100, UseStart: 100}
	b := &RootKey{Created: 200, UseStart: 500}
	c := &RootKey{Created: 150, UseStart: 50}
	keys := []*RootKey{a, b, c}
	if got := Newest(keys, 400); got != c {
		t.Errorf("at 400 got %v", got)
	}
	if got := Newest(keys, 500); got != b {
		t.Errorf("at 500 got %v", got)
	}
	if got := Newest(keys, 10); got != nil {
		t.Errorf("at 10 got %v", got)
	}
}

func vectorRoot(t testing.TB, id, idBytes, hash string, version uint32, data string) *RootKey {
	t.Helper()
	g, err := adtypes.ParseGUID(id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(g[:]) != idBytes {
		t.Fatalf("GUID %s encodes as %x, vector says %s", id, g[:], idBytes)
	}
	h, err := ParseHash(hash)
	if err != nil {
		t.Fatal(err)
	}
	return &RootKey{ID: g, Version: version, Data: unhex(t, data), Hash: h}
}

func passwordVectorRoot(t testing.TB) *RootKey {
	t.Helper()
	var v struct {
		Vectors []struct {
			RootID   string `json:"root_key_id"`
			RootIDB  string `json:"root_key_id_bytes_hex"`
			Version  uint32 `json:"root_key_version"`
			Hash     string `json:"hash"`
			RootData string `json:"root_key_data_hex"`
		} `json:"vectors"`
	}
	loadJSON(t, "gmsa-password.json", &v)
	c := v.Vectors[0]
	return vectorRoot(t, c.RootID, c.RootIDB, c.Hash, c.Version, c.RootData)
}
