package msg

import "strconv"

// MsgType is a Kerberos message type, RFC 4120 §5.10 and §7.5.7: the value
// of a message's msg-type field and the number of its APPLICATION tag. The
// constants also name the APPLICATION tags of the structures that have no
// msg-type field (Ticket, Authenticator and the encrypted parts), so that
// [Peek] can name whatever it finds.
type MsgType int32

// APPLICATION tag numbers, RFC 4120 §5.10.
const (
	MsgTypeTicket         MsgType = 1  // Ticket, §5.3
	MsgTypeAuthenticator  MsgType = 2  // Authenticator, §5.5.1
	MsgTypeEncTicketPart  MsgType = 3  // EncTicketPart, §5.3
	MsgTypeASReq          MsgType = 10 // KRB_AS_REQ, §5.4.1
	MsgTypeASRep          MsgType = 11 // KRB_AS_REP, §5.4.2
	MsgTypeTGSReq         MsgType = 12 // KRB_TGS_REQ, §5.4.1
	MsgTypeTGSRep         MsgType = 13 // KRB_TGS_REP, §5.4.2
	MsgTypeAPReq          MsgType = 14 // KRB_AP_REQ, §5.5.1
	MsgTypeAPRep          MsgType = 15 // KRB_AP_REP, §5.5.2
	MsgTypeSafe           MsgType = 20 // KRB_SAFE, §5.6 (not implemented here)
	MsgTypePriv           MsgType = 21 // KRB_PRIV, §5.7 (not implemented here)
	MsgTypeCred           MsgType = 22 // KRB_CRED, §5.8
	MsgTypeEncASRepPart   MsgType = 25 // EncASRepPart, §5.4.2
	MsgTypeEncTGSRepPart  MsgType = 26 // EncTGSRepPart, §5.4.2
	MsgTypeEncAPRepPart   MsgType = 27 // EncAPRepPart, §5.5.2
	MsgTypeEncKrbPrivPart MsgType = 28 // EncKrbPrivPart, §5.7 (not implemented here)
	MsgTypeEncKrbCredPart MsgType = 29 // EncKrbCredPart, §5.8
	MsgTypeError          MsgType = 30 // KRB_ERROR, §5.9.1
)

var msgTypeNames = map[MsgType]string{
	MsgTypeTicket: "Ticket", MsgTypeAuthenticator: "Authenticator", MsgTypeEncTicketPart: "EncTicketPart",
	MsgTypeASReq: "AS-REQ", MsgTypeASRep: "AS-REP", MsgTypeTGSReq: "TGS-REQ", MsgTypeTGSRep: "TGS-REP",
	MsgTypeAPReq: "AP-REQ", MsgTypeAPRep: "AP-REP", MsgTypeSafe: "KRB-SAFE", MsgTypePriv: "KRB-PRIV",
	MsgTypeCred: "KRB-CRED", MsgTypeEncASRepPart: "EncASRepPart", MsgTypeEncTGSRepPart: "EncTGSRepPart",
	MsgTypeEncAPRepPart: "EncAPRepPart", MsgTypeEncKrbPrivPart: "EncKrbPrivPart",
	MsgTypeEncKrbCredPart: "EncKrbCredPart", MsgTypeError: "KRB-ERROR",
}

// String returns RFC 4120's ASN.1 name for t ("AS-REQ", "EncASRepPart"),
// or "msg-type-NN".
func (t MsgType) String() string {
	if s, ok := msgTypeNames[t]; ok {
		return s
	}
	return "msg-type-" + strconv.Itoa(int(t))
}
