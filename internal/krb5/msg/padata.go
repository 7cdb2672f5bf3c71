package msg

import (
	"io"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// PADataType is a pre-authentication data type, RFC 4120 §7.5.2 and the
// IANA registry.
type PADataType int32

// Pre-authentication data types.
const (
	PATypeTGSReq             PADataType = 1   // PA-TGS-REQ: an AP-REQ, RFC 4120 §5.4.1
	PATypeEncTimestamp       PADataType = 2   // PA-ENC-TIMESTAMP: EncryptedData of PA-ENC-TS-ENC, §5.2.7.2
	PATypePwSalt             PADataType = 3   // PA-PW-SALT, §5.2.7.3
	PATypeETypeInfo          PADataType = 11  // PA-ETYPE-INFO, §5.2.7.4 (superseded by ETYPE-INFO2)
	PATypePKASReqOld         PADataType = 14  // PA-PK-AS-REQ_OLD
	PATypePKASRepOld         PADataType = 15  // PA-PK-AS-REP_OLD
	PATypePKASReq            PADataType = 16  // PA-PK-AS-REQ, RFC 4556
	PATypePKASRep            PADataType = 17  // PA-PK-AS-REP, RFC 4556
	PATypeETypeInfo2         PADataType = 19  // PA-ETYPE-INFO2, §5.2.7.5
	PATypeSvrReferralInfo    PADataType = 20  // PA-SVR-REFERRAL-INFO, RFC 6806
	PATypePACRequest         PADataType = 128 // PA-PAC-REQUEST, [MS-KILE] §2.2.3
	PATypeForUser            PADataType = 129 // PA-FOR-USER, [MS-SFU] §2.2.1
	PATypeS4UX509User        PADataType = 130 // PA-S4U-X509-USER, [MS-SFU] §2.2.2
	PATypeASChecksum         PADataType = 132 // PA-AS-CHECKSUM, RFC 6113
	PATypeFXCookie           PADataType = 133 // PA-FX-COOKIE, RFC 6113
	PATypeAuthenticationSet  PADataType = 134 // PA-AUTHENTICATION-SET, RFC 6113
	PATypeAuthSetSelected    PADataType = 135 // PA-AUTH-SET-SELECTED, RFC 6113
	PATypeFXFast             PADataType = 136 // PA-FX-FAST, RFC 6113
	PATypeFXError            PADataType = 137 // PA-FX-ERROR, RFC 6113
	PATypeEncryptedChallenge PADataType = 138 // PA-ENCRYPTED-CHALLENGE, RFC 6113
	PATypeReqEncPARep        PADataType = 149 // PA-REQ-ENC-PA-REP, RFC 6806
	PATypeASFreshness        PADataType = 150 // PA-AS-FRESHNESS, RFC 8070
	PATypeSPAKE              PADataType = 151 // PA-SPAKE, draft-ietf-kitten-krb-spake-preauth
	PATypeSupportedETypes    PADataType = 165 // PA-SUPPORTED-ENCTYPES, [MS-KILE] §2.2.8
	PATypePACOptions         PADataType = 167 // PA-PAC-OPTIONS, [MS-KILE] §2.2.10
)

var paTypeNames = map[PADataType]string{
	PATypeTGSReq: "PA-TGS-REQ", PATypeEncTimestamp: "PA-ENC-TIMESTAMP", PATypePwSalt: "PA-PW-SALT",
	PATypeETypeInfo: "PA-ETYPE-INFO", PATypePKASReqOld: "PA-PK-AS-REQ_OLD", PATypePKASRepOld: "PA-PK-AS-REP_OLD",
	PATypePKASReq: "PA-PK-AS-REQ", PATypePKASRep: "PA-PK-AS-REP", PATypeETypeInfo2: "PA-ETYPE-INFO2",
	PATypeSvrReferralInfo: "PA-SVR-REFERRAL-INFO", PATypePACRequest: "PA-PAC-REQUEST",
	PATypeForUser: "PA-FOR-USER", PATypeS4UX509User: "PA-S4U-X509-USER", PATypeASChecksum: "PA-AS-CHECKSUM",
	PATypeFXCookie: "PA-FX-COOKIE", PATypeAuthenticationSet: "PA-AUTHENTICATION-SET",
	PATypeAuthSetSelected: "PA-AUTH-SET-SELECTED", PATypeFXFast: "PA-FX-FAST", PATypeFXError: "PA-FX-ERROR",
	PATypeEncryptedChallenge: "PA-ENCRYPTED-CHALLENGE", PATypeReqEncPARep: "PA-REQ-ENC-PA-REP",
	PATypeASFreshness: "PA-AS-FRESHNESS", PATypeSPAKE: "PA-SPAKE",
	PATypeSupportedETypes: "PA-SUPPORTED-ENCTYPES", PATypePACOptions: "PA-PAC-OPTIONS",
}

// String returns the registry name ("PA-ENC-TIMESTAMP"), or "padata-type-NN".
func (t PADataType) String() string {
	if s, ok := paTypeNames[t]; ok {
		return s
	}
	return "padata-type-" + strconv.Itoa(int(t))
}

// PAData is one element of pre-authentication data, RFC 4120 §5.2.7: a type
// and a value, usually the DER of a structure the type names.
type PAData struct {
	Type  PADataType
	Value []byte
}

// MethodData is SEQUENCE OF PA-DATA: the padata of requests and replies,
// and METHOD-DATA, the e-data of a KDC_ERR_PREAUTH_REQUIRED error
// (RFC 4120 §5.9.1). In an OPTIONAL field nil means absent.
type MethodData []PAData

// Find returns the first element of type t.
func (m MethodData) Find(t PADataType) (PAData, bool) {
	for _, pa := range m {
		if pa.Type == t {
			return pa, true
		}
	}
	return PAData{}, false
}

// ParseMethodData decodes DER METHOD-DATA (SEQUENCE OF PA-DATA).
func ParseMethodData(b []byte) (MethodData, error) {
	m, err := parseAll(b, "METHOD-DATA", readMethodData, lenient)
	if err != nil {
		return nil, err
	}
	return *m, nil
}

// Marshal encodes m as DER METHOD-DATA.
func (m MethodData) Marshal() ([]byte, error) { return marshal(m.marshal) }

// PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }
func readPAData(s *cryptobyte.String, o opts) (PAData, error) {
	p, err := openSeq(s, "PA-DATA", o)
	if err != nil {
		return PAData{}, err
	}
	var pa PAData
	pa.Type = PADataType(req(p, 1, "padata-type", readInt32))
	pa.Value = req(p, 2, "padata-value", readOctets)
	return pa, p.finish()
}

var readMethodData reader[MethodData] = func(s *cryptobyte.String, o opts) (MethodData, error) {
	v, err := seqOf(readPAData)(s, o)
	return MethodData(v), err
}

func (m MethodData) marshal(b *cryptobyte.Builder) {
	addSeqOf(b, m, func(pa *PAData, b *cryptobyte.Builder) {
		addSeq(b, func(b *cryptobyte.Builder) {
			addInt(b, 1, int64(pa.Type))
			addOctets(b, 2, pa.Value)
		})
	})
}

func addOptMethodData(b *cryptobyte.Builder, n int, m MethodData) {
	if m != nil {
		addExplicit(b, n, m.marshal)
	}
}

// NewPATGSReq makes the PA-TGS-REQ of a TGS-REQ: the AP-REQ that carries
// the TGT and an authenticator (RFC 4120 §5.4.1). [ParseAPReq] reads its
// Value.
func NewPATGSReq(ap *APReq) (PAData, error) {
	b, err := ap.Marshal()
	if err != nil {
		return PAData{}, err
	}
	return PAData{Type: PATypeTGSReq, Value: b}, nil
}

// PAEncTSEnc is the plaintext of encrypted-timestamp pre-authentication,
// RFC 4120 §5.2.7.2: the client's current time.
type PAEncTSEnc struct {
	PATimestamp time.Time
	PAUSec      *int32 // microseconds, 0..999999; nil when absent
}

// ParsePAEncTSEnc decodes a DER PA-ENC-TS-ENC.
func ParsePAEncTSEnc(b []byte) (*PAEncTSEnc, error) {
	return parseAll(b, "PA-ENC-TS-ENC", readPAEncTSEnc, lenient)
}

// Marshal encodes ts as DER.
func (ts *PAEncTSEnc) Marshal() ([]byte, error) { return marshal(ts.marshal) }

// NewPAEncTimestamp makes a PA-ENC-TIMESTAMP: ts sealed under the client's
// long-term key k with key usage 1 (RFC 4120 §5.2.7.2), the confounder read
// from rand.
func NewPAEncTimestamp(k crypto.Key, ts PAEncTSEnc, rand io.Reader) (PAData, error) {
	pt, err := ts.Marshal()
	if err != nil {
		return PAData{}, err
	}
	ed, err := Seal(k, crypto.KeyUsageASReqTimestamp, pt, rand)
	if err != nil {
		return PAData{}, err
	}
	v, err := ed.Marshal()
	if err != nil {
		return PAData{}, err
	}
	return PAData{Type: PATypeEncTimestamp, Value: v}, nil
}

// OpenPAEncTimestamp is the KDC's side of [NewPAEncTimestamp]: it decodes
// the EncryptedData in value, opens it with k and decodes the timestamp.
// Whether the time is close enough to now is the caller's decision.
func OpenPAEncTimestamp(value []byte, k crypto.Key) (*PAEncTSEnc, error) {
	ed, err := ParseEncryptedData(value)
	if err != nil {
		return nil, err
	}
	pt, err := ed.Open(k, crypto.KeyUsageASReqTimestamp)
	if err != nil {
		return nil, err
	}
	return ParsePAEncTSEnc(pt)
}

// PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL }
func readPAEncTSEnc(s *cryptobyte.String, o opts) (PAEncTSEnc, error) {
	p, err := openSeq(s, "PA-ENC-TS-ENC", o)
	if err != nil {
		return PAEncTSEnc{}, err
	}
	var ts PAEncTSEnc
	ts.PATimestamp = req(p, 0, "patimestamp", readTime)
	ts.PAUSec = optPtr(p, 1, "pausec", readMicroseconds)
	return ts, p.finish()
}

func (ts *PAEncTSEnc) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addTime(b, "PA-ENC-TS-ENC", 0, "patimestamp", ts.PATimestamp)
		if ts.PAUSec != nil {
			addMicroseconds(b, "PA-ENC-TS-ENC", 1, "pausec", *ts.PAUSec)
		}
	})
}

// ETypeInfo2Entry tells a client how to make its long-term key for one
// encryption type, RFC 4120 §5.2.7.5.
type ETypeInfo2Entry struct {
	EType crypto.EncType
	// Salt is the string-to-key salt; nil means the default salt (the
	// realm followed by the name's components), which differs from a
	// present empty salt.
	Salt *string
	// S2KParams are the string-to-key parameters (for AES, the iteration
	// count as 4 big-endian octets); nil when absent.
	S2KParams []byte
}

// ETypeInfo2 is the value of a PA-ETYPE-INFO2: SEQUENCE SIZE (1..MAX) OF
// ETYPE-INFO2-ENTRY, in the KDC's order of preference.
type ETypeInfo2 []ETypeInfo2Entry

// ParseETypeInfo2 decodes a DER ETYPE-INFO2. An empty one is an error.
func ParseETypeInfo2(b []byte) (ETypeInfo2, error) {
	v, err := parseAll(b, "ETYPE-INFO2", readETypeInfo2, lenient)
	if err != nil {
		return nil, err
	}
	return *v, nil
}

// Marshal encodes e as DER. An empty ETYPE-INFO2 is an error.
func (e ETypeInfo2) Marshal() ([]byte, error) {
	if len(e) == 0 {
		return nil, &Error{Struct: "ETYPE-INFO2", Reason: "no entries; SIZE (1..MAX)", Err: ErrBadValue}
	}
	return marshal(func(b *cryptobyte.Builder) {
		addSeqOf(b, e, (*ETypeInfo2Entry).marshal)
	})
}

var readETypeInfo2 reader[ETypeInfo2] = func(s *cryptobyte.String, o opts) (ETypeInfo2, error) {
	v, err := seqOf(readETypeInfo2Entry)(s, o)
	if err == nil && len(v) == 0 {
		return nil, errf(ErrBadValue, "no entries; SIZE (1..MAX)")
	}
	return ETypeInfo2(v), err
}

// ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL, s2kparams [2] OCTET STRING OPTIONAL }
func readETypeInfo2Entry(s *cryptobyte.String, o opts) (ETypeInfo2Entry, error) {
	p, err := openSeq(s, "ETYPE-INFO2-ENTRY", o)
	if err != nil {
		return ETypeInfo2Entry{}, err
	}
	var e ETypeInfo2Entry
	e.EType = crypto.EncType(req(p, 0, "etype", readInt32))
	e.Salt = optPtr(p, 1, "salt", readString)
	e.S2KParams = opt(p, 2, "s2kparams", readOctets)
	return e, p.finish()
}

func (e *ETypeInfo2Entry) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(e.EType))
		if e.Salt != nil {
			addString(b, 1, *e.Salt)
		}
		if e.S2KParams != nil {
			addOctets(b, 2, e.S2KParams)
		}
	})
}

// PAPACRequest asks the KDC to include a PAC in the ticket, or not,
// [MS-KILE] §2.2.3. Without it a Windows KDC includes one.
type PAPACRequest struct {
	IncludePAC bool
}

// ParsePAPACRequest decodes a DER KERB-PA-PAC-REQUEST.
func ParsePAPACRequest(b []byte) (*PAPACRequest, error) {
	return parseAll(b, "KERB-PA-PAC-REQUEST", readPAPACRequest, lenient)
}

// Marshal encodes r as DER.
func (r *PAPACRequest) Marshal() ([]byte, error) {
	return marshal(func(b *cryptobyte.Builder) {
		addSeq(b, func(b *cryptobyte.Builder) { addBool(b, 0, r.IncludePAC) })
	})
}

// NewPAPACRequest makes the PA-PAC-REQUEST padata.
func NewPAPACRequest(include bool) PAData {
	b, _ := (&PAPACRequest{IncludePAC: include}).Marshal() // cannot fail
	return PAData{Type: PATypePACRequest, Value: b}
}

// KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN }
func readPAPACRequest(s *cryptobyte.String, o opts) (PAPACRequest, error) {
	p, err := openSeq(s, "KERB-PA-PAC-REQUEST", o)
	if err != nil {
		return PAPACRequest{}, err
	}
	var r PAPACRequest
	r.IncludePAC = req(p, 0, "include-pac", readBool)
	return r, p.finish()
}
