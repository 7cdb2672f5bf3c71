package gkdi

import (
	"bytes"
	"testing"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// sddlCrossCheck: the descriptor adtypes builds from the SDDL the spec gives
// is byte for byte the one mixed into the key chain.
func sddlCrossCheck(t *testing.T) {
	sd, err := adtypes.ParseSDDL("O:SYD:(A;;FRFW;;;S-1-5-9)", adtypes.SID{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.Bytes(), GMSASecurityDescriptor) {
		t.Fatalf("adtypes builds %x from the SDDL", sd.Bytes())
	}
}
