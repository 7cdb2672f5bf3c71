package managedpassword

import (
	"encoding/hex"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/testvector"
)

// loadJSON and unhex are the shared test-vector helpers under local names.
func loadJSON(t testing.TB, name string, v any) { t.Helper(); testvector.Load(t, name, v) }

func unhex(t testing.TB, s string) []byte { t.Helper(); return testvector.Hex(t, s) }

// passwordVector is the one public (root key, SID, GKID) → password vector:
// Samba's lib/crypto/test_gkdi.c.
type passwordVector struct {
	RootID      string   `json:"root_key_id"`
	Version     uint32   `json:"root_key_version"`
	Hash        string   `json:"hash"`
	RootData    string   `json:"root_key_data_hex"`
	GKID        [3]int32 `json:"gkid"`
	Now         uint64   `json:"current_nt_time"`
	SID         string   `json:"account_sid"`
	SIDBinary   string   `json:"account_sid_binary_hex"`
	Expected    string   `json:"expected_password_utf16le_hex"`
	ExpectedLen int      `json:"expected_password_len"`
}

func loadPasswordVector(t testing.TB) (passwordVector, *gkdi.RootKey, adtypes.SID, gkdi.GKID) {
	t.Helper()
	var f struct {
		Vectors []passwordVector `json:"vectors"`
	}
	loadJSON(t, "gmsa-password.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no password vectors")
	}
	v := f.Vectors[0]
	id, err := adtypes.ParseGUID(v.RootID)
	if err != nil {
		t.Fatal(err)
	}
	h, err := gkdi.ParseHash(v.Hash)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := adtypes.ParseSID(v.SID)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sid.Bytes()) != v.SIDBinary {
		t.Fatalf("SID %s encodes as %x, vector says %s", v.SID, sid.Bytes(), v.SIDBinary)
	}
	root := &gkdi.RootKey{ID: id, Version: v.Version, Data: unhex(t, v.RootData), Hash: h}
	return v, root, sid, gkdi.GKID{L0: v.GKID[0], L1: v.GKID[1], L2: v.GKID[2]}
}
