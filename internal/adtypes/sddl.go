package adtypes

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Object ACE body flags, [MS-DTYP] 2.4.4.3.
const (
	objectTypePresent          = 0x1 // ACE_OBJECT_TYPE_PRESENT
	inheritedObjectTypePresent = 0x2 // ACE_INHERITED_OBJECT_TYPE_PRESENT
)

// ParseSDDL parses a security descriptor in Security Descriptor Definition
// Language, [MS-DTYP] 2.5.1: "O:" owner, "G:" group, "D:" DACL and "S:" SACL,
// each at most once. An ACL is optional flags (P, AI, AR) and then ACE
// strings "(type;flags;rights;object_guid;inherit_object_guid;sid)":
//
//   - type is A or D, AU or AL (in a SACL), or the object types OA, OD, OU
//     and OL, whose GUID fields may be filled. Callback, conditional,
//     resource-attribute and mandatory-label ACEs are rejected.
//   - flags are CI OI NP IO ID SA FA, concatenated; or, as an extension that
//     lets [SecurityDescriptor.SDDL] write any flag byte, 0x and hex.
//   - rights are 0x and up to 8 hex digits, or two-letter codes
//     concatenated: GA GR GW GX RC SD WD WO RP WP CC DC LC SW LO DT CR, the
//     file rights FA FR FW FX and the registry rights KA KR KW KX.
//   - sid is S-1-… or a two-letter alias. Aliases of domain groups and
//     accounts (DA, DU, DC, DD, CA, EA, SA, RS, LA, …) are relative to
//     domain, and are an error naming the alias when domain is the zero SID.
//
// ParseSDDL accepts no whitespace and no decimal or octal rights, which
// Windows tolerates but never writes. Errors name the offending token and its
// byte offset in s.
//
// As Windows does, the ACLs it builds have revision 2 (ACLRevision), or 4
// (ACLRevisionDS) when they contain an object ACE: SDDL does not record the
// revision.
func ParseSDDL(s string, domain SID) (*SecurityDescriptor, error) {
	p := sddlParser{s: s, domain: domain}
	return p.parse()
}

type sddlParser struct {
	s      string
	domain SID
}

// errAt reports token, found at byte offset off of the SDDL string.
func (p *sddlParser) errAt(off int, token, format string, args ...any) *Error {
	return newError("SDDL", token, "at offset %d: %s", off, fmt.Sprintf(format, args...))
}

func (p *sddlParser) parse() (*SecurityDescriptor, error) {
	s := p.s
	sd := &SecurityDescriptor{}
	seen := map[byte]bool{}
	for pos := 0; pos < len(s); {
		if !componentStart(s, pos) {
			return nil, p.errAt(pos, truncate(s[pos:], 16), "expected O:, G:, D: or S:")
		}
		comp := s[pos]
		if seen[comp] {
			return nil, p.errAt(pos, s[pos:pos+2], "%c: appears twice", comp)
		}
		seen[comp] = true
		start := pos + 2
		end := start
		for depth := 0; end < len(s); end++ {
			if depth == 0 && componentStart(s, end) {
				break
			}
			switch s[end] {
			case '(':
				depth++
			case ')':
				depth = max(depth-1, 0)
			}
		}
		switch comp {
		case 'O', 'G':
			if start == end {
				return nil, p.errAt(pos, s[pos:start], "no SID follows %c:", comp)
			}
			sid, err := p.sid(start, s[start:end])
			if err != nil {
				return nil, err
			}
			if comp == 'O' {
				sd.Owner = &sid
			} else {
				sd.Group = &sid
			}
		case 'D', 'S':
			control, acl, err := p.acl(comp, start, end)
			if err != nil {
				return nil, err
			}
			sd.Control |= control
			if comp == 'D' {
				sd.DACL = acl
			} else {
				sd.SACL = acl
			}
		}
		pos = end
	}
	sd.Control = sd.normalizedControl()
	return sd, nil
}

// componentStart reports whether an SDDL component ("O:", "G:", "D:", "S:")
// starts at s[i].
func componentStart(s string, i int) bool {
	return i+1 < len(s) && s[i+1] == ':' && strings.IndexByte("OGDS", s[i]) >= 0
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// acl parses the ACL in s[start:end], the body of a D: or S: component.
func (p *sddlParser) acl(comp byte, start, end int) (uint16, *ACL, error) {
	s := p.s
	flags := map[string]uint16{"P": ControlDACLProtected, "AR": ControlDACLAutoInheritReq, "AI": ControlDACLAutoInherited}
	if comp == 'S' {
		flags = map[string]uint16{"P": ControlSACLProtected, "AR": ControlSACLAutoInheritReq, "AI": ControlSACLAutoInherited}
	}
	var control uint16
	i := start
	for i < end && s[i] != '(' {
		switch {
		case s[i] == 'P':
			control |= flags["P"]
			i++
		case strings.HasPrefix(s[i:end], "AI"), strings.HasPrefix(s[i:end], "AR"):
			control |= flags[s[i:i+2]]
			i += 2
		case strings.HasPrefix(s[i:end], "NO_ACCESS_CONTROL"):
			return 0, nil, p.errAt(i, "NO_ACCESS_CONTROL", "NULL ACLs are not supported; omit the %c: component instead", comp)
		default:
			return 0, nil, p.errAt(i, truncate(s[i:end], 16), "not an ACL flag (P, AI, AR) or an ACE in parentheses")
		}
	}
	acl := &ACL{Revision: ACLRevision}
	size := aclHeaderLen
	for n := 1; i < end; n++ {
		if s[i] != '(' {
			return 0, nil, p.errAt(i, truncate(s[i:end], 16), "expected ( to start ACE %d", n)
		}
		closing := strings.IndexByte(s[i+1:end], ')')
		if closing < 0 {
			return 0, nil, p.errAt(i, truncate(s[i:end], 32), "ACE %d is not closed with )", n)
		}
		ace, err := p.ace(n, i+1, s[i+1:i+1+closing])
		if err != nil {
			return 0, nil, err
		}
		if ace.Type >= ACETypeAccessAllowedObject && ace.Type <= ACETypeSystemAlarmObject {
			acl.Revision = ACLRevisionDS
		}
		if size += ace.binaryLen(); size > maxBinarySize {
			return 0, nil, p.errAt(i, truncate(s[i:end], 32), "ACE %d makes the %c: ACL larger than the %d bytes a binary ACL holds", n, comp, maxBinarySize)
		}
		acl.ACEs = append(acl.ACEs, ace)
		i += closing + 2
	}
	return control, acl, nil
}

// ace parses the ACE string body (between the parentheses) that starts at
// byte offset off; n numbers the ACE within its ACL for error messages.
func (p *sddlParser) ace(n, off int, body string) (ACE, error) {
	fields := strings.Split(body, ";")
	typ, ok := lookupCode(aceTypeCodes, fields[0])
	if !ok {
		if strings.HasPrefix(fields[0], "0x") {
			return ACE{}, p.errAt(off, fields[0], "ACE %d type has no SDDL form; SDDL() wrote it from a binary descriptor, and it cannot be read back", n)
		}
		return ACE{}, p.errAt(off, fields[0], "ACE %d type is not supported; want A, D, AU, AL, OA, OD, OU or OL", n)
	}
	if len(fields) != 6 {
		if len(fields) > 6 {
			return ACE{}, p.errAt(off, body, "ACE %d has %d fields; conditional and resource-attribute ACEs are not supported", n, len(fields))
		}
		return ACE{}, p.errAt(off, body, "ACE %d has %d fields; want 6: type;flags;rights;object_guid;inherit_object_guid;sid", n, len(fields))
	}
	at := make([]int, 6) // byte offset of each field
	at[0] = off
	for i := 1; i < 6; i++ {
		at[i] = at[i-1] + len(fields[i-1]) + 1
	}

	ace := ACE{Type: typ}

	flags, err := p.aceFlags(n, at[1], fields[1])
	if err != nil {
		return ACE{}, err
	}
	ace.Flags = flags

	mask, err := p.rights(n, at[2], fields[2])
	if err != nil {
		return ACE{}, err
	}

	object := typ >= ACETypeAccessAllowedObject && typ <= ACETypeSystemAlarmObject
	var guids [2]*GUID
	for i, f := range fields[3:5] {
		if f == "" {
			continue
		}
		if !object {
			return ACE{}, p.errAt(at[3+i], f, "ACE %d: only object ACEs (OA, OD, OU, OL) take GUIDs", n)
		}
		if len(f) != 36 {
			return ACE{}, p.errAt(at[3+i], f, "ACE %d: not a GUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", n)
		}
		g, err := ParseGUID(f)
		if err != nil {
			return ACE{}, p.errAt(at[3+i], f, "ACE %d: %s", n, err.(*Error).Reason)
		}
		guids[i] = &g
	}

	if fields[5] == "" {
		return ACE{}, p.errAt(at[5], "", "ACE %d has no SID", n)
	}
	sid, err := p.sid(at[5], fields[5])
	if err != nil {
		return ACE{}, err
	}

	switch {
	case hasMaskAndSID(typ):
		ace.Mask, ace.SID = mask, sid
	case object:
		var objFlags uint32
		if guids[0] != nil {
			objFlags |= objectTypePresent
		}
		if guids[1] != nil {
			objFlags |= inheritedObjectTypePresent
		}
		raw := binary.LittleEndian.AppendUint32(nil, mask)
		raw = binary.LittleEndian.AppendUint32(raw, objFlags)
		for _, g := range guids {
			if g != nil {
				raw = append(raw, g[:]...)
			}
		}
		ace.Raw = sid.appendBinary(raw)
	default: // AU, AL: the same body as A and D, kept raw
		ace.Raw = sid.appendBinary(binary.LittleEndian.AppendUint32(nil, mask))
	}
	return ace, nil
}

func lookupCode[T any](table []code[T], s string) (T, bool) {
	for _, c := range table {
		if c.code == s {
			return c.value, true
		}
	}
	var zero T
	return zero, false
}

func (p *sddlParser) aceFlags(n, off int, f string) (uint8, error) {
	if hexDigits, ok := cutHexPrefix(f); ok {
		v, err := strconv.ParseUint(hexDigits, 16, 8)
		if err != nil || hexDigits == "" || len(hexDigits) > 2 {
			return 0, p.errAt(off, f, "ACE %d flags are not 0x and 1 or 2 hex digits", n)
		}
		return uint8(v), nil
	}
	var flags uint8
	for i := 0; i < len(f); i += 2 {
		tok := f[i:min(i+2, len(f))]
		v, ok := lookupCode(aceFlagCodes, tok)
		if !ok {
			return 0, p.errAt(off+i, tok, "ACE %d flags: not an ACE flag (OI, CI, NP, IO, ID, SA, FA)", n)
		}
		flags |= v
	}
	return flags, nil
}

func (p *sddlParser) rights(n, off int, f string) (uint32, error) {
	if hexDigits, ok := cutHexPrefix(f); ok {
		v, err := strconv.ParseUint(hexDigits, 16, 32)
		if err != nil || hexDigits == "" || len(hexDigits) > 8 {
			return 0, p.errAt(off, f, "ACE %d rights are not 0x and 1 to 8 hex digits", n)
		}
		return uint32(v), nil
	}
	var mask uint32
	for i := 0; i < len(f); i += 2 {
		tok := f[i:min(i+2, len(f))]
		v, ok := lookupCode(rightBitCodes, tok)
		if !ok {
			v, ok = lookupCode(fileRightCodes, tok)
		}
		if !ok {
			v, ok = lookupCode(keyRightCodes, tok)
		}
		if !ok {
			return 0, p.errAt(off+i, tok, "ACE %d rights: not a rights code; use 0x and hex, or codes such as RP, WP, CR, GA, FR", n)
		}
		mask |= v
	}
	return mask, nil
}

func cutHexPrefix(s string) (string, bool) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return s[2:], true
	}
	return "", false
}

// sid parses a SID token (S-1-… or an alias) found at byte offset off.
func (p *sddlParser) sid(off int, tok string) (SID, error) {
	if strings.HasPrefix(tok, "S-") || strings.HasPrefix(tok, "s-") {
		sid, err := ParseSID(tok)
		if err != nil {
			return SID{}, p.errAt(off, tok, "%s", err.(*Error).Reason)
		}
		return sid, nil
	}
	a, ok := aliasByCode[tok]
	if !ok {
		return SID{}, p.errAt(off, tok, "not a SID (S-1-…) or a SID alias such as SY, BA, WD, DA")
	}
	if a.sid != "" {
		sid, err := ParseSID(a.sid)
		if err != nil {
			panic("adtypes: bad SID alias table: " + err.Error())
		}
		return sid, nil
	}
	if p.domain.IsZero() {
		return SID{}, p.errAt(off, tok, "SID alias %s is relative to the domain SID, and no domain SID was given", tok)
	}
	if len(p.domain.SubAuthorities) >= maxSubAuthorities {
		return SID{}, p.errAt(off, tok, "the domain SID %s already has %d sub-authorities, so alias %s cannot extend it", p.domain, len(p.domain.SubAuthorities), tok)
	}
	return p.domain.WithRID(a.rid), nil
}

// SDDL returns sd in SDDL: owner, group, DACL, SACL, each when present, in
// the form ParseSDDL reads. SIDs with a fixed alias (SY, BA, WD, AU, NS, LS,
// PS, …) are written as the alias, except S-1-5-9 (ED), which stays numeric
// as [MS-ADTS] 3.1.1.4.5.39 writes the GKDI descriptor
// "O:SYD:(A;;FRFW;;;S-1-5-9)"; other SIDs, including the domain's groups and
// accounts, are written as S-1-…. Rights are written as
// codes when the mask is exactly a combination of codes — single-bit codes
// in ascending bit order when they suffice, otherwise file rights first — and
// as 0x and hex otherwise; a zero mask is 0x0. ACE flags are codes, or 0x and
// hex when a bit has no code.
//
// SDDL cannot carry everything a binary descriptor holds: control bits other
// than P, AI and AR, ACL revisions and ACE padding are dropped. An ACE whose
// type has no SDDL form here, or whose raw body does not decode, is written
// as "(0xTT;flags;body-hex)", which ParseSDDL rejects.
func (sd *SecurityDescriptor) SDDL() string {
	var b strings.Builder
	if sd.Owner != nil {
		b.WriteString("O:")
		b.WriteString(sddlSID(*sd.Owner))
	}
	if sd.Group != nil {
		b.WriteString("G:")
		b.WriteString(sddlSID(*sd.Group))
	}
	if sd.DACL != nil {
		b.WriteString("D:")
		writeACLFlags(&b, sd.Control, ControlDACLProtected, ControlDACLAutoInheritReq, ControlDACLAutoInherited)
		writeACEs(&b, sd.DACL)
	}
	if sd.SACL != nil {
		b.WriteString("S:")
		writeACLFlags(&b, sd.Control, ControlSACLProtected, ControlSACLAutoInheritReq, ControlSACLAutoInherited)
		writeACEs(&b, sd.SACL)
	}
	return b.String()
}

func writeACLFlags(b *strings.Builder, control, protected, autoInheritReq, autoInherited uint16) {
	if control&protected != 0 {
		b.WriteString("P")
	}
	if control&autoInheritReq != 0 {
		b.WriteString("AR")
	}
	if control&autoInherited != 0 {
		b.WriteString("AI")
	}
}

func writeACEs(b *strings.Builder, acl *ACL) {
	for i := range acl.ACEs {
		writeACE(b, &acl.ACEs[i])
	}
}

func writeACE(b *strings.Builder, ace *ACE) {
	typeCode := ""
	for _, c := range aceTypeCodes {
		if c.value == ace.Type {
			typeCode = c.code
		}
	}
	mask, sid := ace.Mask, ace.SID
	var guids [2]string
	ok := typeCode != ""
	if ok && !hasMaskAndSID(ace.Type) {
		mask, guids, sid, ok = decodeRawACE(ace.Type, ace.Raw)
	}
	if !ok {
		fmt.Fprintf(b, "(0x%02x;%s;%s)", ace.Type, sddlACEFlags(ace.Flags), hex.EncodeToString(ace.Raw))
		return
	}
	fmt.Fprintf(b, "(%s;%s;%s;%s;%s;%s)", typeCode, sddlACEFlags(ace.Flags), sddlRights(mask), guids[0], guids[1], sddlSID(sid))
}

// decodeRawACE decodes the raw body of an AU, AL or object ACE. It fails
// when the body is malformed or holds what SDDL cannot express.
func decodeRawACE(typ uint8, raw []byte) (mask uint32, guids [2]string, sid SID, ok bool) {
	if len(raw) < 4 {
		return 0, guids, SID{}, false
	}
	mask, rest := binary.LittleEndian.Uint32(raw), raw[4:]
	if typ >= ACETypeAccessAllowedObject && typ <= ACETypeSystemAlarmObject {
		if len(rest) < 4 {
			return 0, guids, SID{}, false
		}
		flags := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if flags&^(objectTypePresent|inheritedObjectTypePresent) != 0 {
			return 0, guids, SID{}, false
		}
		for i, bit := range []uint32{objectTypePresent, inheritedObjectTypePresent} {
			if flags&bit == 0 {
				continue
			}
			if len(rest) < 16 {
				return 0, guids, SID{}, false
			}
			guids[i] = GUID(rest[:16]).String()
			rest = rest[16:]
		}
	}
	sid, _, err := ReadSID(rest)
	if err != nil {
		return 0, guids, SID{}, false
	}
	return mask, guids, sid, true
}

func sddlSID(s SID) string {
	str := s.String()
	if alias, ok := aliasBySID[str]; ok {
		return alias
	}
	return str
}

func sddlACEFlags(f uint8) string {
	var b strings.Builder
	rest := f
	for _, c := range aceFlagCodes {
		if f&c.value != 0 {
			b.WriteString(c.code)
			rest &^= c.value
		}
	}
	if rest != 0 {
		return fmt.Sprintf("0x%x", f)
	}
	return b.String()
}

// sddlRights writes an access mask as rights codes when codes spell it
// exactly, and as hex otherwise.
func sddlRights(m uint32) string {
	if m == 0 {
		return "0x0"
	}
	for _, c := range fileRightCodes {
		if m == c.value {
			return c.code
		}
	}
	var b strings.Builder
	rest := m
	// File rights carry SYNCHRONIZE, which has no code of its own; use them
	// only when the single-bit codes cannot spell the mask.
	if m&RightSynchronize != 0 {
		var covered uint32
		for _, c := range fileRightCodes {
			if c.value&^m == 0 && c.value&^covered != 0 {
				b.WriteString(c.code)
				covered |= c.value
			}
		}
		rest &^= covered
	}
	for _, c := range rightBitCodes {
		if rest&c.value != 0 {
			b.WriteString(c.code)
			rest &^= c.value
		}
	}
	if rest != 0 {
		return fmt.Sprintf("0x%x", m)
	}
	return b.String()
}
