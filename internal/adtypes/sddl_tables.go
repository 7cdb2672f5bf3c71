package adtypes

// The SDDL vocabulary, [MS-DTYP] 2.5.1.1 ("ace-type", "ace-flag-string",
// "ace-rights" and "sid-token"), and Microsoft's "ACE strings" and "SID
// strings" pages. Values were checked against those tables and against the
// tables in Samba's libcli/security/sddl.c.

type code[T any] struct {
	code  string
	value T
}

// aceTypeCodes lists the ACE types this package reads and writes in SDDL.
var aceTypeCodes = []code[uint8]{
	{"A", ACETypeAccessAllowed},
	{"D", ACETypeAccessDenied},
	{"AU", ACETypeSystemAudit},
	{"AL", ACETypeSystemAlarm},
	{"OA", ACETypeAccessAllowedObject},
	{"OD", ACETypeAccessDeniedObject},
	{"OU", ACETypeSystemAuditObject},
	{"OL", ACETypeSystemAlarmObject},
}

// aceFlagCodes lists the ACE flags in ascending bit order, the order Windows
// writes them in ("OICIID").
var aceFlagCodes = []code[uint8]{
	{"OI", ACEObjectInherit},
	{"CI", ACEContainerInherit},
	{"NP", ACENoPropagateInherit},
	{"IO", ACEInheritOnly},
	{"ID", ACEInherited},
	{"SA", ACESuccessfulAccess},
	{"FA", ACEFailedAccess},
}

// rightBitCodes lists the rights that are one bit each, in ascending bit
// order, the order Windows writes them in ("CCDCLCSWRPWPDTLOCRSDRCWDWO").
var rightBitCodes = []code[uint32]{
	{"CC", RightCreateChild},
	{"DC", RightDeleteChild},
	{"LC", RightListChildren},
	{"SW", RightSelfWrite},
	{"RP", RightReadProperty},
	{"WP", RightWriteProperty},
	{"DT", RightDeleteTree},
	{"LO", RightListObject},
	{"CR", RightControlAccess},
	{"SD", RightDelete},
	{"RC", RightReadControl},
	{"WD", RightWriteDAC},
	{"WO", RightWriteOwner},
	{"GA", RightGenericAll},
	{"GX", RightGenericExecute},
	{"GW", RightGenericWrite},
	{"GR", RightGenericRead},
}

// fileRightCodes are the file rights, each several bits including
// SYNCHRONIZE; SDDL writes them for masks that single-bit codes cannot spell.
var fileRightCodes = []code[uint32]{
	{"FA", 0x001f01ff}, // FILE_ALL_ACCESS
	{"FR", 0x00120089}, // FILE_GENERIC_READ
	{"FW", 0x00120116}, // FILE_GENERIC_WRITE
	{"FX", 0x001200a0}, // FILE_GENERIC_EXECUTE
}

// keyRightCodes are the registry rights. They are read but never written:
// every one of them is spelled by single-bit codes, which suit AD better.
var keyRightCodes = []code[uint32]{
	{"KA", 0x000f003f}, // KEY_ALL_ACCESS
	{"KR", 0x00020019}, // KEY_READ
	{"KW", 0x00020006}, // KEY_WRITE
	{"KX", 0x00020019}, // KEY_EXECUTE, equal to KEY_READ
}

// sidAlias is an SDDL SID alias: either a fixed SID or a RID relative to the
// domain SID.
type sidAlias struct {
	code string
	sid  string // fixed SID, or "" for a domain-relative alias
	rid  uint32 // RID in the domain when sid is ""
	// written reports whether SDDL output uses the alias for this SID.
	written bool
}

// sidAliases is the SID alias table. Domain-relative aliases need the domain
// SID when parsing and are never written, because SDDL output does not know
// the domain. Aliases for forest-wide groups (EA, SA, RO, EK) are relative
// to the forest root domain; this package uses the domain SID it is given,
// which is right in a single-domain forest.
//
// ED (S-1-5-9, Enterprise Domain Controllers) is read but written as
// S-1-5-9: [MS-ADTS] 3.1.1.4.5.39 gives the GKDI security descriptor GmsaSD
// as "O:SYD:(A;;FRFW;;;S-1-5-9)", and writing that string back exactly keeps
// the one descriptor the gMSA password derivation depends on recognizable.
var sidAliases = []sidAlias{
	{code: "WD", sid: "S-1-1-0", written: true},
	{code: "CO", sid: "S-1-3-0", written: true},
	{code: "CG", sid: "S-1-3-1", written: true},
	{code: "OW", sid: "S-1-3-4", written: true},
	{code: "NU", sid: "S-1-5-2", written: true},
	{code: "IU", sid: "S-1-5-4", written: true},
	{code: "SU", sid: "S-1-5-6", written: true},
	{code: "AN", sid: "S-1-5-7", written: true},
	{code: "ED", sid: "S-1-5-9", written: false},
	{code: "PS", sid: "S-1-5-10", written: true},
	{code: "AU", sid: "S-1-5-11", written: true},
	{code: "RC", sid: "S-1-5-12", written: true},
	{code: "SY", sid: "S-1-5-18", written: true},
	{code: "LS", sid: "S-1-5-19", written: true},
	{code: "NS", sid: "S-1-5-20", written: true},
	{code: "WR", sid: "S-1-5-33", written: true},
	{code: "BA", sid: "S-1-5-32-544", written: true},
	{code: "BU", sid: "S-1-5-32-545", written: true},
	{code: "BG", sid: "S-1-5-32-546", written: true},
	{code: "PU", sid: "S-1-5-32-547", written: true},
	{code: "AO", sid: "S-1-5-32-548", written: true},
	{code: "SO", sid: "S-1-5-32-549", written: true},
	{code: "PO", sid: "S-1-5-32-550", written: true},
	{code: "BO", sid: "S-1-5-32-551", written: true},
	{code: "RE", sid: "S-1-5-32-552", written: true},
	{code: "RU", sid: "S-1-5-32-554", written: true},
	{code: "RD", sid: "S-1-5-32-555", written: true},
	{code: "NO", sid: "S-1-5-32-556", written: true},
	{code: "MU", sid: "S-1-5-32-558", written: true},
	{code: "LU", sid: "S-1-5-32-559", written: true},
	{code: "IS", sid: "S-1-5-32-568", written: true},
	{code: "CY", sid: "S-1-5-32-569", written: true},
	{code: "ER", sid: "S-1-5-32-573", written: true},
	{code: "CD", sid: "S-1-5-32-574", written: true},
	{code: "RA", sid: "S-1-5-32-575", written: true},
	{code: "ES", sid: "S-1-5-32-576", written: true},
	{code: "MS", sid: "S-1-5-32-577", written: true},
	{code: "HA", sid: "S-1-5-32-578", written: true},
	{code: "AA", sid: "S-1-5-32-579", written: true},
	{code: "RM", sid: "S-1-5-32-580", written: true},
	{code: "UD", sid: "S-1-5-84-0-0-0-0-0", written: true},
	{code: "AC", sid: "S-1-15-2-1", written: true},
	{code: "LW", sid: "S-1-16-4096", written: true},
	{code: "ME", sid: "S-1-16-8192", written: true},
	{code: "MP", sid: "S-1-16-8448", written: true},
	{code: "HI", sid: "S-1-16-12288", written: true},
	{code: "SI", sid: "S-1-16-16384", written: true},
	{code: "AS", sid: "S-1-18-1", written: true},
	{code: "SS", sid: "S-1-18-2", written: true},

	{code: "RO", rid: 498}, // Enterprise Read-only Domain Controllers (forest root)
	{code: "LA", rid: 500}, // Administrator
	{code: "LG", rid: 501}, // Guest
	{code: "DA", rid: 512}, // Domain Admins
	{code: "DU", rid: 513}, // Domain Users
	{code: "DG", rid: 514}, // Domain Guests
	{code: "DC", rid: 515}, // Domain Computers
	{code: "DD", rid: 516}, // Domain Controllers
	{code: "CA", rid: 517}, // Cert Publishers
	{code: "SA", rid: 518}, // Schema Admins (forest root)
	{code: "EA", rid: 519}, // Enterprise Admins (forest root)
	{code: "PA", rid: 520}, // Group Policy Creator Owners
	{code: "CN", rid: 522}, // Cloneable Domain Controllers
	{code: "AP", rid: 525}, // Protected Users
	{code: "KA", rid: 526}, // Key Admins
	{code: "EK", rid: 527}, // Enterprise Key Admins (forest root)
	{code: "RS", rid: 553}, // RAS and IAS Servers
}

var (
	aliasByCode = map[string]*sidAlias{}
	// aliasBySID maps SID strings to the alias SDDL output writes for them.
	aliasBySID = map[string]string{}
)

func init() {
	for i := range sidAliases {
		a := &sidAliases[i]
		aliasByCode[a.code] = a
		if a.written {
			aliasBySID[a.sid] = a.code
		}
	}
}
