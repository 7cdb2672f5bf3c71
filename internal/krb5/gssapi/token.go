package gssapi

import (
	"bytes"
	"encoding/asn1"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDKerberos is the Kerberos V5 mechanism, RFC 1964 §1 (1.2.840.113554.1.2.2).
var OIDKerberos = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// Token IDs of RFC 4121 §4.1 (context tokens, with RFC 1964 §1.1 framing)
// and §4.2.6 (per-message tokens).
const (
	TokIDAPReq    uint16 = 0x0100
	TokIDAPRep    uint16 = 0x0200
	TokIDKRBError uint16 = 0x0300
	TokIDMIC      uint16 = 0x0404
	TokIDWrap     uint16 = 0x0504
)

// tagApp0 is [APPLICATION 0] constructed, the InitialContextToken tag 0x60.
const tagApp0 = cbasn1.Tag(0x60)

// maxToken bounds what the decoders accept, so a hostile length cannot make
// them allocate: tickets with a large PAC stay well below 64 KiB.
const maxToken = 1 << 20

// FrameToken wraps a Kerberos message in the InitialContextToken framing of
// RFC 2743 §3.1 used by RFC 1964 §1.1: [APPLICATION 0] { thisMech OID,
// TOK_ID, message }. Context tokens in both directions use it.
func FrameToken(tokID uint16, message []byte) []byte {
	oid, _ := asn1.Marshal(OIDKerberos) // a constant OID cannot fail
	var b cryptobyte.Builder
	b.AddASN1(tagApp0, func(b *cryptobyte.Builder) {
		b.AddBytes(oid)
		b.AddUint16(tokID)
		b.AddBytes(message)
	})
	return b.BytesOrPanic()
}

// ParseFrame undoes [FrameToken]: it checks the framing and the OID and
// returns the token ID and the message. The inner bytes are not DER
// (RFC 2743 §3.1 says "innerContextToken ANY"), so only the outer length
// is checked.
func ParseFrame(tok []byte) (tokID uint16, message []byte, err error) {
	const op = "decode token"
	if len(tok) > maxToken {
		return 0, nil, errorf(op, ErrMalformed, "%d bytes, more than %d", len(tok), maxToken)
	}
	s := cryptobyte.String(tok)
	var inner, oid cryptobyte.String
	if !s.ReadASN1(&inner, tagApp0) || !s.Empty() {
		return 0, nil, errorf(op, ErrMalformed, "not an [APPLICATION 0] InitialContextToken")
	}
	if !inner.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return 0, nil, errorf(op, ErrMalformed, "no mechanism OID")
	}
	want, _ := asn1.Marshal(OIDKerberos)
	if !bytes.Equal(want[2:], oid) {
		return 0, nil, errorf(op, ErrMalformed, "mechanism OID is not Kerberos V5 (1.2.840.113554.1.2.2)")
	}
	if !inner.ReadUint16(&tokID) {
		return 0, nil, errorf(op, ErrMalformed, "no TOK_ID")
	}
	return tokID, []byte(inner), nil
}
