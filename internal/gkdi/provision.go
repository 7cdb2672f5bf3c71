package gkdi

import "math/big"

// What Windows and Samba write into every new msKds-ProvRootKey besides the
// key itself (gmsa-protocol-notes.md §1). None of it enters gMSA password
// derivation; it is carried so that root keys are created as Windows creates
// them, by `gmsa kds root-key add` and by the lab's provisioning alike.
const (
	KDFAlgorithmSP800108 = "SP800_108_CTR_HMAC" // msKds-KDFAlgorithmID
	SecretAgreementDH    = "DH"                 // msKds-SecretAgreementAlgorithmID
	PublicKeyLength      = 2048                 // msKds-PublicKeyLength
	// PrivateKeyLength is Windows' 512 (msKds-PrivateKeyLength); Samba's
	// C code falls back to 256 when its configuration lacks the value.
	PrivateKeyLength = 512
)

// RFC5114Group2048 is the RFC 5114 §2.3 group (2048-bit MODP with a 256-bit
// prime-order subgroup) that Windows stores in msKds-SecretAgreementParam.
var RFC5114Group2048 = FfcDHParameters{
	FieldOrder: mustHex("" +
		"87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00" +
		"e00df8f1d61957d4faf7df4561b2aa3016c3d91134096faa3bf4296d830e9a7c" +
		"209e0c6497517abd5a8a9d306bcf67ed91f9e6725b4758c022e0b1ef4275bf7b" +
		"6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c4fdb70c581b23f76" +
		"b63acae1caa6b7902d52526735488a0ef13c6d9a51bfa4ab3ad8347796524d8e" +
		"f6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026" +
		"c0b857f689962856ded4010abd0be621c3a3960a54e710c375f26375d7014103" +
		"a4b54330c198af126116d2276e11715f693877fad7ef09cadb094ae91e1a1597"),
	Generator: mustHex("" +
		"3fb32c9b73134d0b2e77506660edbd484ca7b18f21ef205407f4793a1a0ba125" +
		"10dbc15077be463fff4fed4aac0bb555be3a6c1b0c6b47b1bc3773bf7e8c6f62" +
		"901228f8c28cbb18a55ae31341000a650196f931c77a57f2ddf463e5e9ec144b" +
		"777de62aaab8a8628ac376d282d6ed3864e67982428ebc831d14348f6f2f9193" +
		"b5045af2767164e1dfc967c1fb3f2e55a4bd1bffe83b9c80d052b985d182ea0a" +
		"db2a3b7313d3fe14c8484b1e052588b9b7d2bbd2df016199ecd06e1557cd0915" +
		"b3353bbb64e0ec377fd028370df92b52c7891428cdc67eb6184b523d1db246c3" +
		"2f63078490f00ef8d647d148d47954515e2327cfef98c582664b4c0f6cc41659"),
	KeyLength: 256,
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("gkdi: bad hex constant")
	}
	return n
}
