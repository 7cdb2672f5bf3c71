package ldapserver

import "strconv"

// ResultCode is an LDAPResult resultCode (RFC 4511 §4.1.9 and Appendix A).
type ResultCode uint16

// Result codes of RFC 4511 Appendix A.1 used by this package and its handlers.
const (
	Success                      ResultCode = 0
	OperationsError              ResultCode = 1
	ProtocolError                ResultCode = 2
	TimeLimitExceeded            ResultCode = 3
	SizeLimitExceeded            ResultCode = 4
	CompareFalse                 ResultCode = 5
	CompareTrue                  ResultCode = 6
	AuthMethodNotSupported       ResultCode = 7
	StrongerAuthRequired         ResultCode = 8
	Referral                     ResultCode = 10
	AdminLimitExceeded           ResultCode = 11
	UnavailableCriticalExtension ResultCode = 12
	ConfidentialityRequired      ResultCode = 13
	SaslBindInProgress           ResultCode = 14
	NoSuchAttribute              ResultCode = 16
	UndefinedAttributeType       ResultCode = 17
	InappropriateMatching        ResultCode = 18
	ConstraintViolation          ResultCode = 19
	AttributeOrValueExists       ResultCode = 20
	InvalidAttributeSyntax       ResultCode = 21
	NoSuchObject                 ResultCode = 32
	AliasProblem                 ResultCode = 33
	InvalidDNSyntax              ResultCode = 34
	InappropriateAuthentication  ResultCode = 48
	InvalidCredentials           ResultCode = 49
	InsufficientAccessRights     ResultCode = 50
	Busy                         ResultCode = 51
	Unavailable                  ResultCode = 52
	UnwillingToPerform           ResultCode = 53
	LoopDetect                   ResultCode = 54
	NamingViolation              ResultCode = 64
	ObjectClassViolation         ResultCode = 65
	NotAllowedOnNonLeaf          ResultCode = 66
	NotAllowedOnRDN              ResultCode = 67
	EntryAlreadyExists           ResultCode = 68
	ObjectClassModsProhibited    ResultCode = 69
	AffectsMultipleDSAs          ResultCode = 71
	Other                        ResultCode = 80
)

var resultNames = map[ResultCode]string{
	Success: "success", OperationsError: "operationsError", ProtocolError: "protocolError",
	TimeLimitExceeded: "timeLimitExceeded", SizeLimitExceeded: "sizeLimitExceeded",
	CompareFalse: "compareFalse", CompareTrue: "compareTrue",
	AuthMethodNotSupported: "authMethodNotSupported", StrongerAuthRequired: "strongerAuthRequired",
	Referral: "referral", AdminLimitExceeded: "adminLimitExceeded",
	UnavailableCriticalExtension: "unavailableCriticalExtension",
	ConfidentialityRequired:      "confidentialityRequired", SaslBindInProgress: "saslBindInProgress",
	NoSuchAttribute: "noSuchAttribute", UndefinedAttributeType: "undefinedAttributeType",
	InappropriateMatching: "inappropriateMatching", ConstraintViolation: "constraintViolation",
	AttributeOrValueExists: "attributeOrValueExists", InvalidAttributeSyntax: "invalidAttributeSyntax",
	NoSuchObject: "noSuchObject", AliasProblem: "aliasProblem", InvalidDNSyntax: "invalidDNSyntax",
	InappropriateAuthentication: "inappropriateAuthentication", InvalidCredentials: "invalidCredentials",
	InsufficientAccessRights: "insufficientAccessRights", Busy: "busy", Unavailable: "unavailable",
	UnwillingToPerform: "unwillingToPerform", LoopDetect: "loopDetect",
	NamingViolation: "namingViolation", ObjectClassViolation: "objectClassViolation",
	NotAllowedOnNonLeaf: "notAllowedOnNonLeaf", NotAllowedOnRDN: "notAllowedOnRDN",
	EntryAlreadyExists: "entryAlreadyExists", ObjectClassModsProhibited: "objectClassModsProhibited",
	AffectsMultipleDSAs: "affectsMultipleDSAs", Other: "other",
}

// String returns the RFC 4511 name of the code ("noSuchObject"), or
// "resultCode(N)" for a code this package does not name.
func (c ResultCode) String() string {
	if s, ok := resultNames[c]; ok {
		return s
	}
	return "resultCode(" + strconv.Itoa(int(c)) + ")"
}

// Result is an LDAPResult (RFC 4511 §4.1.9) without referrals. Message is
// the diagnosticMessage.
type Result struct {
	Code      ResultCode
	MatchedDN string
	Message   string
}

// BindResult is a BindResponse (RFC 4511 §4.2.2). ServerSASLCreds is sent
// when not nil.
type BindResult struct {
	Result
	ServerSASLCreds []byte
}
