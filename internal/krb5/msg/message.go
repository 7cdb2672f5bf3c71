package msg

import "fmt"

// Peek returns the message type of the DER message in b from its first
// octet, its APPLICATION tag, without decoding the rest: enough for a
// transport or a KDC to dispatch. Anything that does not start with an
// APPLICATION tag fails with [ErrUnexpectedTag].
func Peek(b []byte) (MsgType, error) {
	if len(b) == 0 {
		return 0, &Error{Struct: "message", Reason: "no bytes", Err: ErrMalformed}
	}
	if b[0]&0xe0 != 0x60 || b[0]&0x1f == 0x1f {
		return 0, &Error{Struct: "message", Reason: fmt.Sprintf("first octet %02x is not a constructed [APPLICATION n] tag", b[0]), Err: ErrUnexpectedTag}
	}
	return MsgType(b[0] & 0x1f), nil
}

// ParseMessage decodes the messages that travel between clients, KDCs and
// services on their own: it returns a *KDCReq (AS-REQ, TGS-REQ), *KDCRep
// (AS-REP, TGS-REP), *APReq, *APRep, *KRBError or *KRBCred. Other tags
// (KRB-SAFE, KRB-PRIV, a bare Ticket) fail with [ErrUnexpectedTag].
func ParseMessage(b []byte) (any, error) {
	t, err := Peek(b)
	if err != nil {
		return nil, err
	}
	switch t {
	case MsgTypeASReq, MsgTypeTGSReq:
		return anyOf(ParseKDCReq(b))
	case MsgTypeASRep, MsgTypeTGSRep:
		return anyOf(ParseKDCRep(b))
	case MsgTypeAPReq:
		return anyOf(ParseAPReq(b))
	case MsgTypeAPRep:
		return anyOf(ParseAPRep(b))
	case MsgTypeError:
		return anyOf(ParseKRBError(b))
	case MsgTypeCred:
		return anyOf(ParseKRBCred(b))
	}
	return nil, &Error{Struct: "message", Reason: fmt.Sprintf("%v ([APPLICATION %d]) is not a message this package decodes", t, int(t)), Err: ErrUnexpectedTag}
}

// anyOf keeps a nil *T from becoming a non-nil any.
func anyOf[T any](v *T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}
