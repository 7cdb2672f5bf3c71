package adtypes_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// The security descriptor a DC mixes into GKDI key derivation for gMSAs,
// from its SDDL in [MS-ADTS] 3.1.1.4.5.39 to the bytes GKDI hashes.
func ExampleParseSDDL() {
	sd, err := adtypes.ParseSDDL("O:SYD:(A;;FRFW;;;S-1-5-9)", adtypes.SID{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%x\n", sd.Bytes())
	// Output:
	// 010004803000000000000000000000001400000002001c0001000000000014009f011200010100000000000509000000010100000000000512000000
}

// Reading an msDS-GroupMSAMembership value as Windows wrote it, to see who
// may retrieve the gMSA's password.
func ExampleParseSecurityDescriptor() {
	var hexValue string
	data, _ := os.ReadFile("testdata/gmsa-membership-windows.txt")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "hex: "); ok {
			hexValue = v
		}
	}
	var raw []byte
	fmt.Sscanf(hexValue, "%x", &raw)

	sd, err := adtypes.ParseSecurityDescriptor(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sd.SDDL())
	for _, ace := range sd.DACL.ACEs {
		if ace.Type == adtypes.ACETypeAccessAllowed && ace.Mask&adtypes.RightReadProperty != 0 {
			fmt.Println("allowed:", ace.SID)
		}
	}
	// Output:
	// O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-3130019616-2776909439-2417379446-500)
	// allowed: S-1-5-21-3130019616-2776909439-2417379446-500
}

func ExampleGMSAMembership() {
	hosts, _ := adtypes.ParseSID("S-1-5-21-4119591868-3001629103-3445594911-1105")
	sd := adtypes.GMSAMembership([]adtypes.SID{hosts})
	fmt.Println(sd.SDDL())
	// Output:
	// O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-4119591868-3001629103-3445594911-1105)
}

func ExampleFileTime() {
	ft := adtypes.FileTime(133387453261266352)
	fmt.Println(ft.Time())
	// Output:
	// 2023-09-09 15:02:06.1266352 +0000 UTC
}
