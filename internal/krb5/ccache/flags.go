package ccache

// TicketFlags are a ticket's flags (RFC 4120 §5.3 TicketFlags) as MIT
// stores them: bit n of the ASN.1 BIT STRING is 1<<(31-n).
type TicketFlags uint32

// The flags klist -f shows, RFC 4120 §5.3 (anonymous: RFC 6112; enc-pa-rep:
// RFC 6806).
const (
	FlagForwardable            TicketFlags = 1 << (31 - 1)
	FlagForwarded              TicketFlags = 1 << (31 - 2)
	FlagProxiable              TicketFlags = 1 << (31 - 3)
	FlagProxy                  TicketFlags = 1 << (31 - 4)
	FlagMayPostdate            TicketFlags = 1 << (31 - 5)
	FlagPostdated              TicketFlags = 1 << (31 - 6)
	FlagInvalid                TicketFlags = 1 << (31 - 7)
	FlagRenewable              TicketFlags = 1 << (31 - 8)
	FlagInitial                TicketFlags = 1 << (31 - 9)
	FlagPreAuthent             TicketFlags = 1 << (31 - 10)
	FlagHWAuthent              TicketFlags = 1 << (31 - 11)
	FlagTransitedPolicyChecked TicketFlags = 1 << (31 - 12)
	FlagOKAsDelegate           TicketFlags = 1 << (31 - 13)
	FlagAnonymous              TicketFlags = 1 << (31 - 14)
	FlagEncPARep               TicketFlags = 1 << (31 - 15)
)

// klistLetters are MIT klist's flag letters, in its order (klist.c
// flags_string).
var klistLetters = []struct {
	f      TicketFlags
	letter byte
}{
	{FlagForwardable, 'F'}, {FlagForwarded, 'f'}, {FlagProxiable, 'P'}, {FlagProxy, 'p'},
	{FlagMayPostdate, 'D'}, {FlagPostdated, 'd'}, {FlagInvalid, 'i'}, {FlagRenewable, 'R'},
	{FlagInitial, 'I'}, {FlagHWAuthent, 'H'}, {FlagPreAuthent, 'A'},
	{FlagTransitedPolicyChecked, 'T'}, {FlagOKAsDelegate, 'O'}, {FlagAnonymous, 'a'},
}

// String returns the flags as klist -f prints them ("FRIA"); flags klist
// has no letter for (enc-pa-rep) are left out.
func (f TicketFlags) String() string {
	var b []byte
	for _, l := range klistLetters {
		if f&l.f != 0 {
			b = append(b, l.letter)
		}
	}
	return string(b)
}
