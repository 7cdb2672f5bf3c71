package msg

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// ADType is an authorization data type, RFC 4120 §7.5.4 and the IANA
// registry.
type ADType int32

// Authorization data types.
const (
	ADIfRelevant           ADType = 1   // AD-IF-RELEVANT, RFC 4120 §5.2.6.1: contents are AuthorizationData
	ADIntendedForServer    ADType = 2   // AD-INTENDED-FOR-SERVER
	ADIntendedForAppClass  ADType = 3   // AD-INTENDED-FOR-APPLICATION-CLASS
	ADKDCIssued            ADType = 4   // AD-KDC-ISSUED, §5.2.6.2
	ADAndOr                ADType = 5   // AD-AND-OR, §5.2.6.3
	ADMandatoryTicketExtns ADType = 6   // AD-MANDATORY-TICKET-EXTENSIONS
	ADInTicketExtensions   ADType = 7   // AD-IN-TICKET-EXTENSIONS
	ADMandatoryForKDC      ADType = 8   // AD-MANDATORY-FOR-KDC, §5.2.6.4
	ADCAMMAC               ADType = 96  // AD-CAMMAC, RFC 7751
	ADAuthenticationIndic  ADType = 97  // AD-AUTHENTICATION-INDICATOR, RFC 8129
	ADWin2KPAC             ADType = 128 // AD-WIN2K-PAC, [MS-PAC]: the contents are a PACTYPE
	ADETypeNegotiation     ADType = 129 // AD-ETYPE-NEGOTIATION, RFC 4537
	ADTokenRestrictions    ADType = 141 // KERB-AUTH-DATA-TOKEN-RESTRICTIONS, [MS-KILE] §2.2.6
	ADLocal                ADType = 142 // KERB-LOCAL, [MS-KILE] §2.2.5
	ADAPOptions            ADType = 143 // AD-AUTH-DATA-AP-OPTIONS, [MS-KILE] §2.2.10
	ADTargetPrincipal      ADType = 144 // KERB-AD-TARGET-PRINCIPAL, [MS-KILE] §2.2.11
)

var adTypeNames = map[ADType]string{
	ADIfRelevant: "AD-IF-RELEVANT", ADIntendedForServer: "AD-INTENDED-FOR-SERVER",
	ADIntendedForAppClass: "AD-INTENDED-FOR-APPLICATION-CLASS", ADKDCIssued: "AD-KDC-ISSUED",
	ADAndOr: "AD-AND-OR", ADMandatoryTicketExtns: "AD-MANDATORY-TICKET-EXTENSIONS",
	ADInTicketExtensions: "AD-IN-TICKET-EXTENSIONS", ADMandatoryForKDC: "AD-MANDATORY-FOR-KDC",
	ADCAMMAC: "AD-CAMMAC", ADAuthenticationIndic: "AD-AUTHENTICATION-INDICATOR",
	ADWin2KPAC: "AD-WIN2K-PAC", ADETypeNegotiation: "AD-ETYPE-NEGOTIATION",
	ADTokenRestrictions: "KERB-AUTH-DATA-TOKEN-RESTRICTIONS", ADLocal: "KERB-LOCAL",
	ADAPOptions: "AD-AUTH-DATA-AP-OPTIONS", ADTargetPrincipal: "KERB-AD-TARGET-PRINCIPAL",
}

// String returns the registry name ("AD-WIN2K-PAC"), or "ad-type-NN".
func (t ADType) String() string {
	if s, ok := adTypeNames[t]; ok {
		return s
	}
	return "ad-type-" + strconv.Itoa(int(t))
}

// AuthorizationDataEntry is one element of AuthorizationData: a type and
// contents whose meaning the type gives. Decoding never looks inside Data;
// [AuthorizationDataEntry.IfRelevant] does, on request.
type AuthorizationDataEntry struct {
	Type ADType
	Data []byte
}

// AuthorizationData is SEQUENCE OF AuthorizationDataEntry, RFC 4120 §5.2.6.
// In an OPTIONAL field nil means absent.
type AuthorizationData []AuthorizationDataEntry

// ParseAuthorizationData decodes DER AuthorizationData (also the contents
// of an AD-IF-RELEVANT entry, RFC 4120 §5.2.6.1).
func ParseAuthorizationData(b []byte) (AuthorizationData, error) {
	ad, err := parseAll(b, "AuthorizationData", readAuthorizationData, lenient)
	if err != nil {
		return nil, err
	}
	return *ad, nil
}

// Marshal encodes ad as DER.
func (ad AuthorizationData) Marshal() ([]byte, error) { return marshal(ad.marshal) }

// IfRelevant wraps inner in an AD-IF-RELEVANT entry (RFC 4120 §5.2.6.1),
// the container in which Windows puts the PAC.
func IfRelevant(inner AuthorizationData) (AuthorizationDataEntry, error) {
	b, err := inner.Marshal()
	if err != nil {
		return AuthorizationDataEntry{}, err
	}
	return AuthorizationDataEntry{Type: ADIfRelevant, Data: b}, nil
}

// IfRelevant decodes the contents of an AD-IF-RELEVANT entry. Any other
// entry type fails with [ErrUnexpectedTag].
func (e AuthorizationDataEntry) IfRelevant() (AuthorizationData, error) {
	if e.Type != ADIfRelevant {
		return nil, &Error{Struct: "AuthorizationData", Field: "ad-type", Reason: e.Type.String() + " is not AD-IF-RELEVANT", Err: ErrUnexpectedTag}
	}
	return ParseAuthorizationData(e.Data)
}

// PAC returns the contents of the AD-WIN2K-PAC entry (the PACTYPE that
// internal/krb5/msg/pac decodes), looking at the top level and one level
// of AD-IF-RELEVANT, where [MS-KILE] §3.3.5.7.7 puts it. It returns nil when
// there is no PAC, and an error when an AD-IF-RELEVANT container does not
// decode or there is more than one PAC.
func (ad AuthorizationData) PAC() ([]byte, error) {
	var found [][]byte
	for _, e := range ad {
		switch e.Type {
		case ADWin2KPAC:
			found = append(found, e.Data)
		case ADIfRelevant:
			inner, err := e.IfRelevant()
			if err != nil {
				return nil, err
			}
			for _, ie := range inner {
				if ie.Type == ADWin2KPAC {
					found = append(found, ie.Data)
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, &Error{Struct: "AuthorizationData", Reason: strconv.Itoa(len(found)) + " AD-WIN2K-PAC entries, want at most one", Err: ErrBadValue}
}

// AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }
func readAuthorizationDataEntry(s *cryptobyte.String, o opts) (AuthorizationDataEntry, error) {
	p, err := openSeq(s, "AuthorizationData", o)
	if err != nil {
		return AuthorizationDataEntry{}, err
	}
	var e AuthorizationDataEntry
	e.Type = ADType(req(p, 0, "ad-type", readInt32))
	e.Data = req(p, 1, "ad-data", readOctets)
	return e, p.finish()
}

var readAuthorizationData reader[AuthorizationData] = func(s *cryptobyte.String, o opts) (AuthorizationData, error) {
	v, err := seqOf(readAuthorizationDataEntry)(s, o)
	return AuthorizationData(v), err
}

func (ad AuthorizationData) marshal(b *cryptobyte.Builder) {
	addSeqOf(b, ad, func(e *AuthorizationDataEntry, b *cryptobyte.Builder) {
		addSeq(b, func(b *cryptobyte.Builder) {
			addInt(b, 0, int64(e.Type))
			addOctets(b, 1, e.Data)
		})
	})
}

func addOptAuthorizationData(b *cryptobyte.Builder, n int, ad AuthorizationData) {
	if ad != nil {
		addExplicit(b, n, ad.marshal)
	}
}
