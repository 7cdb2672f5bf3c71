package adtypes

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Security descriptor control bits, the SE_* flags of [MS-DTYP] 2.4.6.
const (
	ControlOwnerDefaulted     uint16 = 0x0001 // SE_OWNER_DEFAULTED
	ControlGroupDefaulted     uint16 = 0x0002 // SE_GROUP_DEFAULTED
	ControlDACLPresent        uint16 = 0x0004 // SE_DACL_PRESENT
	ControlDACLDefaulted      uint16 = 0x0008 // SE_DACL_DEFAULTED
	ControlSACLPresent        uint16 = 0x0010 // SE_SACL_PRESENT
	ControlSACLDefaulted      uint16 = 0x0020 // SE_SACL_DEFAULTED
	ControlDACLTrusted        uint16 = 0x0040 // SE_DACL_TRUSTED
	ControlServerSecurity     uint16 = 0x0080 // SE_SERVER_SECURITY
	ControlDACLAutoInheritReq uint16 = 0x0100 // SE_DACL_AUTO_INHERIT_REQ; SDDL "D:AR"
	ControlSACLAutoInheritReq uint16 = 0x0200 // SE_SACL_AUTO_INHERIT_REQ; SDDL "S:AR"
	ControlDACLAutoInherited  uint16 = 0x0400 // SE_DACL_AUTO_INHERITED; SDDL "D:AI"
	ControlSACLAutoInherited  uint16 = 0x0800 // SE_SACL_AUTO_INHERITED; SDDL "S:AI"
	ControlDACLProtected      uint16 = 0x1000 // SE_DACL_PROTECTED; SDDL "D:P"
	ControlSACLProtected      uint16 = 0x2000 // SE_SACL_PROTECTED; SDDL "S:P"
	ControlRMControlValid     uint16 = 0x4000 // SE_RM_CONTROL_VALID
	ControlSelfRelative       uint16 = 0x8000 // SE_SELF_RELATIVE
)

// ACL revisions, [MS-DTYP] 2.4.5.
const (
	ACLRevision   uint8 = 2 // ACL_REVISION: no object ACEs
	ACLRevisionDS uint8 = 4 // ACL_REVISION_DS: may hold object ACEs; what AD writes
)

// ACE types, [MS-DTYP] 2.4.4.1.
const (
	ACETypeAccessAllowed       uint8 = 0x00 // ACCESS_ALLOWED_ACE_TYPE, SDDL "A"
	ACETypeAccessDenied        uint8 = 0x01 // ACCESS_DENIED_ACE_TYPE, SDDL "D"
	ACETypeSystemAudit         uint8 = 0x02 // SYSTEM_AUDIT_ACE_TYPE, SDDL "AU"
	ACETypeSystemAlarm         uint8 = 0x03 // SYSTEM_ALARM_ACE_TYPE, SDDL "AL"
	ACETypeAccessAllowedObject uint8 = 0x05 // ACCESS_ALLOWED_OBJECT_ACE_TYPE, SDDL "OA"
	ACETypeAccessDeniedObject  uint8 = 0x06 // ACCESS_DENIED_OBJECT_ACE_TYPE, SDDL "OD"
	ACETypeSystemAuditObject   uint8 = 0x07 // SYSTEM_AUDIT_OBJECT_ACE_TYPE, SDDL "OU"
	ACETypeSystemAlarmObject   uint8 = 0x08 // SYSTEM_ALARM_OBJECT_ACE_TYPE, SDDL "OL"
)

// ACE flags, [MS-DTYP] 2.4.4.1.
const (
	ACEObjectInherit      uint8 = 0x01 // OBJECT_INHERIT_ACE, SDDL "OI"
	ACEContainerInherit   uint8 = 0x02 // CONTAINER_INHERIT_ACE, SDDL "CI"
	ACENoPropagateInherit uint8 = 0x04 // NO_PROPAGATE_INHERIT_ACE, SDDL "NP"
	ACEInheritOnly        uint8 = 0x08 // INHERIT_ONLY_ACE, SDDL "IO"
	ACEInherited          uint8 = 0x10 // INHERITED_ACE, SDDL "ID"
	ACESuccessfulAccess   uint8 = 0x40 // SUCCESSFUL_ACCESS_ACE_FLAG, SDDL "SA"
	ACEFailedAccess       uint8 = 0x80 // FAILED_ACCESS_ACE_FLAG, SDDL "FA"
)

// Access rights, [MS-DTYP] 2.4.3 (ACCESS_MASK) and [MS-ADTS] 5.1.3.2 (the
// directory-service rights).
const (
	RightCreateChild          uint32 = 0x00000001 // RIGHT_DS_CREATE_CHILD, SDDL "CC"
	RightDeleteChild          uint32 = 0x00000002 // RIGHT_DS_DELETE_CHILD, SDDL "DC"
	RightListChildren         uint32 = 0x00000004 // RIGHT_DS_LIST_CONTENTS, SDDL "LC"
	RightSelfWrite            uint32 = 0x00000008 // RIGHT_DS_WRITE_PROPERTY_EXTENDED, SDDL "SW"
	RightReadProperty         uint32 = 0x00000010 // RIGHT_DS_READ_PROPERTY, SDDL "RP"
	RightWriteProperty        uint32 = 0x00000020 // RIGHT_DS_WRITE_PROPERTY, SDDL "WP"
	RightDeleteTree           uint32 = 0x00000040 // RIGHT_DS_DELETE_TREE, SDDL "DT"
	RightListObject           uint32 = 0x00000080 // RIGHT_DS_LIST_OBJECT, SDDL "LO"
	RightControlAccess        uint32 = 0x00000100 // RIGHT_DS_CONTROL_ACCESS, SDDL "CR"
	RightDelete               uint32 = 0x00010000 // DELETE, SDDL "SD"
	RightReadControl          uint32 = 0x00020000 // READ_CONTROL, SDDL "RC"
	RightWriteDAC             uint32 = 0x00040000 // WRITE_DAC, SDDL "WD"
	RightWriteOwner           uint32 = 0x00080000 // WRITE_OWNER, SDDL "WO"
	RightSynchronize          uint32 = 0x00100000 // SYNCHRONIZE
	RightAccessSystemSecurity uint32 = 0x01000000 // ACCESS_SYSTEM_SECURITY
	RightGenericAll           uint32 = 0x10000000 // GENERIC_ALL, SDDL "GA"
	RightGenericExecute       uint32 = 0x20000000 // GENERIC_EXECUTE, SDDL "GX"
	RightGenericWrite         uint32 = 0x40000000 // GENERIC_WRITE, SDDL "GW"
	RightGenericRead          uint32 = 0x80000000 // GENERIC_READ, SDDL "GR"

	// RightsDSFullControl is every directory-service right plus DELETE,
	// READ_CONTROL, WRITE_DAC and WRITE_OWNER: "full control" of an AD
	// object, SDDL "CCDCLCSWRPWPDTLOCRSDRCWDWO". Windows and Samba grant it
	// in msDS-GroupMSAMembership (see [GMSAMembership]).
	RightsDSFullControl uint32 = 0x000f01ff
)

// SecurityDescriptor is a SECURITY_DESCRIPTOR, [MS-DTYP] 2.4.6, in the
// self-relative form AD stores in attributes of String(NT-Sec-Desc) syntax
// (msDS-GroupMSAMembership, nTSecurityDescriptor).
type SecurityDescriptor struct {
	// Control holds the SE_* bits (the Control* constants). On output
	// ControlSelfRelative is always set and ControlDACLPresent and
	// ControlSACLPresent follow whether DACL and SACL are nil; on input they
	// are normalized the same way, so a "present" NULL DACL reads as nil.
	Control uint16
	Owner   *SID // nil when the descriptor has no owner
	Group   *SID // nil when the descriptor has no primary group
	SACL    *ACL // system ACL (auditing); nil when absent
	DACL    *ACL // discretionary ACL; nil when absent, which grants everyone access
}

// ACL is an access control list, [MS-DTYP] 2.4.5.
type ACL struct {
	Revision uint8 // ACLRevision (2) or ACLRevisionDS (4)
	ACEs     []ACE
}

// ACE is an access control entry, [MS-DTYP] 2.4.4.
//
// Access-allowed and access-denied ACEs (types 0x00 and 0x01) are decoded into
// Mask and SID. Every other type — object ACEs, audit ACEs, callback ACEs — is
// kept as Raw, its body after the 4-byte ACE header, so that a descriptor
// round-trips through ParseSecurityDescriptor and Bytes unchanged; Mask and SID
// are unused then.
type ACE struct {
	Type  uint8  // an ACEType* constant
	Flags uint8  // ACE* flag bits: inheritance and audit flags
	Mask  uint32 // Right* bits; types 0x00 and 0x01 only
	SID   SID    // the trustee; types 0x00 and 0x01 only
	Raw   []byte // the body of any other type; its length must be a multiple of 4
}

const (
	sdHeaderLen   = 20
	aclHeaderLen  = 8
	aceHeaderLen  = 4
	maxBinarySize = 0xffff // ACL and ACE sizes are 16-bit
)

// hasMaskAndSID reports whether ACEs of type t are decoded into Mask and SID.
func hasMaskAndSID(t uint8) bool {
	return t == ACETypeAccessAllowed || t == ACETypeAccessDenied
}

// ParseSecurityDescriptor parses a self-relative security descriptor,
// [MS-DTYP] 2.4.6. It checks the revision (1), that SE_SELF_RELATIVE is set,
// that every offset lies inside b, that each ACL's revision is 2 or 4 and its
// size and ACE count agree, and that each ACE is at least as long as its type
// requires, a multiple of 4 bytes, and inside its ACL. It never panics, and
// returns nil with the error.
//
// Bytes the structure does not need are not kept: slack after the last ACE of
// an ACL, padding after the SID of an allowed or denied ACE, and the Sbz1
// byte. Bytes therefore reproduces b exactly when b is canonical — laid out as
// Bytes lays it out — and an equal descriptor otherwise.
func ParseSecurityDescriptor(b []byte) (*SecurityDescriptor, error) {
	bad := func(format string, args ...any) (*SecurityDescriptor, error) {
		return nil, newError("SecurityDescriptor", hexValue(b), format, args...)
	}
	if len(b) < sdHeaderLen {
		return bad("is %d bytes, shorter than the %d-byte header", len(b), sdHeaderLen)
	}
	if b[0] != 1 {
		return bad("revision %d is not 1", b[0])
	}
	control := binary.LittleEndian.Uint16(b[2:])
	if control&ControlSelfRelative == 0 {
		return bad("control 0x%04x lacks SE_SELF_RELATIVE (0x8000); only self-relative descriptors have a binary form", control)
	}
	offset := func(name string, at int) (int, error) {
		off := binary.LittleEndian.Uint32(b[at:])
		switch {
		case off == 0:
			return 0, nil
		case off < sdHeaderLen:
			return 0, newError("SecurityDescriptor", hexValue(b), "%s offset %d points into the %d-byte header", name, off, sdHeaderLen)
		case uint64(off) >= uint64(len(b)):
			return 0, newError("SecurityDescriptor", hexValue(b), "%s offset %d is beyond the %d-byte descriptor", name, off, len(b))
		}
		return int(off), nil
	}
	sd := &SecurityDescriptor{Control: control}
	for _, f := range []struct {
		name string
		at   int
		dst  **SID
	}{{"owner", 4, &sd.Owner}, {"group", 8, &sd.Group}} {
		off, err := offset(f.name, f.at)
		if err != nil {
			return nil, err
		}
		if off == 0 {
			continue
		}
		sid, _, err := ReadSID(b[off:])
		if err != nil {
			return bad("%s at offset %d: %s", f.name, off, err.(*Error).Reason)
		}
		*f.dst = &sid
	}
	for _, f := range []struct {
		name    string
		at      int
		present uint16
		dst     **ACL
	}{{"SACL", 12, ControlSACLPresent, &sd.SACL}, {"DACL", 16, ControlDACLPresent, &sd.DACL}} {
		if control&f.present == 0 {
			continue // the offset means nothing without the present bit
		}
		off, err := offset(f.name, f.at)
		if err != nil {
			return nil, err
		}
		if off == 0 {
			continue // a NULL ACL
		}
		acl, reason := parseACL(b[off:])
		if reason != "" {
			return bad("%s at offset %d: %s", f.name, off, reason)
		}
		*f.dst = acl
	}
	sd.Control = sd.normalizedControl()
	return sd, nil
}

// parseACL parses the ACL at the start of b; on failure it returns a reason.
func parseACL(b []byte) (*ACL, string) {
	if len(b) < aclHeaderLen {
		return nil, fmt.Sprintf("%d bytes left, fewer than the %d-byte ACL header", len(b), aclHeaderLen)
	}
	acl := &ACL{Revision: b[0]}
	if acl.Revision != ACLRevision && acl.Revision != ACLRevisionDS {
		return nil, fmt.Sprintf("ACL revision %d is neither 2 nor 4", acl.Revision)
	}
	size := int(binary.LittleEndian.Uint16(b[2:]))
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if size < aclHeaderLen {
		return nil, fmt.Sprintf("ACL size %d is smaller than its %d-byte header", size, aclHeaderLen)
	}
	if size > len(b) {
		return nil, fmt.Sprintf("ACL size %d runs past the end of the descriptor (%d bytes left)", size, len(b))
	}
	body := b[aclHeaderLen:size]
	if count > len(body)/aceHeaderLen {
		return nil, fmt.Sprintf("ACL claims %d ACEs, more than its %d bytes can hold", count, size)
	}
	if count > 0 {
		acl.ACEs = make([]ACE, 0, count)
	}
	p := 0
	for i := 1; i <= count; i++ {
		if len(body)-p < aceHeaderLen {
			return nil, fmt.Sprintf("ACE %d of %d starts past the ACL's %d bytes", i, count, size)
		}
		ace := ACE{Type: body[p], Flags: body[p+1]}
		aceSize := int(binary.LittleEndian.Uint16(body[p+2:]))
		switch {
		case aceSize < aceHeaderLen:
			return nil, fmt.Sprintf("ACE %d size %d is smaller than its %d-byte header", i, aceSize, aceHeaderLen)
		case aceSize%4 != 0:
			return nil, fmt.Sprintf("ACE %d size %d is not a multiple of 4", i, aceSize)
		case aceSize > len(body)-p:
			return nil, fmt.Sprintf("ACE %d size %d runs past the end of the ACL", i, aceSize)
		}
		aceBody := body[p+aceHeaderLen : p+aceSize]
		if hasMaskAndSID(ace.Type) {
			if len(aceBody) < 4+sidHeaderLen {
				return nil, fmt.Sprintf("ACE %d size %d is too small for an access mask and a SID", i, aceSize)
			}
			ace.Mask = binary.LittleEndian.Uint32(aceBody)
			sid, _, err := ReadSID(aceBody[4:])
			if err != nil {
				return nil, fmt.Sprintf("ACE %d SID: %s", i, err.(*Error).Reason)
			}
			ace.SID = sid
		} else {
			ace.Raw = append(make([]byte, 0, len(aceBody)), aceBody...)
		}
		acl.ACEs = append(acl.ACEs, ace)
		p += aceSize
	}
	return acl, ""
}

// normalizedControl returns sd.Control with SE_SELF_RELATIVE set and the
// present bits following the ACLs.
func (sd *SecurityDescriptor) normalizedControl() uint16 {
	c := sd.Control | ControlSelfRelative
	c &^= ControlDACLPresent | ControlSACLPresent
	if sd.DACL != nil {
		c |= ControlDACLPresent
	}
	if sd.SACL != nil {
		c |= ControlSACLPresent
	}
	return c
}

// Bytes returns sd in self-relative form, laid out as Windows lays it out:
// the 20-byte header, then the SACL, the DACL, the owner and the group.
// Descriptors from ParseSecurityDescriptor, ParseSDDL and GMSAMembership
// always encode; for one built by hand use [SecurityDescriptor.MarshalBinary],
// which reports what cannot be encoded instead of panicking.
func (sd *SecurityDescriptor) Bytes() []byte {
	b, err := sd.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// MarshalBinary implements encoding.BinaryMarshaler with the layout of
// [SecurityDescriptor.Bytes]. It fails when a field cannot be encoded: a SID
// with more than 15 sub-authorities, an ACL revision other than 2 or 4, a raw
// ACE body whose length is not a multiple of 4, or an ACE or ACL larger than
// 65535 bytes.
func (sd *SecurityDescriptor) MarshalBinary() ([]byte, error) {
	b := make([]byte, sdHeaderLen, sd.binaryLen())
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], sd.normalizedControl())
	var err error
	if sd.SACL != nil {
		binary.LittleEndian.PutUint32(b[12:], uint32(len(b)))
		if b, err = sd.SACL.appendBinary(b, "SACL"); err != nil {
			return nil, err
		}
	}
	if sd.DACL != nil {
		binary.LittleEndian.PutUint32(b[16:], uint32(len(b)))
		if b, err = sd.DACL.appendBinary(b, "DACL"); err != nil {
			return nil, err
		}
	}
	if sd.Owner != nil {
		if err := checkSID(*sd.Owner, "owner"); err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
		b = sd.Owner.appendBinary(b)
	}
	if sd.Group != nil {
		if err := checkSID(*sd.Group, "group"); err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
		b = sd.Group.appendBinary(b)
	}
	return b, nil
}

func (sd *SecurityDescriptor) binaryLen() int {
	n := sdHeaderLen
	for _, acl := range []*ACL{sd.SACL, sd.DACL} {
		if acl != nil {
			n += acl.binaryLen()
		}
	}
	for _, sid := range []*SID{sd.Owner, sd.Group} {
		if sid != nil {
			n += sid.binaryLen()
		}
	}
	return n
}

// checkSID reports a SID that has no binary form; name says where it is.
func checkSID(s SID, name string) error {
	if len(s.SubAuthorities) > maxSubAuthorities {
		return newError("SecurityDescriptor "+name, s.String(), "has %d sub-authorities; at most %d are allowed", len(s.SubAuthorities), maxSubAuthorities)
	}
	if s.Authority > maxAuthority {
		return newError("SecurityDescriptor "+name, s.String(), "authority 0x%x does not fit in 48 bits", s.Authority)
	}
	return nil
}

func (a *ACL) binaryLen() int {
	n := aclHeaderLen
	for i := range a.ACEs {
		n += a.ACEs[i].binaryLen()
	}
	return n
}

func (a *ACE) binaryLen() int {
	if hasMaskAndSID(a.Type) {
		return aceHeaderLen + 4 + a.SID.binaryLen()
	}
	return aceHeaderLen + len(a.Raw)
}

func (a *ACL) appendBinary(b []byte, name string) ([]byte, error) {
	if a.Revision != ACLRevision && a.Revision != ACLRevisionDS {
		return nil, newError("SecurityDescriptor "+name+" revision", strconv.Itoa(int(a.Revision)), "is neither 2 (ACL_REVISION) nor 4 (ACL_REVISION_DS)")
	}
	size := a.binaryLen()
	if size > maxBinarySize {
		return nil, newError("SecurityDescriptor "+name, fmt.Sprintf("%d ACEs", len(a.ACEs)), "make %d bytes; a binary ACL holds at most %d", size, maxBinarySize)
	}
	b = append(b, a.Revision, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(size))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(a.ACEs)))
	b = append(b, 0, 0)
	for i := range a.ACEs {
		ace := &a.ACEs[i]
		aceSize := ace.binaryLen()
		b = append(b, ace.Type, ace.Flags)
		b = binary.LittleEndian.AppendUint16(b, uint16(aceSize))
		if hasMaskAndSID(ace.Type) {
			if err := checkSID(ace.SID, fmt.Sprintf("%s ACE %d", name, i+1)); err != nil {
				return nil, err
			}
			b = binary.LittleEndian.AppendUint32(b, ace.Mask)
			b = ace.SID.appendBinary(b)
		} else {
			if len(ace.Raw)%4 != 0 {
				return nil, newError(fmt.Sprintf("SecurityDescriptor %s ACE %d raw body", name, i+1), hexValue(ace.Raw), "is %d bytes, not a multiple of 4", len(ace.Raw))
			}
			b = append(b, ace.Raw...)
		}
	}
	return b, nil
}
