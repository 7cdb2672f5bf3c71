package adtypes

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func TestGMSASecurityDescriptorVector(t *testing.T) {
	t.Parallel()
	v := readVector(t, "gmsa-sd.txt")
	want := mustHex(t, v["hex"])
	if len(want) != 60 {
		t.Fatalf("vector is %d bytes; want 60", len(want))
	}

	fromSDDL, err := ParseSDDL(v["sddl"], SID{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fromSDDL.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("ParseSDDL(%q).Bytes() =\n%x\nwant\n%x", v["sddl"], got, want)
	}

	fromBytes, err := ParseSecurityDescriptor(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromBytes.SDDL(); got != v["sddl"] {
		t.Errorf("ParseSecurityDescriptor(%x).SDDL() = %q; want %q", want, got, v["sddl"])
	}
	if !reflect.DeepEqual(fromSDDL, fromBytes) {
		t.Errorf("SDDL and binary forms parse differently:\n%#v\n%#v", fromSDDL, fromBytes)
	}
}

// TestWindowsDescriptorsRoundTrip checks that descriptors Windows wrote parse,
// re-encode byte for byte (Windows lays them out as Bytes does), and survive
// SDDL.
func TestWindowsDescriptorsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gmsa-sd.txt", "gmsa-membership-windows.txt", "nt-security-descriptor-windows-user.txt"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := mustHex(t, readVector(t, name)["hex"])
			sd, err := ParseSecurityDescriptor(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sd.Bytes(); !bytes.Equal(got, in) {
				t.Errorf("Bytes() =\n%x\nwant\n%x", got, in)
			}
			text := sd.SDDL()
			fromText, err := ParseSDDL(text, SID{})
			if err != nil {
				t.Fatalf("ParseSDDL(SDDL()): %v\nSDDL: %s", err, text)
			}
			if got := fromText.SDDL(); got != text {
				t.Errorf("SDDL changed on a round trip:\n%s\n%s", text, got)
			}
			// SDDL does not carry the ACL revision; the ACEs must survive.
			if !reflect.DeepEqual(fromText.DACL.ACEs, sd.DACL.ACEs) {
				t.Errorf("DACL ACEs changed on an SDDL round trip")
			}
		})
	}
}

func TestWindowsUserDescriptorDecodes(t *testing.T) {
	t.Parallel()
	sd, err := ParseSecurityDescriptor(mustHex(t, readVector(t, "nt-security-descriptor-windows-user.txt")["hex"]))
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.Owner.String(); got != "S-1-5-21-3130019616-2776909439-2417379446-512" {
		t.Errorf("owner = %s; want Domain Admins", got)
	}
	if sd.Group != nil || sd.SACL != nil {
		t.Errorf("group = %v, SACL = %v; want neither", sd.Group, sd.SACL)
	}
	if sd.DACL.Revision != ACLRevisionDS || len(sd.DACL.ACEs) != 39 {
		t.Errorf("DACL revision %d with %d ACEs; want 4 with 39", sd.DACL.Revision, len(sd.DACL.ACEs))
	}
	text := sd.SDDL()
	for _, want := range []string{
		"O:S-1-5-21-3130019616-2776909439-2417379446-512D:AI(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;S-1-5-21-3130019616-2776909439-2417379446-553)",
		"(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)", // User-Change-Password, for everyone
		"(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-3130019616-2776909439-2417379446-512)",
		"(OA;CIIOID;LCRPLORC;;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)",
		"(A;CIID;CCLCSWRPWPLOCRSDRCWDWO;;;BA)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("SDDL lacks %s:\n%s", want, text)
		}
	}
}

// validSDBytes returns the GKDI descriptor, O:SYD:(A;;FRFW;;;S-1-5-9): the
// header (0-19), the DACL (20-47, its ACE at 28) and the owner (48-59).
func validSDBytes() []byte {
	return []byte{
		0x01, 0x00, 0x04, 0x80, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0,
		0x02, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x14, 0x00, 0x9f, 0x01, 0x12, 0x00, 0x01, 0x01, 0, 0, 0, 0, 0, 5, 9, 0, 0, 0,
		0x01, 0x01, 0, 0, 0, 0, 0, 5, 0x12, 0, 0, 0,
	}
}

var sdErrorCases = []struct {
	name   string
	mutate func([]byte) []byte
	want   string
}{
	{"a descriptor shorter than its header is rejected", func(b []byte) []byte { return b[:19] }, "is 19 bytes, shorter than the 20-byte header"},
	{"revision 2 is rejected", func(b []byte) []byte { b[0] = 2; return b }, "revision 2 is not 1"},
	{"an absolute descriptor is rejected", func(b []byte) []byte { b[3] = 0; return b }, "control 0x0004 lacks SE_SELF_RELATIVE"},
	{"an owner offset into the header is rejected", func(b []byte) []byte { b[4] = 4; return b }, "owner offset 4 points into the 20-byte header"},
	{"an owner offset past the end is rejected", func(b []byte) []byte { b[4] = 60; return b }, "owner offset 60 is beyond the 60-byte descriptor"},
	{"a huge group offset is rejected", func(b []byte) []byte { copy(b[8:], []byte{0xff, 0xff, 0xff, 0xff}); return b }, "group offset 4294967295 is beyond"},
	{"a truncated owner is rejected", func(b []byte) []byte { b[4] = 56; return b }, "owner at offset 56: is 4 bytes; a SID needs at least 8"},
	{"an owner with a bad revision is rejected", func(b []byte) []byte { b[48] = 3; return b }, "owner at offset 48: revision 3 is not 1"},
	{"a DACL offset past the end is rejected", func(b []byte) []byte { b[16] = 100; return b }, "DACL offset 100 is beyond"},
	{"a DACL too close to the end for its header is rejected", func(b []byte) []byte { b[16] = 56; return b }, "DACL at offset 56: 4 bytes left, fewer than the 8-byte ACL header"},
	{"ACL revision 3 is rejected", func(b []byte) []byte { b[20] = 3; return b }, "DACL at offset 20: ACL revision 3 is neither 2 nor 4"},
	{"an ACL size below its header is rejected", func(b []byte) []byte { b[22] = 4; return b }, "ACL size 4 is smaller than its 8-byte header"},
	{"an ACL size past the end is rejected", func(b []byte) []byte { b[22] = 0xff; return b }, "ACL size 255 runs past the end of the descriptor (40 bytes left)"},
	{"an ACE count the ACL cannot hold is rejected", func(b []byte) []byte { b[24] = 10; return b }, "ACL claims 10 ACEs, more than its 28 bytes can hold"},
	{"an ACE count one too many is rejected", func(b []byte) []byte { b[24] = 2; return b }, "ACE 2 of 2 starts past the ACL's 28 bytes"},
	{"an ACE size below its header is rejected", func(b []byte) []byte { b[30] = 0; return b }, "ACE 1 size 0 is smaller than its 4-byte header"},
	{"an ACE size not a multiple of 4 is rejected", func(b []byte) []byte { b[30] = 0x13; return b }, "ACE 1 size 19 is not a multiple of 4"},
	{"an ACE size past its ACL is rejected", func(b []byte) []byte { b[30] = 0x18; return b }, "ACE 1 size 24 runs past the end of the ACL"},
	{"an allowed ACE too small for a SID is rejected", func(b []byte) []byte { b[30] = 8; return b }, "ACE 1 size 8 is too small for an access mask and a SID"},
	{"an ACE SID with a bad revision is rejected", func(b []byte) []byte { b[36] = 2; return b }, "ACE 1 SID: revision 2 is not 1"},
	{"an ACE SID longer than its ACE is rejected", func(b []byte) []byte { b[37] = 2; return b }, "ACE 1 SID: is 12 bytes; 2 sub-authorities need 16"},
}

func TestParseSecurityDescriptorRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range sdErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.mutate(validSDBytes())
			sd, err := ParseSecurityDescriptor(in)
			checkError(t, err, "SecurityDescriptor", hexValue(in), tc.want)
			if sd != nil {
				t.Errorf("returned %+v with the error; want nil", sd)
			}
		})
	}
}

func TestSecurityDescriptorErrorsTruncateLongValues(t *testing.T) {
	t.Parallel()
	in := validSDBytes()
	in[0] = 2
	_, err := ParseSecurityDescriptor(in)
	// 60 bytes in, 32 shown.
	checkError(t, err, "SecurityDescriptor", `"`+hex.EncodeToString(in[:32])+`…"`)
	if strings.Contains(err.Error(), hex.EncodeToString(in[:33])) {
		t.Errorf("error shows more than 32 bytes: %v", err)
	}
}

func TestParseSecurityDescriptorNormalizes(t *testing.T) {
	t.Parallel()
	canonical := validSDBytes()
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
		check  func(*testing.T, *SecurityDescriptor)
	}{
		{
			name:   "a present but NULL DACL reads as no DACL",
			mutate: func(b []byte) []byte { copy(b[16:], []byte{0, 0, 0, 0}); return b },
			check: func(t *testing.T, sd *SecurityDescriptor) {
				if sd.DACL != nil || sd.Control != ControlSelfRelative {
					t.Errorf("DACL = %v, control = %#04x; want nil, 0x8000", sd.DACL, sd.Control)
				}
			},
		},
		{
			name:   "a DACL offset without the present bit is ignored",
			mutate: func(b []byte) []byte { b[2] = 0; return b },
			check: func(t *testing.T, sd *SecurityDescriptor) {
				if sd.DACL != nil || sd.Owner == nil {
					t.Errorf("DACL = %v, owner = %v; want nil and SY", sd.DACL, sd.Owner)
				}
			},
		},
		{
			name: "slack after the last ACE and padding after an ACE's SID are dropped",
			mutate: func(b []byte) []byte {
				// Grow the ACE by 4 bytes of padding and the ACL by 8 more
				// of slack, moving the owner along.
				out := append([]byte{}, b[:48]...)
				out = append(out, 0xaa, 0xaa, 0xaa, 0xaa) // ACE padding
				out = append(out, make([]byte, 8)...)     // ACL slack
				out = append(out, b[48:]...)
				binary.LittleEndian.PutUint16(out[22:], 28+12)
				binary.LittleEndian.PutUint16(out[30:], 20+4)
				out[4] = 48 + 12
				return out
			},
			check: func(t *testing.T, sd *SecurityDescriptor) {
				if got := sd.Bytes(); !bytes.Equal(got, canonical) {
					t.Errorf("Bytes() = %x; want the canonical %x", got, canonical)
				}
			},
		},
		{
			name:   "the Sbz1 byte is dropped",
			mutate: func(b []byte) []byte { b[1] = 0x55; return b },
			check: func(t *testing.T, sd *SecurityDescriptor) {
				if got := sd.Bytes(); !bytes.Equal(got, canonical) {
					t.Errorf("Bytes() = %x; want the canonical %x", got, canonical)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sd, err := ParseSecurityDescriptor(tc.mutate(validSDBytes()))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, sd)
			again, err := ParseSecurityDescriptor(sd.Bytes())
			if err != nil || !reflect.DeepEqual(again, sd) {
				t.Errorf("re-parse of Bytes() = %+v, %v; want %+v", again, err, sd)
			}
		})
	}
}

// rawACEDescriptor has ACEs of types this package keeps raw: an audit ACE
// and a callback ACE, the latter with no SDDL form here.
func rawACEDescriptor() *SecurityDescriptor {
	sy := SID{Authority: 5, SubAuthorities: []uint32{18}}
	return &SecurityDescriptor{
		Control: ControlSelfRelative | ControlSACLProtected | ControlOwnerDefaulted,
		Group:   &sy,
		SACL: &ACL{Revision: ACLRevision, ACEs: []ACE{
			{Type: ACETypeSystemAudit, Flags: ACEFailedAccess, Raw: append([]byte{0x10, 0, 0, 0}, sy.Bytes()...)},
		}},
		DACL: &ACL{Revision: ACLRevision, ACEs: []ACE{
			{Type: 0x09, Flags: ACEObjectInherit, Raw: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
			{Type: ACETypeAccessDenied, Flags: 0x20, Mask: RightWriteProperty, SID: sy},
		}},
	}
}

func TestRawACEsRoundTrip(t *testing.T) {
	t.Parallel()
	sd := rawACEDescriptor()
	b := sd.Bytes()
	back, err := ParseSecurityDescriptor(b)
	if err != nil {
		t.Fatal(err)
	}
	sd.Control |= ControlDACLPresent | ControlSACLPresent
	if !reflect.DeepEqual(back, sd) {
		t.Errorf("ParseSecurityDescriptor(Bytes()) =\n%+v\nwant\n%+v", back, sd)
	}
	if again := back.Bytes(); !bytes.Equal(again, b) {
		t.Errorf("Bytes() of the re-parsed descriptor = %x; want %x", again, b)
	}
	const wantSDDL = "G:SYD:(0x09;OI;0102030405060708)(D;0x20;WP;;;SY)S:P(AU;FA;RP;;;SY)"
	if got := back.SDDL(); got != wantSDDL {
		t.Errorf("SDDL() = %q; want %q", got, wantSDDL)
	}
	_, err = ParseSDDL(wantSDDL, SID{})
	checkError(t, err, "SDDL", `"0x09"`, "ACE 1 type has no SDDL form")
}

func TestBytesDerivesPresentBitsFromTheACLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sd   SecurityDescriptor
		want uint16
	}{
		{"an empty descriptor is just self-relative", SecurityDescriptor{}, 0x8000},
		{"a DACL sets SE_DACL_PRESENT", SecurityDescriptor{DACL: &ACL{Revision: ACLRevision}}, 0x8004},
		{"a SACL sets SE_SACL_PRESENT", SecurityDescriptor{SACL: &ACL{Revision: ACLRevision}}, 0x8010},
		{"present bits without ACLs are cleared", SecurityDescriptor{Control: ControlDACLPresent | ControlSACLPresent}, 0x8000},
		{"other control bits are kept", SecurityDescriptor{Control: ControlDACLProtected | ControlDACLAutoInherited}, 0x9400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := tc.sd.Bytes()
			if got := binary.LittleEndian.Uint16(b[2:]); got != tc.want {
				t.Errorf("control = %#04x; want %#04x", got, tc.want)
			}
		})
	}
}

func TestMarshalBinaryRejects(t *testing.T) {
	t.Parallel()
	sixteen := SID{Authority: 5, SubAuthorities: make([]uint32, 16)}
	for _, tc := range []struct {
		name   string
		mutate func(*SecurityDescriptor)
		field  string
		want   string
	}{
		{"an owner with 16 sub-authorities is rejected", func(sd *SecurityDescriptor) { sd.Owner = &sixteen }, "SecurityDescriptor owner", "has 16 sub-authorities"},
		{"a group authority above 48 bits is rejected", func(sd *SecurityDescriptor) { sd.Group = &SID{Authority: 1 << 48} }, "SecurityDescriptor group", "does not fit in 48 bits"},
		{"an ACE SID with 16 sub-authorities is rejected", func(sd *SecurityDescriptor) { sd.DACL.ACEs[0].SID = sixteen }, "SecurityDescriptor DACL ACE 1", "has 16 sub-authorities"},
		{"ACL revision 0 is rejected", func(sd *SecurityDescriptor) { sd.DACL.Revision = 0 }, "SecurityDescriptor DACL revision", `"0": is neither 2`},
		{"a raw body not a multiple of 4 is rejected", func(sd *SecurityDescriptor) {
			sd.DACL.ACEs[0] = ACE{Type: ACETypeAccessAllowedObject, Raw: []byte{1, 2, 3}}
		}, "SecurityDescriptor DACL ACE 1 raw body", `"010203": is 3 bytes`},
		{"an ACL over 65535 bytes is rejected", func(sd *SecurityDescriptor) {
			sd.SACL = &ACL{Revision: ACLRevision, ACEs: make([]ACE, 5000)}
		}, "SecurityDescriptor SACL", `"5000 ACEs": make 80008 bytes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sd := GMSAMembership([]SID{{Authority: 5, SubAuthorities: []uint32{11}}})
			tc.mutate(sd)
			b, err := sd.MarshalBinary()
			checkError(t, err, tc.field, tc.want)
			if b != nil {
				t.Errorf("returned %x with the error", b)
			}
			defer func() {
				if recover() == nil {
					t.Error("Bytes() did not panic")
				}
			}()
			sd.Bytes()
		})
	}
}
