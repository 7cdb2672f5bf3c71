package msg

import "testing"

func TestConstantsPrintTheirRFCNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    interface{ String() string }
		want string
	}{
		{"ticket flags name bits in wire order", TicketFlagForwardable | TicketFlagRenewable | TicketFlagInitial | TicketFlagPreAuthent, "forwardable|renewable|initial|pre-authent"},
		{"ktest.c's SAMPLE_FLAGS as ticket flags", TicketFlags(0xFEDCBA98), "reserved|forwardable|forwarded|proxiable|proxy|may-postdate|postdated|renewable|initial|hw-authent|transited-policy-checked|ok-as-delegate|bit-16|bit-18|bit-19|bit-20|bit-22|bit-24|bit-27|bit-28"},
		{"no flags print as 0", TicketFlags(0), "0"},
		{"KDC options name canonicalize and renewable-ok", KDCOptionForwardable | KDCOptionCanonicalize | KDCOptionRenewableOK, "forwardable|canonicalize|renewable-ok"},
		{"bit 31 of the KDC options is validate", KDCOptionValidate, "validate"},
		{"AP options name mutual-required", APOptionMutualRequired, "mutual-required"},
		{"message types print the ASN.1 name", MsgTypeEncTGSRepPart, "EncTGSRepPart"},
		{"unknown message types print their number", MsgType(99), "msg-type-99"},
		{"error codes print the RFC name", KDCErrPreauthRequired, "KDC_ERR_PREAUTH_REQUIRED"},
		{"error code 37 is clock skew", APErrSkew, "KRB_AP_ERR_SKEW"},
		{"unknown error codes print their number", ErrorCode(1000), "error-code-1000"},
		{"padata types print the registry name", PATypeETypeInfo2, "PA-ETYPE-INFO2"},
		{"PA-PAC-REQUEST is 128", PADataType(128), "PA-PAC-REQUEST"},
		{"name types print the RFC name", NameTypeSrvInst, "NT-SRV-INST"},
		{"Microsoft name types are negative", NameType(-128), "NT-MS-PRINCIPAL"},
		{"AD-WIN2K-PAC is 128", ADType(128), "AD-WIN2K-PAC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.v.String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The flag constants follow RFC 4120 §5.2.8: bit n is 1<<(31-n).
func TestFlagConstantsAreRFCBitNumbers(t *testing.T) {
	t.Parallel()
	for n, f := range map[uint]uint32{
		1: uint32(TicketFlagForwardable), 8: uint32(TicketFlagRenewable), 10: uint32(TicketFlagPreAuthent),
		13: uint32(TicketFlagOKAsDelegate), 15: uint32(KDCOptionCanonicalize), 27: uint32(KDCOptionRenewableOK),
		28: uint32(KDCOptionEncTktInSkey), 30: uint32(KDCOptionRenew), 2: uint32(APOptionMutualRequired),
	} {
		if f != bit(n) {
			t.Errorf("bit %d: constant %08x, want %08x", n, f, bit(n))
		}
	}
}
