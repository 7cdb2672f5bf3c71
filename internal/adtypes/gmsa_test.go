package adtypes

import (
	"bytes"
	"reflect"
	"testing"
)

func TestGMSAMembershipMatchesWhatWindowsWrites(t *testing.T) {
	t.Parallel()
	v := readVector(t, "gmsa-membership-windows.txt")
	allowed, err := ParseSID(v["allowed"])
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, v["hex"])

	sd := GMSAMembership([]SID{allowed})
	if got := sd.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("GMSAMembership(%s).Bytes() =\n%x\nwant\n%x", allowed, got, want)
	}
	if got := sd.SDDL(); got != v["sddl"] {
		t.Errorf("SDDL() = %q; want %q", got, v["sddl"])
	}
	parsed, err := ParseSecurityDescriptor(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, sd) {
		t.Errorf("the Windows value parses to\n%+v\nwant\n%+v", parsed, sd)
	}
}

func TestGMSAMembershipListsPrincipalsInOrder(t *testing.T) {
	t.Parallel()
	hosts, _ := ParseSID("S-1-5-21-1-2-3-1105")
	web01, _ := ParseSID("S-1-5-21-1-2-3-1104")
	allowed := []SID{hosts, web01, hosts}
	sd := GMSAMembership(allowed)
	const want = "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-1105)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-1104)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-1105)"
	if got := sd.SDDL(); got != want {
		t.Errorf("SDDL() =\n%s\nwant\n%s", got, want)
	}
	if sd.Control != 0x8004 || sd.Group != nil || sd.SACL != nil || sd.DACL.Revision != ACLRevisionDS {
		t.Errorf("control %#04x, group %v, SACL %v, revision %d; want 0x8004, none, none, 4", sd.Control, sd.Group, sd.SACL, sd.DACL.Revision)
	}
	for _, ace := range sd.DACL.ACEs {
		if ace.Mask&RightReadProperty == 0 {
			t.Errorf("ACE %v lacks the read-property right DCs check", ace)
		}
	}
	allowed[0].SubAuthorities[4] = 9999
	if got := sd.SDDL(); got != want {
		t.Errorf("changing the caller's SIDs changed the descriptor: %s", got)
	}
}

func TestGMSAMembershipOfNoPrincipalsLetsNoOneIn(t *testing.T) {
	t.Parallel()
	sd := GMSAMembership(nil)
	if got := sd.SDDL(); got != "O:BAD:" {
		t.Errorf("SDDL() = %q; want O:BAD:", got)
	}
	back, err := ParseSecurityDescriptor(sd.Bytes())
	if err != nil || !reflect.DeepEqual(back, sd) {
		t.Errorf("binary round trip = %+v, %v; want %+v", back, err, sd)
	}
}
