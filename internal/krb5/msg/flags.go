package msg

import (
	"strconv"
	"strings"
)

// KerberosFlags (RFC 4120 §5.2.8) are BIT STRINGs whose bit 0 is the most
// significant bit of the first octet. These types hold the 32 bits in a
// uint32 in wire order, so bit n is 1<<(31-n): TicketFlags 0x40000000 is
// bit 1, forwardable.

func bit(n uint) uint32 { return 1 << (31 - n) }

// flagString names the set bits of v, "|"-separated, "bit-N" for bits
// without a name, "0" for none.
func flagString(v uint32, names map[uint]string) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for n := uint(0); n < 32; n++ {
		if v&bit(n) == 0 {
			continue
		}
		if s, ok := names[n]; ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, "bit-"+strconv.Itoa(int(n)))
		}
	}
	return strings.Join(parts, "|")
}

// TicketFlags are a ticket's flags, RFC 4120 §5.3 (bits 0–13), RFC 6112
// (14) and RFC 6806 (15).
type TicketFlags uint32

// Ticket flags.
const (
	TicketFlagReserved               = TicketFlags(1 << 31) // bit 0
	TicketFlagForwardable            = TicketFlags(1 << 30) // bit 1
	TicketFlagForwarded              = TicketFlags(1 << 29) // bit 2
	TicketFlagProxiable              = TicketFlags(1 << 28) // bit 3
	TicketFlagProxy                  = TicketFlags(1 << 27) // bit 4
	TicketFlagMayPostdate            = TicketFlags(1 << 26) // bit 5
	TicketFlagPostdated              = TicketFlags(1 << 25) // bit 6
	TicketFlagInvalid                = TicketFlags(1 << 24) // bit 7
	TicketFlagRenewable              = TicketFlags(1 << 23) // bit 8
	TicketFlagInitial                = TicketFlags(1 << 22) // bit 9
	TicketFlagPreAuthent             = TicketFlags(1 << 21) // bit 10
	TicketFlagHWAuthent              = TicketFlags(1 << 20) // bit 11
	TicketFlagTransitedPolicyChecked = TicketFlags(1 << 19) // bit 12
	TicketFlagOKAsDelegate           = TicketFlags(1 << 18) // bit 13
	TicketFlagAnonymous              = TicketFlags(1 << 17) // bit 14, RFC 6112
	TicketFlagEncPARep               = TicketFlags(1 << 16) // bit 15, RFC 6806
)

var ticketFlagNames = map[uint]string{
	0: "reserved", 1: "forwardable", 2: "forwarded", 3: "proxiable", 4: "proxy", 5: "may-postdate",
	6: "postdated", 7: "invalid", 8: "renewable", 9: "initial", 10: "pre-authent", 11: "hw-authent",
	12: "transited-policy-checked", 13: "ok-as-delegate", 14: "anonymous", 15: "enc-pa-rep",
}

// String names the set flags, RFC 4120's names joined by "|":
// "forwardable|renewable|initial|pre-authent".
func (f TicketFlags) String() string { return flagString(uint32(f), ticketFlagNames) }

// KDCOptions are the options of a KDC request, RFC 4120 §5.4.1 (plus
// cname-in-addl-tkt of [MS-SFU], canonicalize of RFC 6806 and
// request-anonymous of RFC 6112).
type KDCOptions uint32

// KDC options.
const (
	KDCOptionReserved              = KDCOptions(1 << 31) // bit 0
	KDCOptionForwardable           = KDCOptions(1 << 30) // bit 1
	KDCOptionForwarded             = KDCOptions(1 << 29) // bit 2
	KDCOptionProxiable             = KDCOptions(1 << 28) // bit 3
	KDCOptionProxy                 = KDCOptions(1 << 27) // bit 4
	KDCOptionAllowPostdate         = KDCOptions(1 << 26) // bit 5
	KDCOptionPostdated             = KDCOptions(1 << 25) // bit 6
	KDCOptionRenewable             = KDCOptions(1 << 23) // bit 8
	KDCOptionOptHardwareAuth       = KDCOptions(1 << 20) // bit 11
	KDCOptionCNameInAddlTkt        = KDCOptions(1 << 17) // bit 14, [MS-SFU] §2.2.2
	KDCOptionCanonicalize          = KDCOptions(1 << 16) // bit 15, RFC 6806
	KDCOptionRequestAnonymous      = KDCOptions(1 << 15) // bit 16, RFC 6112
	KDCOptionDisableTransitedCheck = KDCOptions(1 << 5)  // bit 26
	KDCOptionRenewableOK           = KDCOptions(1 << 4)  // bit 27
	KDCOptionEncTktInSkey          = KDCOptions(1 << 3)  // bit 28
	KDCOptionRenew                 = KDCOptions(1 << 1)  // bit 30
	KDCOptionValidate              = KDCOptions(1 << 0)  // bit 31
)

var kdcOptionNames = map[uint]string{
	0: "reserved", 1: "forwardable", 2: "forwarded", 3: "proxiable", 4: "proxy", 5: "allow-postdate",
	6: "postdated", 8: "renewable", 11: "opt-hardware-auth", 14: "cname-in-addl-tkt", 15: "canonicalize",
	16: "request-anonymous", 26: "disable-transited-check", 27: "renewable-ok", 28: "enc-tkt-in-skey",
	30: "renew", 31: "validate",
}

// String names the set options, RFC 4120's names joined by "|".
func (o KDCOptions) String() string { return flagString(uint32(o), kdcOptionNames) }

// APOptions are the options of an AP-REQ, RFC 4120 §5.5.1.
type APOptions uint32

// AP options.
const (
	APOptionReserved       = APOptions(1 << 31) // bit 0
	APOptionUseSessionKey  = APOptions(1 << 30) // bit 1
	APOptionMutualRequired = APOptions(1 << 29) // bit 2
)

var apOptionNames = map[uint]string{0: "reserved", 1: "use-session-key", 2: "mutual-required"}

// String names the set options, RFC 4120's names joined by "|".
func (o APOptions) String() string { return flagString(uint32(o), apOptionNames) }
