package crypto

// Key usage numbers, RFC 4120 §7.5.1: every encryption and checksum derives
// its own keys from the base key and one of these, so a ciphertext made for
// one purpose cannot be passed off as another.
const (
	KeyUsageASReqTimestamp              = 1  // AS-REQ PA-ENC-TIMESTAMP, client key
	KeyUsageKDCRepTicket                = 2  // Ticket in AS-REP and TGS-REP, service key
	KeyUsageASRepEncPart                = 3  // AS-REP encrypted part, client key
	KeyUsageTGSReqAuthDataSessionKey    = 4  // TGS-REQ authorization-data, TGS session key
	KeyUsageTGSReqAuthDataSubkey        = 5  // TGS-REQ authorization-data, authenticator subkey
	KeyUsageTGSReqAuthenticatorChecksum = 6  // TGS-REQ AP-REQ authenticator checksum, TGS session key
	KeyUsageTGSReqAuthenticator         = 7  // TGS-REQ AP-REQ authenticator, TGS session key
	KeyUsageTGSRepEncPartSessionKey     = 8  // TGS-REP encrypted part, TGS session key
	KeyUsageTGSRepEncPartSubkey         = 9  // TGS-REP encrypted part, authenticator subkey
	KeyUsageAPReqAuthenticatorChecksum  = 10 // AP-REQ authenticator checksum, session key
	KeyUsageAPReqAuthenticator          = 11 // AP-REQ authenticator, session key
	KeyUsageAPRepEncPart                = 12 // AP-REP encrypted part, session key
	KeyUsageKRBPrivEncPart              = 13 // KRB-PRIV encrypted part
	KeyUsageKRBCredEncPart              = 14 // KRB-CRED encrypted part
	KeyUsageKRBSafeChecksum             = 15 // KRB-SAFE checksum
	KeyUsagePACChecksum                 = 17 // PAC server and KDC signatures, [MS-PAC] §2.8 (KERB_NON_KERB_CKSUM_SALT)
	KeyUsageADKDCIssuedChecksum         = 19 // AD-KDC-ISSUED checksum, RFC 4120 §5.2.6.2

	// RFC 4121 §2 (GSS-API Kerberos per-message tokens).
	KeyUsageAcceptorSeal  = 22
	KeyUsageAcceptorSign  = 23
	KeyUsageInitiatorSeal = 24
	KeyUsageInitiatorSign = 25
)
