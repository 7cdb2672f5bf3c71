package pac

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// LogonInfo is KERB_VALIDATION_INFO, [MS-PAC] 2.5: who the client is and
// which groups it belongs to, as the domain controller that authenticated
// it saw them. It travels NDR-encoded in a type serialization envelope
// ([MS-RPCE] 2.2.6) in the PAC_LOGON_INFO buffer (type 1).
//
// Slices mirror NDR pointers: a nil GroupIDs, ExtraSIDs or ResourceGroupIDs
// is a NULL pointer, a non-nil empty one a pointer to an empty array. A zero
// LogonDomainID, ResourceGroupDomainID or ExtraSIDs[i].SID is a NULL
// pointer. Strings are RPC_UNICODE_STRINGs ([MS-DTYP] 2.3.10); a decoded
// value also remembers their MaximumLength and the order of its NDR
// referent IDs, so that it re-encodes to the bytes it was decoded from.
type LogonInfo struct {
	LogonTime          adtypes.FileTime // the logon (authentication) time
	LogoffTime         adtypes.FileTime // 0x7fffffffffffffff: never
	KickOffTime        adtypes.FileTime // 0x7fffffffffffffff: never
	PasswordLastSet    adtypes.FileTime
	PasswordCanChange  adtypes.FileTime
	PasswordMustChange adtypes.FileTime // 0x7fffffffffffffff: never

	EffectiveName      string // the sAMAccountName
	FullName           string // displayName
	LogonScript        string
	ProfilePath        string
	HomeDirectory      string
	HomeDirectoryDrive string

	LogonCount       uint16
	BadPasswordCount uint16
	UserID           uint32            // the account's RID in LogonDomainID
	PrimaryGroupID   uint32            // the primary group's RID, usually 513 (Domain Users)
	GroupIDs         []GroupMembership // domain groups, RIDs in LogonDomainID
	UserFlags        uint32            // UserFlag* bits
	UserSessionKey   [16]byte          // zero in Kerberos PACs

	LogonServer     string      // the NetBIOS name of the DC
	LogonDomainName string      // the NetBIOS name of the domain
	LogonDomainID   adtypes.SID // the domain SID

	UserAccountControl   uint32 // USER_ACCOUNT bits of [MS-SAMR] 2.2.1.12
	SubAuthStatus        uint32
	LastSuccessfulILogon adtypes.FileTime
	LastFailedILogon     adtypes.FileTime
	FailedILogonCount    uint32

	ExtraSIDs             []SIDAndAttributes // SIDs outside the domain (UserFlagExtraSIDs)
	ResourceGroupDomainID adtypes.SID        // the resource domain's SID (UserFlagResourceGroups)
	ResourceGroupIDs      []GroupMembership  // RIDs in ResourceGroupDomainID

	forms     [numStrings]stringForm
	referents referentOrder
}

// GroupMembership is GROUP_MEMBERSHIP, [MS-PAC] 2.2.2: a group's RID in a
// domain the enclosing structure names, and its SE_GROUP_* attributes.
type GroupMembership struct {
	RelativeID uint32
	Attributes uint32
}

// SIDAndAttributes is KERB_SID_AND_ATTRIBUTES, [MS-PAC] 2.2.1.
type SIDAndAttributes struct {
	SID        adtypes.SID
	Attributes uint32
}

// SE_GROUP_* attributes of a group membership, [MS-PAC] 2.2.1. Windows
// writes 7 for domain groups and 0x20000007 for domain-local groups and
// SIDs from other domains.
const (
	GroupMandatory        uint32 = 0x00000001
	GroupEnabledByDefault uint32 = 0x00000002
	GroupEnabled          uint32 = 0x00000004
	GroupOwner            uint32 = 0x00000008
	GroupResource         uint32 = 0x20000000
)

// UserFlags bits, [MS-PAC] 2.5.
const (
	UserFlagGuest          uint32 = 0x00000001 // authenticated as guest
	UserFlagNoEncryption   uint32 = 0x00000002 // no session key
	UserFlagExtraSIDs      uint32 = 0x00000020 // ExtraSIDs is populated
	UserFlagResourceGroups uint32 = 0x00000200 // ResourceGroupDomainID and ResourceGroupIDs are populated
)

// UserSID returns the client's SID: LogonDomainID with UserID appended.
func (li *LogonInfo) UserSID() adtypes.SID { return li.LogonDomainID.WithRID(li.UserID) }

// GroupSIDs returns the SIDs of every group the PAC says the client belongs
// to, in PAC order: the domain groups (GroupIDs in LogonDomainID), ExtraSIDs,
// then the resource groups (ResourceGroupIDs in ResourceGroupDomainID).
// Like Windows it reads the arrays whatever UserFlags says; resource groups
// are skipped when ResourceGroupDomainID is zero, as they have no domain.
// Duplicates are kept. The primary group appears only if GroupIDs lists it,
// which Windows and Samba always do.
func (li *LogonInfo) GroupSIDs() []adtypes.SID {
	sids := make([]adtypes.SID, 0, len(li.GroupIDs)+len(li.ExtraSIDs)+len(li.ResourceGroupIDs))
	for _, g := range li.GroupIDs {
		sids = append(sids, li.LogonDomainID.WithRID(g.RelativeID))
	}
	for _, e := range li.ExtraSIDs {
		sids = append(sids, adtypes.SID{Authority: e.SID.Authority, SubAuthorities: slices.Clone(e.SID.SubAuthorities)})
	}
	if !li.ResourceGroupDomainID.IsZero() {
		for _, g := range li.ResourceGroupIDs {
			sids = append(sids, li.ResourceGroupDomainID.WithRID(g.RelativeID))
		}
	}
	return sids
}

// The eight RPC_UNICODE_STRING fields, in wire order.
const (
	strEffectiveName = iota
	strFullName
	strLogonScript
	strProfilePath
	strHomeDirectory
	strHomeDirectoryDrive
	strLogonServer
	strLogonDomainName
	numStrings
)

var stringNames = [numStrings]string{"EffectiveName", "FullName", "LogonScript", "ProfilePath", "HomeDirectory", "HomeDirectoryDrive", "LogonServer", "LogonDomainName"}

// defaultSlack is MaximumLength minus Length as Windows and Samba write
// each string: room for a terminating NUL in the two names the DC fills
// from its own buffers, none elsewhere.
var defaultSlack = [numStrings]int{0, 0, 0, 0, 0, 0, 2, 2}

// stringForm is what an RPC_UNICODE_STRING carries beyond its value; the
// zero value is what Marshal writes for a LogonInfo built by hand.
type stringForm struct {
	slack int32 // MaximumLength - Length - defaultSlack
	null  bool  // the Buffer pointer was NULL (the string is empty)
}

func (li *LogonInfo) stringFields() [numStrings]*string {
	return [numStrings]*string{&li.EffectiveName, &li.FullName, &li.LogonScript, &li.ProfilePath, &li.HomeDirectory, &li.HomeDirectoryDrive, &li.LogonServer, &li.LogonDomainName}
}

// The embedded pointers of KERB_VALIDATION_INFO, in wire order.
const (
	ptrEffectiveName = iota
	ptrFullName
	ptrLogonScript
	ptrProfilePath
	ptrHomeDirectory
	ptrHomeDirectoryDrive
	ptrGroupIDs
	ptrLogonServer
	ptrLogonDomainName
	ptrLogonDomainID
	ptrExtraSIDs
	ptrResourceGroupDomainID
	ptrResourceGroupIDs
	numPointers
)

// referentOrder says how a non-NULL unique pointer's referent ID
// (0x00020000, then +4 per pointer) was chosen. The orders differ only when
// ExtraSids and a resource group pointer are both present: Windows numbers
// the SID pointers inside the ExtraSids array right after the ExtraSids
// pointer (before ResourceGroupDomainSid), Samba numbers them after every
// pointer of the structure itself, in the order the bytes go out. (Samba's
// krb5pac.idl notes the difference on PAC_LOGON_INFO.)
type referentOrder uint8

const (
	windowsOrder referentOrder = iota
	sambaOrder
)

// topReferent is the referent ID of the top-level pointer to the
// structure, the first one both orders hand out.
const topReferent = 0x00020000

// referents numbers the present pointers in order o: the structure's own
// pointers and, in elems, the Sid pointers of the ExtraSids elements.
func referents(o referentOrder, present [numPointers]bool, elems []bool) (ids [numPointers]uint32, elemIDs []uint32) {
	next := uint32(topReferent + 4)
	elemIDs = make([]uint32, len(elems))
	numberElems := func() {
		for i, p := range elems {
			if p {
				elemIDs[i] = next
				next += 4
			}
		}
	}
	for i, p := range present {
		if p {
			ids[i] = next
			next += 4
		}
		if i == ptrExtraSIDs && o == windowsOrder {
			numberElems()
		}
	}
	if o == sambaOrder {
		numberElems()
	}
	return ids, elemIDs
}

// unicodeString is an RPC_UNICODE_STRING's fixed part.
type unicodeString struct {
	length, max uint16
	ptr         uint32
}

// ParseLogonInfo decodes a PAC_LOGON_INFO buffer: a type serialization
// envelope around a unique pointer to a KERB_VALIDATION_INFO. Counts and
// lengths are checked against each other and against the bytes present;
// nothing partial is returned on error.
func ParseLogonInfo(b []byte) (*LogonInfo, error) {
	li, err := parseLogonInfo(b)
	if err != nil {
		return nil, err
	}
	return li, nil
}

func parseLogonInfo(b []byte) (*LogonInfo, *Error) {
	const name = "KERB_VALIDATION_INFO"
	body, err := parseSerialization(b, name)
	if err != nil {
		return nil, err
	}
	r := &reader{b: body, prefix: name}
	li := &LogonInfo{}
	top := r.u32("top-level pointer")
	if r.err == nil && top == 0 {
		return nil, malformed(name, "the top-level pointer is NULL")
	}
	filetime := func(field string) adtypes.FileTime {
		lo := r.u32(field)
		hi := r.u32(field)
		return adtypes.FileTime(uint64(hi)<<32 | uint64(lo))
	}
	ustr := func(field string) unicodeString {
		return unicodeString{length: r.u16(field + ".Length"), max: r.u16(field + ".MaximumLength"), ptr: r.u32(field + ".Buffer")}
	}

	var strs [numStrings]unicodeString
	var ptrs [numPointers]uint32
	li.LogonTime = filetime("LogonTime")
	li.LogoffTime = filetime("LogoffTime")
	li.KickOffTime = filetime("KickOffTime")
	li.PasswordLastSet = filetime("PasswordLastSet")
	li.PasswordCanChange = filetime("PasswordCanChange")
	li.PasswordMustChange = filetime("PasswordMustChange")
	for i := strEffectiveName; i <= strHomeDirectoryDrive; i++ {
		strs[i] = ustr(stringNames[i])
	}
	li.LogonCount = r.u16("LogonCount")
	li.BadPasswordCount = r.u16("BadPasswordCount")
	li.UserID = r.u32("UserId")
	li.PrimaryGroupID = r.u32("PrimaryGroupId")
	groupCount := r.u32("GroupCount")
	ptrs[ptrGroupIDs] = r.u32("GroupIds")
	li.UserFlags = r.u32("UserFlags")
	if k := r.bytes("UserSessionKey", 16); k != nil {
		copy(li.UserSessionKey[:], k)
	}
	strs[strLogonServer] = ustr("LogonServer")
	strs[strLogonDomainName] = ustr("LogonDomainName")
	ptrs[ptrLogonDomainID] = r.u32("LogonDomainId")
	r.u32("Reserved1")
	r.u32("Reserved1")
	li.UserAccountControl = r.u32("UserAccountControl")
	li.SubAuthStatus = r.u32("SubAuthStatus")
	li.LastSuccessfulILogon = filetime("LastSuccessfulILogon")
	li.LastFailedILogon = filetime("LastFailedILogon")
	li.FailedILogonCount = r.u32("FailedILogonCount")
	r.u32("Reserved3")
	sidCount := r.u32("SidCount")
	ptrs[ptrExtraSIDs] = r.u32("ExtraSids")
	ptrs[ptrResourceGroupDomainID] = r.u32("ResourceGroupDomainSid")
	resourceCount := r.u32("ResourceGroupCount")
	ptrs[ptrResourceGroupIDs] = r.u32("ResourceGroupIds")
	if r.err != nil {
		return nil, r.err
	}
	ptrs[ptrEffectiveName] = strs[strEffectiveName].ptr
	ptrs[ptrFullName] = strs[strFullName].ptr
	ptrs[ptrLogonScript] = strs[strLogonScript].ptr
	ptrs[ptrProfilePath] = strs[strProfilePath].ptr
	ptrs[ptrHomeDirectory] = strs[strHomeDirectory].ptr
	ptrs[ptrHomeDirectoryDrive] = strs[strHomeDirectoryDrive].ptr
	ptrs[ptrLogonServer] = strs[strLogonServer].ptr
	ptrs[ptrLogonDomainName] = strs[strLogonDomainName].ptr

	// Deferred referents, in the order of the pointers above ([C706]
	// 14.3.12.3); the SIDs the ExtraSids elements point to follow that
	// array directly.
	fields := li.stringFields()
	deferString := func(i int) {
		s := strs[i]
		field := stringNames[i]
		switch {
		case s.length%2 != 0 || s.max%2 != 0:
			r.fail(field, "Length %d and MaximumLength %d must be even (UTF-16)", s.length, s.max)
		case s.length > s.max:
			r.fail(field, "Length %d exceeds MaximumLength %d", s.length, s.max)
		case s.ptr == 0 && s.max != 0:
			r.fail(field, "Length %d and MaximumLength %d with a NULL Buffer", s.length, s.max)
		case s.ptr == 0:
			li.forms[i].null = true
		default:
			maxCount := r.u32(field + ".Buffer MaximumCount")
			offset := r.u32(field + ".Buffer Offset")
			actual := r.u32(field + ".Buffer ActualCount")
			if r.err != nil {
				return
			}
			if maxCount != uint32(s.max/2) || offset != 0 || actual != uint32(s.length/2) {
				r.fail(field, "conformant varying array (%d, %d, %d) does not match Length %d and MaximumLength %d", maxCount, offset, actual, s.length, s.max)
				return
			}
			if u := r.bytes(field+".Buffer", uint64(s.length)); u != nil {
				*fields[i] = decodeUTF16(u)
			}
			li.forms[i].slack = int32(s.max) - int32(s.length) - int32(defaultSlack[i])
		}
	}
	deferGroups := func(field string, count, ptr uint32) []GroupMembership {
		if ptr == 0 {
			if count != 0 {
				r.fail(field, "the count is %d but the pointer is NULL", count)
			}
			return nil
		}
		if n := r.u32(field + " MaximumCount"); r.err == nil && n != count {
			r.fail(field, "conformant array of %d elements, but the count is %d", n, count)
		}
		raw := r.bytes(field, uint64(count)*8)
		if raw == nil {
			return nil
		}
		g := make([]GroupMembership, count)
		for i := range g {
			g[i] = GroupMembership{RelativeID: binary.LittleEndian.Uint32(raw[8*i:]), Attributes: binary.LittleEndian.Uint32(raw[8*i+4:])}
		}
		return g
	}
	deferSID := func(field string, ptr uint32) adtypes.SID {
		if ptr == 0 {
			return adtypes.SID{}
		}
		return r.sid(field)
	}

	for i := strEffectiveName; i <= strHomeDirectoryDrive; i++ {
		deferString(i)
	}
	li.GroupIDs = deferGroups("GroupIds", groupCount, ptrs[ptrGroupIDs])
	deferString(strLogonServer)
	deferString(strLogonDomainName)
	li.LogonDomainID = deferSID("LogonDomainId", ptrs[ptrLogonDomainID])
	var elemPtrs []uint32
	if ptrs[ptrExtraSIDs] == 0 {
		if sidCount != 0 {
			r.fail("ExtraSids", "SidCount is %d but the pointer is NULL", sidCount)
		}
	} else {
		if n := r.u32("ExtraSids MaximumCount"); r.err == nil && n != sidCount {
			r.fail("ExtraSids", "conformant array of %d elements, but SidCount is %d", n, sidCount)
		}
		raw := r.bytes("ExtraSids", uint64(sidCount)*8)
		if raw != nil {
			li.ExtraSIDs = make([]SIDAndAttributes, sidCount)
			elemPtrs = make([]uint32, sidCount)
			for i := range li.ExtraSIDs {
				elemPtrs[i] = binary.LittleEndian.Uint32(raw[8*i:])
				li.ExtraSIDs[i].Attributes = binary.LittleEndian.Uint32(raw[8*i+4:])
			}
			for i, p := range elemPtrs {
				if p != 0 {
					li.ExtraSIDs[i].SID = r.sid("ExtraSids.Sid")
				}
			}
		}
	}
	li.ResourceGroupDomainID = deferSID("ResourceGroupDomainSid", ptrs[ptrResourceGroupDomainID])
	li.ResourceGroupIDs = deferGroups("ResourceGroupIds", resourceCount, ptrs[ptrResourceGroupIDs])
	if r.err != nil {
		return nil, r.err
	}
	li.referents = detectOrder(top, ptrs, elemPtrs)
	return li, nil
}

// sid reads an RPC_SID ([MS-DTYP] 2.4.2.3), a conformant structure: the
// sub-authority count as the conformance, then the SID's binary form.
func (r *reader) sid(field string) adtypes.SID {
	n := r.u32(field + " MaximumCount")
	if r.err != nil {
		return adtypes.SID{}
	}
	if n > 15 {
		r.fail(field, "%d sub-authorities; a SID has at most 15", n)
		return adtypes.SID{}
	}
	raw := r.bytes(field, 8+4*uint64(n))
	if raw == nil {
		return adtypes.SID{}
	}
	if raw[1] != byte(n) {
		r.fail(field, "SubAuthorityCount %d does not match the conformance %d", raw[1], n)
		return adtypes.SID{}
	}
	s, err := adtypes.SIDFromBytes(raw)
	if err != nil {
		r.fail(field, "%v", err)
		return adtypes.SID{}
	}
	return s
}

// detectOrder tells which referent numbering produced the IDs read; input
// that follows neither re-encodes in Windows order.
func detectOrder(top uint32, ptrs [numPointers]uint32, elemPtrs []uint32) referentOrder {
	if top != topReferent {
		return windowsOrder
	}
	var present [numPointers]bool
	for i, p := range ptrs {
		present[i] = p != 0
	}
	elems := make([]bool, len(elemPtrs))
	for i, p := range elemPtrs {
		elems[i] = p != 0
	}
	for _, o := range []referentOrder{windowsOrder, sambaOrder} {
		ids, elemIDs := referents(o, present, elems)
		if ids == ptrs && slices.Equal(elemIDs, elemPtrs) {
			return o
		}
	}
	return windowsOrder
}

// Marshal encodes li as a PAC_LOGON_INFO buffer: the type serialization
// headers, then the KERB_VALIDATION_INFO with its deferred strings, arrays
// and SIDs in NDR order, padded to a multiple of 8 bytes. Referent IDs are
// numbered as Windows numbers them, unless li was decoded from Samba's
// numbering. It fails only for values no PAC can hold: a string longer than
// 32767 UTF-16 code units, a SID with more than 15 sub-authorities.
func (li *LogonInfo) Marshal() ([]byte, error) {
	b, err := li.marshal()
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (li *LogonInfo) marshal() ([]byte, *Error) {
	const name = "KERB_VALIDATION_INFO"
	var enc [numStrings][]byte
	var strs [numStrings]unicodeString
	var present [numPointers]bool
	for i, s := range li.stringFields() {
		b, err := utf16Field("marshal", name+"."+stringNames[i], *s, math.MaxUint16-1)
		if err != nil {
			return nil, err
		}
		enc[i] = b
		if len(b) == 0 && li.forms[i].null {
			continue
		}
		n := len(b)
		m := n + defaultSlack[i] + int(li.forms[i].slack)
		if m < n || m > math.MaxUint16-1 || m%2 != 0 {
			m = min(n+defaultSlack[i], math.MaxUint16-1)
		}
		strs[i] = unicodeString{length: uint16(n), max: uint16(m), ptr: 1}
	}
	for i, p := range [numStrings]int{ptrEffectiveName, ptrFullName, ptrLogonScript, ptrProfilePath, ptrHomeDirectory, ptrHomeDirectoryDrive, ptrLogonServer, ptrLogonDomainName} {
		present[p] = strs[i].ptr != 0
	}
	present[ptrGroupIDs] = li.GroupIDs != nil
	present[ptrLogonDomainID] = !li.LogonDomainID.IsZero()
	present[ptrExtraSIDs] = li.ExtraSIDs != nil
	present[ptrResourceGroupDomainID] = !li.ResourceGroupDomainID.IsZero()
	present[ptrResourceGroupIDs] = li.ResourceGroupIDs != nil
	elems := make([]bool, len(li.ExtraSIDs))
	for i, e := range li.ExtraSIDs {
		elems[i] = !e.SID.IsZero()
	}
	for _, c := range []struct {
		field string
		n     int
	}{{"GroupIds", len(li.GroupIDs)}, {"ExtraSids", len(li.ExtraSIDs)}, {"ResourceGroupIds", len(li.ResourceGroupIDs)}} {
		if uint64(c.n) > math.MaxUint32/8 {
			return nil, errorf("marshal", name+"."+c.field, ErrMalformed, "%d elements are too many for a PAC", c.n)
		}
	}
	for _, s := range append([]adtypes.SID{li.LogonDomainID, li.ResourceGroupDomainID}, sidsOf(li.ExtraSIDs)...) {
		if len(s.SubAuthorities) > 15 {
			return nil, errorf("marshal", name, ErrMalformed, "SID %s has %d sub-authorities; at most 15 are allowed", s, len(s.SubAuthorities))
		}
	}
	ids, elemIDs := referents(li.referents, present, elems)

	w := &writer{}
	filetime := func(t adtypes.FileTime) {
		w.u32(uint32(t))
		w.u32(uint32(t >> 32))
	}
	ustr := func(i, p int) {
		w.u16(strs[i].length)
		w.u16(strs[i].max)
		w.u32(ids[p])
	}
	w.u32(topReferent)
	filetime(li.LogonTime)
	filetime(li.LogoffTime)
	filetime(li.KickOffTime)
	filetime(li.PasswordLastSet)
	filetime(li.PasswordCanChange)
	filetime(li.PasswordMustChange)
	ustr(strEffectiveName, ptrEffectiveName)
	ustr(strFullName, ptrFullName)
	ustr(strLogonScript, ptrLogonScript)
	ustr(strProfilePath, ptrProfilePath)
	ustr(strHomeDirectory, ptrHomeDirectory)
	ustr(strHomeDirectoryDrive, ptrHomeDirectoryDrive)
	w.u16(li.LogonCount)
	w.u16(li.BadPasswordCount)
	w.u32(li.UserID)
	w.u32(li.PrimaryGroupID)
	w.u32(uint32(len(li.GroupIDs)))
	w.u32(ids[ptrGroupIDs])
	w.u32(li.UserFlags)
	w.b = append(w.b, li.UserSessionKey[:]...)
	ustr(strLogonServer, ptrLogonServer)
	ustr(strLogonDomainName, ptrLogonDomainName)
	w.u32(ids[ptrLogonDomainID])
	w.u32(0) // Reserved1
	w.u32(0)
	w.u32(li.UserAccountControl)
	w.u32(li.SubAuthStatus)
	filetime(li.LastSuccessfulILogon)
	filetime(li.LastFailedILogon)
	w.u32(li.FailedILogonCount)
	w.u32(0) // Reserved3
	w.u32(uint32(len(li.ExtraSIDs)))
	w.u32(ids[ptrExtraSIDs])
	w.u32(ids[ptrResourceGroupDomainID])
	w.u32(uint32(len(li.ResourceGroupIDs)))
	w.u32(ids[ptrResourceGroupIDs])

	deferString := func(i int) {
		if strs[i].ptr == 0 {
			return
		}
		w.u32(uint32(strs[i].max / 2))
		w.u32(0)
		w.u32(uint32(strs[i].length / 2))
		w.b = append(w.b, enc[i]...)
	}
	deferGroups := func(g []GroupMembership) {
		if g == nil {
			return
		}
		w.u32(uint32(len(g)))
		for _, m := range g {
			w.u32(m.RelativeID)
			w.u32(m.Attributes)
		}
	}
	deferSID := func(s adtypes.SID) {
		if s.IsZero() {
			return
		}
		w.u32(uint32(len(s.SubAuthorities)))
		w.b = append(w.b, s.Bytes()...)
	}
	for i := strEffectiveName; i <= strHomeDirectoryDrive; i++ {
		deferString(i)
	}
	deferGroups(li.GroupIDs)
	deferString(strLogonServer)
	deferString(strLogonDomainName)
	deferSID(li.LogonDomainID)
	if li.ExtraSIDs != nil {
		w.u32(uint32(len(li.ExtraSIDs)))
		for i, e := range li.ExtraSIDs {
			w.u32(elemIDs[i])
			w.u32(e.Attributes)
		}
		for _, e := range li.ExtraSIDs {
			deferSID(e.SID)
		}
	}
	deferSID(li.ResourceGroupDomainID)
	deferGroups(li.ResourceGroupIDs)
	return appendSerialization(nil, w.b), nil
}

func sidsOf(e []SIDAndAttributes) []adtypes.SID {
	s := make([]adtypes.SID, len(e))
	for i := range e {
		s[i] = e[i].SID
	}
	return s
}
