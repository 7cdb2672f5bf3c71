package spnego

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Mechanism OIDs.
var (
	// OIDSPNEGO is SPNEGO itself, RFC 4178 §4.1 (1.3.6.1.5.5.2).
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	// OIDKerberos is Kerberos V5, RFC 1964 (1.2.840.113554.1.2.2).
	OIDKerberos = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKerberos is Microsoft's mistyped Kerberos OID
	// (1.2.840.48018.1.2.2) that Windows lists first; its tokens are
	// Kerberos V5 tokens.
	OIDMSKerberos = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
)

// NegState is the negState of a NegTokenResp, RFC 4178 §4.2.2.
type NegState int

// Negotiation states. NegStateAbsent means the field is not sent.
const (
	NegStateAcceptCompleted  NegState = 0
	NegStateAcceptIncomplete NegState = 1
	NegStateReject           NegState = 2
	NegStateRequestMIC       NegState = 3
	NegStateAbsent           NegState = -1
)

func (s NegState) String() string {
	switch s {
	case NegStateAcceptCompleted:
		return "accept-completed"
	case NegStateAcceptIncomplete:
		return "accept-incomplete"
	case NegStateReject:
		return "reject"
	case NegStateRequestMIC:
		return "request-mic"
	case NegStateAbsent:
		return "absent"
	}
	return fmt.Sprintf("NegState(%d)", int(s))
}

// ErrMalformed means a token is not the DER RFC 4178 defines.
var ErrMalformed = errors.New("spnego: malformed token")

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// NegTokenInit is the initiator's first token, RFC 4178 §4.2.1, sent
// inside the GSS-API InitialContextToken framing with OIDSPNEGO.
type NegTokenInit struct {
	MechTypes []asn1.ObjectIdentifier
	// ReqFlags is the DER content of the deprecated reqFlags BIT STRING
	// (unused bits octet first), nil when absent.
	ReqFlags    []byte
	MechToken   []byte // OPTIONAL: the optimistic token of MechTypes[0]
	MechListMIC []byte // OPTIONAL
}

// NegTokenResp is every later token in either direction, RFC 4178 §4.2.2.
type NegTokenResp struct {
	NegState      NegState              // NegStateAbsent when not sent
	SupportedMech asn1.ObjectIdentifier // OPTIONAL
	ResponseToken []byte                // OPTIONAL
	MechListMIC   []byte                // OPTIONAL
}

var (
	tagApp0 = cbasn1.Tag(0x60)
	ctx     = func(n uint8) cbasn1.Tag { return cbasn1.Tag(n).ContextSpecific().Constructed() }
)

// Marshal encodes t as the framed initial token: [APPLICATION 0] {
// OIDSPNEGO, [0] NegTokenInit }.
func (t *NegTokenInit) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(tagApp0, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSPNEGO)
		b.AddASN1(ctx(0), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(ctx(0), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, m := range t.MechTypes {
							b.AddASN1ObjectIdentifier(m)
						}
					})
				})
				if t.ReqFlags != nil {
					b.AddASN1(ctx(1), func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(t.ReqFlags) })
					})
				}
				addOctets(b, 2, t.MechToken)
				addOctets(b, 3, t.MechListMIC)
			})
		})
	})
	return b.Bytes()
}

// MechTypesDER is the DER MechTypeList, what a mechListMIC is computed
// over (RFC 4178 §5).
func (t *NegTokenInit) MechTypesDER() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, m := range t.MechTypes {
			b.AddASN1ObjectIdentifier(m)
		}
	})
	out, _ := b.Bytes()
	return out
}

func addOctets(b *cryptobyte.Builder, n uint8, v []byte) {
	if v == nil {
		return
	}
	b.AddASN1(ctx(n), func(b *cryptobyte.Builder) { b.AddASN1OctetString(v) })
}

// Marshal encodes t as [1] NegTokenResp.
func (t *NegTokenResp) Marshal() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(ctx(1), func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if t.NegState != NegStateAbsent {
				b.AddASN1(ctx(0), func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(t.NegState)) })
			}
			if t.SupportedMech != nil {
				b.AddASN1(ctx(1), func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(t.SupportedMech) })
			}
			addOctets(b, 2, t.ResponseToken)
			addOctets(b, 3, t.MechListMIC)
		})
	})
	return b.Bytes()
}

// maxToken bounds the tokens decoded (a Kerberos ticket with a large PAC
// stays far below).
const maxToken = 1 << 20

// ParseNegTokenInit decodes the framed initial token. Only DER that
// [NegTokenInit.Marshal] would produce again is accepted.
func ParseNegTokenInit(tok []byte) (*NegTokenInit, error) {
	if len(tok) > maxToken {
		return nil, malformed("token too large")
	}
	s := cryptobyte.String(tok)
	var inner, body, seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&inner, tagApp0) || !s.Empty() {
		return nil, malformed("not an [APPLICATION 0] InitialContextToken")
	}
	if !inner.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(OIDSPNEGO) {
		return nil, malformed("mechanism is not SPNEGO (1.3.6.1.5.5.2)")
	}
	if !inner.ReadASN1(&body, ctx(0)) || !inner.Empty() {
		return nil, malformed("not a [0] NegTokenInit")
	}
	if !body.ReadASN1(&seq, cbasn1.SEQUENCE) || !body.Empty() {
		return nil, malformed("NegTokenInit is not a SEQUENCE")
	}
	t := &NegTokenInit{}
	var f, list cryptobyte.String
	if !seq.ReadASN1(&f, ctx(0)) || !f.ReadASN1(&list, cbasn1.SEQUENCE) || !f.Empty() {
		return nil, malformed("NegTokenInit has no mechTypes")
	}
	for !list.Empty() {
		var m asn1.ObjectIdentifier
		if !list.ReadASN1ObjectIdentifier(&m) {
			return nil, malformed("mechTypes holds a non-OID")
		}
		t.MechTypes = append(t.MechTypes, m)
	}
	if seq.PeekASN1Tag(ctx(1)) {
		var bs cryptobyte.String
		if !seq.ReadASN1(&f, ctx(1)) || !f.ReadASN1(&bs, cbasn1.BIT_STRING) || !f.Empty() || len(bs) == 0 {
			return nil, malformed("reqFlags is not a BIT STRING")
		}
		t.ReqFlags = []byte(bs)
	}
	var err error
	if t.MechToken, err = readOptOctets(&seq, 2, "mechToken"); err != nil {
		return nil, err
	}
	if t.MechListMIC, err = readOptOctets(&seq, 3, "mechListMIC"); err != nil {
		return nil, err
	}
	if !seq.Empty() {
		return nil, malformed("unexpected field in NegTokenInit")
	}
	if again, err := t.Marshal(); err != nil || !bytes.Equal(again, tok) {
		return nil, malformed("NegTokenInit is not DER")
	}
	return t, nil
}

func readOptOctets(s *cryptobyte.String, n uint8, name string) ([]byte, error) {
	if !s.PeekASN1Tag(ctx(n)) {
		return nil, nil
	}
	var f, v cryptobyte.String
	if !s.ReadASN1(&f, ctx(n)) || !f.ReadASN1(&v, cbasn1.OCTET_STRING) || !f.Empty() {
		return nil, malformed(name + " is not an OCTET STRING")
	}
	return append([]byte{}, v...), nil
}

// ParseNegTokenResp decodes [1] NegTokenResp. Only DER that
// [NegTokenResp.Marshal] would produce again is accepted.
func ParseNegTokenResp(tok []byte) (*NegTokenResp, error) {
	if len(tok) > maxToken {
		return nil, malformed("token too large")
	}
	s := cryptobyte.String(tok)
	var body, seq, f cryptobyte.String
	if !s.ReadASN1(&body, ctx(1)) || !s.Empty() {
		return nil, malformed("not a [1] NegTokenResp")
	}
	if !body.ReadASN1(&seq, cbasn1.SEQUENCE) || !body.Empty() {
		return nil, malformed("NegTokenResp is not a SEQUENCE")
	}
	t := &NegTokenResp{NegState: NegStateAbsent}
	if seq.PeekASN1Tag(ctx(0)) {
		var v int
		if !seq.ReadASN1(&f, ctx(0)) || !f.ReadASN1Enum(&v) || !f.Empty() || v < 0 || v > 3 {
			return nil, malformed("negState is not an ENUMERATED 0..3")
		}
		t.NegState = NegState(v)
	}
	if seq.PeekASN1Tag(ctx(1)) {
		var m asn1.ObjectIdentifier
		if !seq.ReadASN1(&f, ctx(1)) || !f.ReadASN1ObjectIdentifier(&m) || !f.Empty() {
			return nil, malformed("supportedMech is not an OID")
		}
		t.SupportedMech = m
	}
	var err error
	if t.ResponseToken, err = readOptOctets(&seq, 2, "responseToken"); err != nil {
		return nil, err
	}
	if t.MechListMIC, err = readOptOctets(&seq, 3, "mechListMIC"); err != nil {
		return nil, err
	}
	if !seq.Empty() {
		return nil, malformed("unexpected field in NegTokenResp")
	}
	if again, err := t.Marshal(); err != nil || !bytes.Equal(again, tok) {
		return nil, malformed("NegTokenResp is not DER")
	}
	return t, nil
}

// isKerberos reports whether m names the Kerberos mechanism (either OID).
func isKerberos(m asn1.ObjectIdentifier) bool {
	return m.Equal(OIDKerberos) || m.Equal(OIDMSKerberos)
}
