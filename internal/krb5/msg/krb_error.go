package msg

import (
	"encoding/binary"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// ErrorCode is the error-code of a KRB-ERROR, RFC 4120 §7.5.9, plus the
// codes of RFC 4556 (PKINIT) and RFC 6113 (FAST) that Active Directory
// also returns.
type ErrorCode int32

// Error codes. String returns the RFC name ("KDC_ERR_PREAUTH_REQUIRED").
const (
	KDCErrNone                            ErrorCode = 0
	KDCErrNameExp                         ErrorCode = 1
	KDCErrServiceExp                      ErrorCode = 2
	KDCErrBadPVNO                         ErrorCode = 3
	KDCErrCOldMastKVNO                    ErrorCode = 4
	KDCErrSOldMastKVNO                    ErrorCode = 5
	KDCErrCPrincipalUnknown               ErrorCode = 6 // AD: no such account
	KDCErrSPrincipalUnknown               ErrorCode = 7 // AD: no account has this SPN
	KDCErrPrincipalNotUnique              ErrorCode = 8 // AD: duplicate SPN
	KDCErrNullKey                         ErrorCode = 9
	KDCErrCannotPostdate                  ErrorCode = 10
	KDCErrNeverValid                      ErrorCode = 11
	KDCErrPolicy                          ErrorCode = 12 // AD: logon hours, workstation or authentication policy restriction
	KDCErrBadOption                       ErrorCode = 13
	KDCErrETypeNoSupp                     ErrorCode = 14 // AD: no key of a requested type (e.g. AES not enabled for the account)
	KDCErrSumTypeNoSupp                   ErrorCode = 15
	KDCErrPADataTypeNoSupp                ErrorCode = 16
	KDCErrTrTypeNoSupp                    ErrorCode = 17
	KDCErrClientRevoked                   ErrorCode = 18 // AD: account disabled, expired or locked out
	KDCErrServiceRevoked                  ErrorCode = 19
	KDCErrTGTRevoked                      ErrorCode = 20
	KDCErrClientNotYet                    ErrorCode = 21
	KDCErrServiceNotYet                   ErrorCode = 22
	KDCErrKeyExpired                      ErrorCode = 23 // AD: password expired
	KDCErrPreauthFailed                   ErrorCode = 24 // AD: wrong password (or wrong gMSA key)
	KDCErrPreauthRequired                 ErrorCode = 25 // e-data is METHOD-DATA with PA-ETYPE-INFO2
	KDCErrServerNoMatch                   ErrorCode = 26
	KDCErrMustUseUser2User                ErrorCode = 27
	KDCErrPathNotAccepted                 ErrorCode = 28
	KDCErrSvcUnavailable                  ErrorCode = 29
	APErrBadIntegrity                     ErrorCode = 31
	APErrTktExpired                       ErrorCode = 32
	APErrTktNYV                           ErrorCode = 33
	APErrRepeat                           ErrorCode = 34
	APErrNotUs                            ErrorCode = 35
	APErrBadMatch                         ErrorCode = 36
	APErrSkew                             ErrorCode = 37
	APErrBadAddr                          ErrorCode = 38
	APErrBadVersion                       ErrorCode = 39
	APErrMsgType                          ErrorCode = 40
	APErrModified                         ErrorCode = 41
	APErrBadOrder                         ErrorCode = 42
	APErrBadKeyVer                        ErrorCode = 44
	APErrNoKey                            ErrorCode = 45
	APErrMutFail                          ErrorCode = 46
	APErrBadDirection                     ErrorCode = 47
	APErrMethod                           ErrorCode = 48
	APErrBadSeq                           ErrorCode = 49
	APErrInappCksum                       ErrorCode = 50
	APPathNotAccepted                     ErrorCode = 51
	KRBErrResponseTooBig                  ErrorCode = 52 // retry over TCP
	KRBErrGeneric                         ErrorCode = 60
	KRBErrFieldTooLong                    ErrorCode = 61
	KDCErrClientNotTrusted                ErrorCode = 62
	KDCErrKDCNotTrusted                   ErrorCode = 63
	KDCErrInvalidSig                      ErrorCode = 64
	KDCErrKeyTooWeak                      ErrorCode = 65
	KDCErrCertificateMismatch             ErrorCode = 66
	APErrNoTGT                            ErrorCode = 67
	KDCErrWrongRealm                      ErrorCode = 68 // a referral: crealm names the right realm
	APErrUserToUserRequired               ErrorCode = 69
	KDCErrCantVerifyCertificate           ErrorCode = 70
	KDCErrInvalidCertificate              ErrorCode = 71
	KDCErrRevokedCertificate              ErrorCode = 72
	KDCErrRevocationStatusUnknown         ErrorCode = 73
	KDCErrRevocationStatusUnavailable     ErrorCode = 74
	KDCErrClientNameMismatch              ErrorCode = 75
	KDCErrKDCNameMismatch                 ErrorCode = 76
	KDCErrInconsistentKeyPurpose          ErrorCode = 77
	KDCErrDigestInCertNotAccepted         ErrorCode = 78
	KDCErrPAChecksumMustBeIncluded        ErrorCode = 79
	KDCErrDigestInSignedDataNotAccepted   ErrorCode = 80
	KDCErrPublicKeyEncryptionNotSupported ErrorCode = 81
	KDCErrPreauthExpired                  ErrorCode = 90
	KDCErrMorePreauthDataRequired         ErrorCode = 91
	KDCErrPreauthBadAuthenticationSet     ErrorCode = 92
	KDCErrUnknownCriticalFASTOptions      ErrorCode = 93
)

var errorCodeNames = map[ErrorCode]string{
	0: "KDC_ERR_NONE", 1: "KDC_ERR_NAME_EXP", 2: "KDC_ERR_SERVICE_EXP", 3: "KDC_ERR_BAD_PVNO",
	4: "KDC_ERR_C_OLD_MAST_KVNO", 5: "KDC_ERR_S_OLD_MAST_KVNO", 6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
	7: "KDC_ERR_S_PRINCIPAL_UNKNOWN", 8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE", 9: "KDC_ERR_NULL_KEY",
	10: "KDC_ERR_CANNOT_POSTDATE", 11: "KDC_ERR_NEVER_VALID", 12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION",
	14: "KDC_ERR_ETYPE_NOSUPP", 15: "KDC_ERR_SUMTYPE_NOSUPP", 16: "KDC_ERR_PADATA_TYPE_NOSUPP",
	17: "KDC_ERR_TRTYPE_NOSUPP", 18: "KDC_ERR_CLIENT_REVOKED", 19: "KDC_ERR_SERVICE_REVOKED",
	20: "KDC_ERR_TGT_REVOKED", 21: "KDC_ERR_CLIENT_NOTYET", 22: "KDC_ERR_SERVICE_NOTYET",
	23: "KDC_ERR_KEY_EXPIRED", 24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED",
	26: "KDC_ERR_SERVER_NOMATCH", 27: "KDC_ERR_MUST_USE_USER2USER", 28: "KDC_ERR_PATH_NOT_ACCEPTED",
	29: "KDC_ERR_SVC_UNAVAILABLE", 31: "KRB_AP_ERR_BAD_INTEGRITY", 32: "KRB_AP_ERR_TKT_EXPIRED",
	33: "KRB_AP_ERR_TKT_NYV", 34: "KRB_AP_ERR_REPEAT", 35: "KRB_AP_ERR_NOT_US", 36: "KRB_AP_ERR_BADMATCH",
	37: "KRB_AP_ERR_SKEW", 38: "KRB_AP_ERR_BADADDR", 39: "KRB_AP_ERR_BADVERSION", 40: "KRB_AP_ERR_MSG_TYPE",
	41: "KRB_AP_ERR_MODIFIED", 42: "KRB_AP_ERR_BADORDER", 44: "KRB_AP_ERR_BADKEYVER", 45: "KRB_AP_ERR_NOKEY",
	46: "KRB_AP_ERR_MUT_FAIL", 47: "KRB_AP_ERR_BADDIRECTION", 48: "KRB_AP_ERR_METHOD", 49: "KRB_AP_ERR_BADSEQ",
	50: "KRB_AP_ERR_INAPP_CKSUM", 51: "KRB_AP_PATH_NOT_ACCEPTED", 52: "KRB_ERR_RESPONSE_TOO_BIG",
	60: "KRB_ERR_GENERIC", 61: "KRB_ERR_FIELD_TOOLONG", 62: "KDC_ERROR_CLIENT_NOT_TRUSTED",
	63: "KDC_ERROR_KDC_NOT_TRUSTED", 64: "KDC_ERROR_INVALID_SIG", 65: "KDC_ERR_KEY_TOO_WEAK",
	66: "KDC_ERR_CERTIFICATE_MISMATCH", 67: "KRB_AP_ERR_NO_TGT", 68: "KDC_ERR_WRONG_REALM",
	69: "KRB_AP_ERR_USER_TO_USER_REQUIRED", 70: "KDC_ERR_CANT_VERIFY_CERTIFICATE",
	71: "KDC_ERR_INVALID_CERTIFICATE", 72: "KDC_ERR_REVOKED_CERTIFICATE",
	73: "KDC_ERR_REVOCATION_STATUS_UNKNOWN", 74: "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE",
	75: "KDC_ERR_CLIENT_NAME_MISMATCH", 76: "KDC_ERR_KDC_NAME_MISMATCH",
	77: "KDC_ERR_INCONSISTENT_KEY_PURPOSE", 78: "KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED",
	79: "KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED", 80: "KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED",
	81: "KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED", 90: "KDC_ERR_PREAUTH_EXPIRED",
	91: "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED", 92: "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET",
	93: "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS",
}

// String returns the RFC name ("KRB_AP_ERR_SKEW"), or "error-code-NN".
func (c ErrorCode) String() string {
	if s, ok := errorCodeNames[c]; ok {
		return s
	}
	return "error-code-" + strconv.Itoa(int(c))
}

// KRBError is a KRB_ERROR, RFC 4120 §5.9.1. It is also a Go error, so that
// a client can return it and a caller branch on its ErrorCode with
// errors.As.
type KRBError struct {
	CTime     time.Time // OPTIONAL: the client's time, echoed
	CUSec     *int32    // OPTIONAL: microseconds, 0..999999
	STime     time.Time
	SUSec     int32 // microseconds, 0..999999
	ErrorCode ErrorCode
	CRealm    string         // OPTIONAL ("" is absent)
	CName     *PrincipalName // OPTIONAL
	Realm     string         // the service's realm
	SName     PrincipalName  // the service's name
	EText     string         // OPTIONAL ("" is absent)
	// The e-data [12] OCTET STRING OPTIONAL: when it decodes as METHOD-DATA
	// (as for KDC_ERR_PREAUTH_REQUIRED) ParseKRBError sets MethodData,
	// otherwise EData holds it raw (Windows' KERB-ERROR-DATA, see
	// [KRBError.NTStatus]). Marshal writes whichever is non-nil; both is an
	// error.
	MethodData MethodData
	EData      []byte
}

// Error returns "krb5: KDC_ERR_PREAUTH_REQUIRED (25)" and the e-text.
func (e *KRBError) Error() string {
	s := "krb5: " + e.ErrorCode.String() + " (" + strconv.Itoa(int(e.ErrorCode)) + ")"
	if e.EText != "" {
		s += ": " + e.EText
	}
	return s
}

// NTStatus returns the Windows NTSTATUS a Windows KDC puts in e-data as
// KERB-ERROR-DATA of type KERB_ERR_TYPE_EXTENDED (3) whose value is a
// KERB-EXT-ERROR ([MS-KILE] §2.2.1, §2.2.2), e.g. 0xC0000072
// STATUS_ACCOUNT_DISABLED behind KDC_ERR_CLIENT_REVOKED.
func (e *KRBError) NTStatus() (uint32, bool) {
	if e.EData == nil {
		return 0, false
	}
	s := cryptobyte.String(e.EData)
	// KERB-ERROR-DATA ::= SEQUENCE { data-type [1] INTEGER, data-value [2] OCTET STRING OPTIONAL }
	p, err := openSeq(&s, "KERB-ERROR-DATA", lenient)
	if err != nil || !s.Empty() {
		return 0, false
	}
	typ := req(p, 1, "data-type", readInt32)
	v := opt(p, 2, "data-value", readOctets)
	if p.finish() != nil || typ != 3 || len(v) != 12 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(v), true
}

// ParseKRBError decodes a DER KRB-ERROR ([APPLICATION 30]).
func ParseKRBError(b []byte) (*KRBError, error) {
	return parseAll(b, "KRB-ERROR", readKRBError, lenient)
}

// Marshal encodes e as DER.
func (e *KRBError) Marshal() ([]byte, error) { return marshal(e.marshal) }

// KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0] INTEGER (5), msg-type [1] INTEGER (30),
// ctime [2] KerberosTime OPTIONAL, cusec [3] Microseconds OPTIONAL, stime [4] KerberosTime,
// susec [5] Microseconds, error-code [6] Int32, crealm [7] Realm OPTIONAL,
// cname [8] PrincipalName OPTIONAL, realm [9] Realm, sname [10] PrincipalName,
// e-text [11] KerberosString OPTIONAL, e-data [12] OCTET STRING OPTIONAL }
func readKRBError(s *cryptobyte.String, o opts) (KRBError, error) {
	p, _, err := openApp(s, "KRB-ERROR", o, MsgTypeError)
	if err != nil {
		return KRBError{}, err
	}
	var e KRBError
	p.pvno(0, "pvno")
	p.msgType(1, MsgTypeError)
	e.CTime = opt(p, 2, "ctime", readTime)
	e.CUSec = optPtr(p, 3, "cusec", readMicroseconds)
	e.STime = req(p, 4, "stime", readTime)
	e.SUSec = req(p, 5, "susec", readMicroseconds)
	e.ErrorCode = ErrorCode(req(p, 6, "error-code", readInt32))
	e.CRealm = p.optString(7, "crealm")
	e.CName = optPtr(p, 8, "cname", readPrincipalName)
	e.Realm = req(p, 9, "realm", readString)
	e.SName = req(p, 10, "sname", readPrincipalName)
	e.EText = p.optString(11, "e-text")
	if data := opt(p, 12, "e-data", readOctets); data != nil {
		if m, err := parseAll(data, "METHOD-DATA", readMethodData, opts{strict: true}); err == nil {
			e.MethodData = *m
		} else {
			e.EData = data
		}
	}
	return e, p.finish()
}

func (e *KRBError) marshal(b *cryptobyte.Builder) {
	const st = "KRB-ERROR"
	if e.MethodData != nil && e.EData != nil {
		builderFail(b, st, "e-data", ErrBadValue, "both MethodData and EData are set")
		return
	}
	addApp(b, MsgTypeError, func(b *cryptobyte.Builder) {
		addInt(b, 0, 5)
		addInt(b, 1, int64(MsgTypeError))
		addOptTime(b, st, 2, "ctime", e.CTime)
		if e.CUSec != nil {
			addMicroseconds(b, st, 3, "cusec", *e.CUSec)
		}
		addTime(b, st, 4, "stime", e.STime)
		addMicroseconds(b, st, 5, "susec", e.SUSec)
		addInt(b, 6, int64(e.ErrorCode))
		addOptString(b, 7, e.CRealm)
		addOptPrincipal(b, 8, e.CName)
		addString(b, 9, e.Realm)
		addPrincipal(b, 10, &e.SName)
		addOptString(b, 11, e.EText)
		switch {
		case e.MethodData != nil:
			addExplicit(b, 12, func(b *cryptobyte.Builder) {
				b.AddASN1(tagOctetString, e.MethodData.marshal)
			})
		case e.EData != nil:
			addOctets(b, 12, e.EData)
		}
	})
}
