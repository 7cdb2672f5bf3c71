package adtypes

import (
	"reflect"
	"strings"
	"testing"
)

// testDomain is the domain SID the SDDL cases resolve domain aliases in.
var testDomain = SID{Authority: 5, SubAuthorities: []uint32{21, 1, 2, 3}}

// sddlCases are SDDL strings ParseSDDL accepts (with testDomain), with the
// canonical form SDDL writes for them.
var sddlCases = []struct {
	name string
	in   string
	want string
}{
	{"the GKDI descriptor is canonical", "O:SYD:(A;;FRFW;;;S-1-5-9)", "O:SYD:(A;;FRFW;;;S-1-5-9)"},
	{"ED is read but written as S-1-5-9", "O:SYD:(A;;FRFW;;;ED)", "O:SYD:(A;;FRFW;;;S-1-5-9)"},
	{"the empty string is an empty descriptor", "", ""},
	{"an empty DACL is written D:", "O:SYD:", "O:SYD:"},
	{"fixed SIDs are written as their aliases", "O:S-1-5-32-544G:S-1-5-18D:(A;;GA;;;S-1-1-0)(A;;GR;;;S-1-5-11)(A;;GX;;;S-1-5-20)(A;;GW;;;S-1-5-19)(A;;RC;;;S-1-5-10)", "O:BAG:SYD:(A;;GA;;;WD)(A;;GR;;;AU)(A;;GX;;;NS)(A;;GW;;;LS)(A;;RC;;;PS)"},
	{"domain aliases resolve against the domain SID and are written in full", "O:DAG:DUD:(A;;RP;;;DC)(A;;RP;;;DD)(A;;GA;;;EA)(A;;GA;;;LA)(A;;RP;;;RS)", "O:S-1-5-21-1-2-3-512G:S-1-5-21-1-2-3-513D:(A;;RP;;;S-1-5-21-1-2-3-515)(A;;RP;;;S-1-5-21-1-2-3-516)(A;;GA;;;S-1-5-21-1-2-3-519)(A;;GA;;;S-1-5-21-1-2-3-500)(A;;RP;;;S-1-5-21-1-2-3-553)"},
	{"full control in hex is written as single-bit codes", "O:BAD:(A;;0xf01ff;;;S-1-5-21-1-2-3-1104)", "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-1104)"},
	{"rights codes are written in ascending bit order", "D:(A;;GRGWGXGAWOWDRCSDCRLODTWPRPSWLCDCCC;;;WD)", "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWOGAGXGWGR;;;WD)"},
	{"a file right is written as its code", "D:(A;;0x1f01ff;;;BA)", "D:(A;;FA;;;BA)"},
	{"file rights combine when single bits cannot spell the mask", "D:(A;;0x1200a9;;;BU)", "D:(A;;FRFX;;;BU)"},
	{"file rights combine with single-bit codes", "D:(A;;FRGA;;;BU)", "D:(A;;FRGA;;;BU)"},
	{"registry rights are read and written as single-bit codes", "D:(A;;KR;;;BU)(A;;KA;;;BA)", "D:(A;;CCSWRPRC;;;BU)(A;;CCDCLCSWRPWPSDRCWDWO;;;BA)"},
	{"a mask no codes spell stays hex", "D:(A;;0x100000;;;BU)(A;;0X2000000;;;BU)", "D:(A;;0x100000;;;BU)(A;;0x2000000;;;BU)"},
	{"a zero mask is written 0x0", "D:(D;;;;;AN)", "D:(D;;0x0;;;AN)"},
	{"DACL flags are written P, AR, AI", "D:AIARP(A;OICI;FA;;;BA)", "D:PARAI(A;OICI;FA;;;BA)"},
	{"ACE flags are written in ascending bit order", "D:(A;IDIOCIOINP;GA;;;CO)", "D:(A;OICINPIOID;GA;;;CO)"},
	{"hex ACE flags with codes are written as codes", "D:(A;0x03;GA;;;SY)", "D:(A;OICI;GA;;;SY)"},
	{"hex ACE flags without codes stay hex", "D:(A;0x20;GA;;;SY)", "D:(A;0x20;GA;;;SY)"},
	{"a SACL takes audit ACEs and its own flags", "S:PAI(AU;SAFA;RPWP;;;WD)(AL;SA;CR;;;AU)", "S:PAI(AU;SAFA;RPWP;;;WD)(AL;SA;CR;;;AU)"},
	{"object ACEs keep their GUIDs", "D:(OA;CI;RP;4C164200-20C0-11D0-A768-00AA006E0529;bf967aba-0de6-11d0-a285-00aa003049e2;PS)", "D:(OA;CI;RP;4c164200-20c0-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;PS)"},
	{"object ACEs may omit either GUID", "D:(OD;;WP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)(OU;FA;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(OL;;RP;;;WD)", "D:(OD;;WP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)(OU;FA;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(OL;;RP;;;WD)"},
	{"components may come in any order", "S:(AU;FA;GA;;;WD)D:(A;;GA;;;SY)G:BUO:BA", "O:BAG:BUD:(A;;GA;;;SY)S:(AU;FA;GA;;;WD)"},
	{"a lowercase s SID is accepted", "O:s-1-5-18", "O:SY"},
	{"a hex authority ending in D before D: is split correctly", "O:S-1-0x00000000000DD:", "O:S-1-13D:"},
	{"an alias ending in D before D: is split correctly", "O:DDD:(A;;RP;;;DD)", "O:S-1-5-21-1-2-3-516D:(A;;RP;;;S-1-5-21-1-2-3-516)"},
	{"the gMSA membership Samba creates parses", "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;LA)", "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-500)"},
}

func TestParseSDDL(t *testing.T) {
	t.Parallel()
	for _, tc := range sddlCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sd, err := ParseSDDL(tc.in, testDomain)
			if err != nil {
				t.Fatal(err)
			}
			if got := sd.SDDL(); got != tc.want {
				t.Errorf("ParseSDDL(%q).SDDL() =\n%s\nwant\n%s", tc.in, got, tc.want)
			}
			again, err := ParseSDDL(tc.want, SID{})
			if err != nil || !reflect.DeepEqual(again, sd) {
				t.Errorf("ParseSDDL of the canonical form = %+v, %v; want %+v", again, err, sd)
			}
			back, err := ParseSecurityDescriptor(sd.Bytes())
			if err != nil || !reflect.DeepEqual(back, sd) {
				t.Errorf("binary round trip = %+v, %v; want %+v", back, err, sd)
			}
		})
	}
}

func TestParseSDDLChoosesTheACLRevisionAsWindowsDoes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want uint8
	}{
		{"an ACL without object ACEs has revision 2", "D:(A;;GA;;;SY)", ACLRevision},
		{"an empty ACL has revision 2", "D:", ACLRevision},
		{"an ACL with an object ACE has revision 4", "D:(A;;GA;;;SY)(OA;;RP;;;AU)", ACLRevisionDS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sd, err := ParseSDDL(tc.in, SID{})
			if err != nil {
				t.Fatal(err)
			}
			if sd.DACL.Revision != tc.want {
				t.Errorf("revision = %d; want %d", sd.DACL.Revision, tc.want)
			}
		})
	}
}

func TestParseSDDLSetsControlBits(t *testing.T) {
	t.Parallel()
	sd, err := ParseSDDL("D:PAI(A;;GA;;;SY)S:ARAI", SID{})
	if err != nil {
		t.Fatal(err)
	}
	want := ControlSelfRelative | ControlDACLPresent | ControlSACLPresent | ControlDACLProtected | ControlDACLAutoInherited | ControlSACLAutoInheritReq | ControlSACLAutoInherited
	if sd.Control != want {
		t.Errorf("control = %#04x; want %#04x", sd.Control, want)
	}
}

// sddlErrorCases are SDDL strings ParseSDDL rejects, with what the error must
// say: the offending token, its offset and the reason.
var sddlErrorCases = []struct {
	name      string
	in        string
	useDomain bool
	want      []string
}{
	{"a domain alias without a domain SID is rejected, naming the alias", "O:DA", false, []string{`SDDL "DA": at offset 2: SID alias DA is relative to the domain SID, and no domain SID was given`}},
	{"a domain alias in an ACE without a domain SID is rejected", "D:(A;;GA;;;DU)", false, []string{`"DU": at offset 11`, "relative to the domain SID"}},
	{"a domain SID with 15 sub-authorities cannot take an alias", "O:DA", true, []string{`"DA"`, "already has 15 sub-authorities"}},
	{"an unknown alias is rejected", "O:XX", false, []string{`"XX": at offset 2: not a SID`}},
	{"a lowercase alias is rejected", "O:sy", false, []string{`"sy": at offset 2: not a SID`}},
	{"a bad numeric SID is rejected with its reason", "G:S-1-5-x", false, []string{`"S-1-5-x": at offset 2: sub-authority 1 "x" is not a decimal number`}},
	{"an owner without a SID is rejected", "O:D:", false, []string{`"O:": at offset 0: no SID follows O:`}},
	{"a repeated component is rejected", "O:SYO:BA", false, []string{`"O:": at offset 4: O: appears twice`}},
	{"text without a component is rejected", "SY", false, []string{`"SY": at offset 0: expected O:, G:, D: or S:`}},
	{"whitespace is rejected", "O:SY D:", false, []string{`"SY ": at offset 2`}},
	{"an unknown rights code is rejected with its offset", "D:(A;;FRXX;;;SY)", false, []string{`SDDL "XX": at offset 8: ACE 1 rights: not a rights code`}},
	{"an odd number of rights letters is rejected", "D:(A;;GA;;;SY)(A;;RPW;;;SY)", false, []string{`"W": at offset 20: ACE 2 rights`}},
	{"lowercase rights codes are rejected", "D:(A;;rp;;;SY)", false, []string{`"rp": at offset 6`}},
	{"decimal rights are rejected", "D:(A;;16;;;SY)", false, []string{`"16": at offset 6`}},
	{"hex rights over 32 bits are rejected", "D:(A;;0x100000000;;;SY)", false, []string{`"0x100000000": at offset 6: ACE 1 rights are not 0x and 1 to 8 hex digits`}},
	{"hex rights with no digits are rejected", "D:(A;;0x;;;SY)", false, []string{`"0x": at offset 6`}},
	{"hex rights with a non-hex digit are rejected", "D:(A;;0xfg;;;SY)", false, []string{`"0xfg"`}},
	{"an unknown ACE flag is rejected", "D:(A;OIXX;GA;;;SY)", false, []string{`"XX": at offset 7: ACE 1 flags: not an ACE flag`}},
	{"hex ACE flags over a byte are rejected", "D:(A;0x100;GA;;;SY)", false, []string{`"0x100": at offset 5: ACE 1 flags are not 0x and 1 or 2 hex digits`}},
	{"an unsupported ACE type is rejected", "D:(ML;;NW;;;LW)", false, []string{`"ML": at offset 3: ACE 1 type is not supported`}},
	{"a callback ACE is rejected", "D:(XA;;FX;;;S-1-1-0;(@User.Title==\"PM\"))", false, []string{`"XA": at offset 3: ACE 1 type is not supported`}},
	{"a seventh field is rejected", "D:(A;;FX;;;WD;x)", false, []string{`"A;;FX;;;WD;x": at offset 3: ACE 1 has 7 fields; conditional and resource-attribute ACEs are not supported`}},
	{"too few fields are rejected", "D:(A;;GA;SY)", false, []string{`"A;;GA;SY": at offset 3: ACE 1 has 4 fields; want 6`}},
	{"an ACE without a SID is rejected", "D:(A;;GA;;;)", false, []string{`"": at offset 11: ACE 1 has no SID`}},
	{"an unclosed ACE is rejected", "D:(A;;GA;;;SY", false, []string{`"(A;;GA;;;SY": at offset 2: ACE 1 is not closed with )`}},
	{"text between ACEs is rejected", "D:(A;;GA;;;SY)x(A;;GA;;;BA)", false, []string{`"x(A;;GA;;;BA)": at offset 14: expected ( to start ACE 2`}},
	{"an unknown ACL flag is rejected", "D:PX(A;;GA;;;SY)", false, []string{`at offset 3: not an ACL flag (P, AI, AR)`}},
	{"a NULL DACL is rejected", "D:NO_ACCESS_CONTROL", false, []string{`"NO_ACCESS_CONTROL": at offset 2: NULL ACLs are not supported`}},
	{"a GUID in a plain ACE is rejected", "D:(A;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;SY)", false, []string{`"bf967aba-0de6-11d0-a285-00aa003049e2": at offset 9: ACE 1: only object ACEs (OA, OD, OU, OL) take GUIDs`}},
	{"a bad GUID in an object ACE is rejected", "D:(OA;;RP;;bf967aba-0de6-11d0-a285-00aa003049eg;SY)", false, []string{`at offset 11: ACE 1: character 36 'g' is not a hexadecimal digit`}},
	{"a braced GUID in an object ACE is rejected", "D:(OA;;RP;{bf967aba-0de6-11d0-a285-00aa003049e2};;SY)", false, []string{`at offset 10: ACE 1: not a GUID`}},
	{"an ACL too large for its binary form is rejected", "D:" + strings.Repeat("(A;;GA;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15)", 900), false, []string{"makes the D: ACL larger than the 65535 bytes a binary ACL holds"}},
}

func TestParseSDDLRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range sddlErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			domain := SID{}
			if tc.useDomain {
				domain = SID{Authority: 5, SubAuthorities: make([]uint32, 15)}
			}
			sd, err := ParseSDDL(tc.in, domain)
			checkError(t, err, "SDDL", tc.want...)
			if sd != nil {
				t.Errorf("returned %+v with the error; want nil", sd)
			}
		})
	}
}
