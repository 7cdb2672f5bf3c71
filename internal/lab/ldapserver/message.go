package ldapserver

import (
	"errors"
	"fmt"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// Control is an LDAP control (RFC 4511 §4.1.11). Value is nil when the
// control has no controlValue.
type Control struct {
	OID      string
	Critical bool
	Value    []byte
}

// Attribute is an attribute description with its values (a PartialAttribute
// of RFC 4511 §4.1.7).
type Attribute struct {
	Name   string
	Values [][]byte
}

// Modify operations of a [Change] (RFC 4511 §4.6).
const (
	ChangeAdd     = 0
	ChangeDelete  = 1
	ChangeReplace = 2
)

// Change is one modification of a ModifyRequest: Op is [ChangeAdd],
// [ChangeDelete] or [ChangeReplace].
type Change struct {
	Op   int
	Attr Attribute
}

// BindRequest is RFC 4511 §4.2. Simple is the simple password (nil for a
// SASL bind); Mechanism and Credentials are the SASL mechanism and
// credentials (Credentials nil when absent).
type BindRequest struct {
	Version     int
	Name        string
	Simple      []byte
	Mechanism   string
	Credentials []byte
	Controls    []Control
}

// Search scopes (RFC 4511 §4.5.1.2).
const (
	ScopeBaseObject   = 0
	ScopeSingleLevel  = 1
	ScopeWholeSubtree = 2
)

// SearchRequest is RFC 4511 §4.5.1. SizeLimit and TimeLimit are the
// client's (0 = none); the server enforces them.
type SearchRequest struct {
	BaseDN       string
	Scope        int
	DerefAliases int
	SizeLimit    int
	TimeLimit    int
	TypesOnly    bool
	Filter       Filter
	Attributes   []string
	Controls     []Control
}

// AddRequest is RFC 4511 §4.7.
type AddRequest struct {
	DN       string
	Attrs    []Attribute
	Controls []Control
}

// ModifyRequest is RFC 4511 §4.6.
type ModifyRequest struct {
	DN       string
	Changes  []Change
	Controls []Control
}

// DeleteRequest is RFC 4511 §4.8.
type DeleteRequest struct {
	DN       string
	Controls []Control
}

// ModifyDNRequest is RFC 4511 §4.9. NewSuperior is "" when absent.
type ModifyDNRequest struct {
	DN           string
	NewRDN       string
	DeleteOldRDN bool
	NewSuperior  string
	Controls     []Control
}

// CompareRequest is RFC 4511 §4.10. Controls is an addition to the brief's
// API so that handlers see them as for every other operation.
type CompareRequest struct {
	DN       string
	Attr     string
	Value    []byte
	Controls []Control
}

// extendedRequest is RFC 4511 §4.12.
type extendedRequest struct {
	Name     string
	Value    []byte
	Controls []Control
}

// abandonRequest is RFC 4511 §4.11.
type abandonRequest struct{ ID int64 }

// unbindRequest is RFC 4511 §4.3.
type unbindRequest struct{}

// Application tags of the protocolOp CHOICE (RFC 4511 Appendix B).
const (
	appBindRequest      = 0
	appBindResponse     = 1
	appUnbindRequest    = 2
	appSearchRequest    = 3
	appSearchEntry      = 4
	appSearchDone       = 5
	appModifyRequest    = 6
	appModifyResponse   = 7
	appAddRequest       = 8
	appAddResponse      = 9
	appDelRequest       = 10
	appDelResponse      = 11
	appModDNRequest     = 12
	appModDNResponse    = 13
	appCompareRequest   = 14
	appCompareResponse  = 15
	appAbandonRequest   = 16
	appSearchReference  = 19
	appExtendedRequest  = 23
	appExtendedResponse = 24
)

// message is a decoded LDAPMessage: op is one of the request types above.
type message struct {
	ID  int64
	Op  any
	Tag ber.Tag // the protocolOp's application tag
}

// A decodeError is an LDAPMessage whose outer structure is not valid: the
// connection ends with a Notice of Disconnection.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return "ldapserver: malformed LDAPMessage: " + e.msg }

func errf(format string, args ...any) error {
	return &decodeError{fmt.Sprintf(format, args...)}
}

// A requestError is a request whose envelope is sound but whose fields are
// not: the operation gets a response with Code (RFC 4511 §4.1.1 allows
// either; this keeps the session when it can).
type requestError struct {
	Code ResultCode
	Msg  string
}

func (e *requestError) Error() string { return e.Msg }

// decodeMessage decodes one LDAPMessage PDU (RFC 4511 §4.2). On a
// *requestError the returned message still carries ID and Tag so that the
// caller can answer.
func decodeMessage(data []byte) (*message, error) {
	p, err := ber.DecodePacketErr(data)
	if err != nil {
		return nil, errf("%v", err)
	}
	if !is(p, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) {
		return nil, errf("envelope is %s, want SEQUENCE", describe(p))
	}
	if len(p.Children) < 2 || len(p.Children) > 3 {
		return nil, errf("envelope has %d elements, want 2 or 3", len(p.Children))
	}
	id, err := integer(p.Children[0], "messageID")
	if err != nil {
		return nil, err
	}
	if id < 0 || id > 1<<31-1 {
		return nil, errf("messageID %d out of range", id)
	}
	opP := p.Children[1]
	if opP.ClassType != ber.ClassApplication {
		return nil, errf("protocolOp is %s, want an APPLICATION tag", describe(opP))
	}
	m := &message{ID: id, Tag: opP.Tag}
	var controls []Control
	if len(p.Children) == 3 {
		controls, err = decodeControls(p.Children[2])
		if err != nil {
			return nil, err
		}
	}
	m.Op, err = decodeOp(opP, controls)
	var re *requestError
	if errors.As(err, &re) {
		return m, err
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeOp(p *ber.Packet, controls []Control) (any, error) {
	switch p.Tag {
	case appBindRequest:
		return decodeBind(p, controls)
	case appUnbindRequest:
		if p.TagType != ber.TypePrimitive || p.Data.Len() != 0 {
			return nil, errf("UnbindRequest is not an empty NULL")
		}
		return &unbindRequest{}, nil
	case appSearchRequest:
		return decodeSearch(p, controls)
	case appModifyRequest:
		return decodeModify(p, controls)
	case appAddRequest:
		return decodeAdd(p, controls)
	case appDelRequest:
		if p.TagType != ber.TypePrimitive {
			return nil, errf("DelRequest is constructed")
		}
		return &DeleteRequest{DN: string(p.Data.Bytes()), Controls: controls}, nil
	case appModDNRequest:
		return decodeModDN(p, controls)
	case appCompareRequest:
		return decodeCompare(p, controls)
	case appAbandonRequest:
		if p.TagType != ber.TypePrimitive {
			return nil, errf("AbandonRequest is constructed")
		}
		id, err := parseInt(p.Data.Bytes(), "AbandonRequest")
		if err != nil {
			return nil, err
		}
		return &abandonRequest{ID: id}, nil
	case appExtendedRequest:
		return decodeExtended(p, controls)
	}
	return nil, errf("protocolOp [APPLICATION %d] is not a request", p.Tag)
}

func decodeControls(p *ber.Packet) ([]Control, error) {
	if !is(p, ber.ClassContext, ber.TypeConstructed, 0) {
		return nil, errf("controls are %s, want [0] SEQUENCE", describe(p))
	}
	out := make([]Control, 0, len(p.Children))
	for i, c := range p.Children {
		if !is(c, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(c.Children) < 1 || len(c.Children) > 3 {
			return nil, errf("control %d is %s with %d elements, want SEQUENCE of 1 to 3", i, describe(c), len(c.Children))
		}
		oid, err := octets(c.Children[0], "controlType")
		if err != nil {
			return nil, err
		}
		ctl := Control{OID: string(oid)}
		rest := c.Children[1:]
		if len(rest) > 0 && is(rest[0], ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean) {
			if ctl.Critical, err = boolean(rest[0], "criticality"); err != nil {
				return nil, err
			}
			rest = rest[1:]
		}
		if len(rest) > 0 {
			v, err := octets(rest[0], "controlValue")
			if err != nil {
				return nil, err
			}
			ctl.Value = v
			rest = rest[1:]
		}
		if len(rest) != 0 {
			return nil, errf("control %s has trailing elements", ctl.OID)
		}
		out = append(out, ctl)
	}
	return out, nil
}

func decodeBind(p *ber.Packet, controls []Control) (*BindRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 3 {
		return nil, errf("BindRequest has %d elements, want 3", len(p.Children))
	}
	v, err := integer(p.Children[0], "BindRequest.version")
	if err != nil {
		return nil, err
	}
	name, err := octets(p.Children[1], "BindRequest.name")
	if err != nil {
		return nil, err
	}
	r := &BindRequest{Version: int(v), Name: string(name), Controls: controls}
	auth := p.Children[2]
	switch {
	case is(auth, ber.ClassContext, ber.TypePrimitive, 0):
		r.Simple = append([]byte{}, auth.Data.Bytes()...)
	case is(auth, ber.ClassContext, ber.TypeConstructed, 3):
		if len(auth.Children) < 1 || len(auth.Children) > 2 {
			return nil, errf("SaslCredentials has %d elements", len(auth.Children))
		}
		mech, err := octets(auth.Children[0], "SaslCredentials.mechanism")
		if err != nil {
			return nil, err
		}
		r.Mechanism = string(mech)
		if len(auth.Children) == 2 {
			if r.Credentials, err = octets(auth.Children[1], "SaslCredentials.credentials"); err != nil {
				return nil, err
			}
		}
	default:
		return r, &requestError{AuthMethodNotSupported, fmt.Sprintf("authentication choice %s is not supported", describe(auth))}
	}
	if v < 1 || v > 127 {
		return nil, errf("BindRequest.version %d out of range 1..127", v)
	}
	if v != 3 {
		return r, &requestError{ProtocolError, fmt.Sprintf("LDAP version %d is not supported, only 3", v)}
	}
	return r, nil
}

func decodeSearch(p *ber.Packet, controls []Control) (*SearchRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 8 {
		return nil, errf("SearchRequest has %d elements, want 8", len(p.Children))
	}
	c := p.Children
	base, err := octets(c[0], "SearchRequest.baseObject")
	if err != nil {
		return nil, err
	}
	scope, err := enumerated(c[1], "SearchRequest.scope")
	if err != nil {
		return nil, err
	}
	deref, err := enumerated(c[2], "SearchRequest.derefAliases")
	if err != nil {
		return nil, err
	}
	size, err := integer(c[3], "SearchRequest.sizeLimit")
	if err != nil {
		return nil, err
	}
	tl, err := integer(c[4], "SearchRequest.timeLimit")
	if err != nil {
		return nil, err
	}
	typesOnly, err := boolean(c[5], "SearchRequest.typesOnly")
	if err != nil {
		return nil, err
	}
	f, err := decodeFilter(c[6], 0)
	if err != nil {
		return nil, err
	}
	if !is(c[7], ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) {
		return nil, errf("SearchRequest.attributes is %s, want SEQUENCE", describe(c[7]))
	}
	attrs := make([]string, 0, len(c[7].Children))
	for _, a := range c[7].Children {
		s, err := octets(a, "SearchRequest.attributes")
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, string(s))
	}
	r := &SearchRequest{BaseDN: string(base), Scope: int(scope), DerefAliases: int(deref),
		SizeLimit: int(size), TimeLimit: int(tl), TypesOnly: typesOnly, Filter: f,
		Attributes: attrs, Controls: controls}
	if size < 0 || size > 1<<31-1 || tl < 0 || tl > 1<<31-1 {
		return r, &requestError{ProtocolError, fmt.Sprintf("sizeLimit %d or timeLimit %d out of range 0..maxInt", size, tl)}
	}
	if scope < 0 || scope > 2 {
		return r, &requestError{ProtocolError, fmt.Sprintf("SearchRequest.scope %d is not 0, 1 or 2", scope)}
	}
	if deref < 0 || deref > 3 {
		return r, &requestError{ProtocolError, fmt.Sprintf("SearchRequest.derefAliases %d is not 0..3", deref)}
	}
	return r, nil
}

func decodeAttribute(p *ber.Packet, what string) (Attribute, error) {
	if !is(p, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(p.Children) != 2 {
		return Attribute{}, errf("%s is %s with %d elements, want SEQUENCE {type, vals}", what, describe(p), len(p.Children))
	}
	name, err := octets(p.Children[0], what+".type")
	if err != nil {
		return Attribute{}, err
	}
	set := p.Children[1]
	if !is(set, ber.ClassUniversal, ber.TypeConstructed, ber.TagSet) {
		return Attribute{}, errf("%s.vals is %s, want SET", what, describe(set))
	}
	a := Attribute{Name: string(name), Values: make([][]byte, 0, len(set.Children))}
	for _, v := range set.Children {
		b, err := octets(v, what+".vals")
		if err != nil {
			return Attribute{}, err
		}
		a.Values = append(a.Values, b)
	}
	return a, nil
}

func decodeModify(p *ber.Packet, controls []Control) (*ModifyRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 2 {
		return nil, errf("ModifyRequest has %d elements, want 2", len(p.Children))
	}
	dn, err := octets(p.Children[0], "ModifyRequest.object")
	if err != nil {
		return nil, err
	}
	chs := p.Children[1]
	if !is(chs, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) {
		return nil, errf("ModifyRequest.changes is %s, want SEQUENCE", describe(chs))
	}
	r := &ModifyRequest{DN: string(dn), Controls: controls}
	var bad error
	for _, ch := range chs.Children {
		if !is(ch, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(ch.Children) != 2 {
			return nil, errf("ModifyRequest change is %s, want SEQUENCE {operation, modification}", describe(ch))
		}
		op, err := enumerated(ch.Children[0], "change.operation")
		if err != nil {
			return nil, err
		}
		a, err := decodeAttribute(ch.Children[1], "change.modification")
		if err != nil {
			return nil, err
		}
		if op < 0 || op > 2 {
			bad = &requestError{ProtocolError, fmt.Sprintf("change.operation %d is not add(0), delete(1) or replace(2)", op)}
		}
		r.Changes = append(r.Changes, Change{Op: int(op), Attr: a})
	}
	return r, bad
}

func decodeAdd(p *ber.Packet, controls []Control) (*AddRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 2 {
		return nil, errf("AddRequest has %d elements, want 2", len(p.Children))
	}
	dn, err := octets(p.Children[0], "AddRequest.entry")
	if err != nil {
		return nil, err
	}
	list := p.Children[1]
	if !is(list, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) {
		return nil, errf("AddRequest.attributes is %s, want SEQUENCE", describe(list))
	}
	r := &AddRequest{DN: string(dn), Controls: controls}
	for _, a := range list.Children {
		attr, err := decodeAttribute(a, "AddRequest.attribute")
		if err != nil {
			return nil, err
		}
		r.Attrs = append(r.Attrs, attr)
	}
	return r, nil
}

func decodeModDN(p *ber.Packet, controls []Control) (*ModifyDNRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) < 3 || len(p.Children) > 4 {
		return nil, errf("ModifyDNRequest has %d elements, want 3 or 4", len(p.Children))
	}
	dn, err := octets(p.Children[0], "ModifyDNRequest.entry")
	if err != nil {
		return nil, err
	}
	rdn, err := octets(p.Children[1], "ModifyDNRequest.newrdn")
	if err != nil {
		return nil, err
	}
	del, err := boolean(p.Children[2], "ModifyDNRequest.deleteoldrdn")
	if err != nil {
		return nil, err
	}
	r := &ModifyDNRequest{DN: string(dn), NewRDN: string(rdn), DeleteOldRDN: del, Controls: controls}
	if len(p.Children) == 4 {
		s := p.Children[3]
		if !is(s, ber.ClassContext, ber.TypePrimitive, 0) {
			return nil, errf("ModifyDNRequest.newSuperior is %s, want [0]", describe(s))
		}
		r.NewSuperior = string(s.Data.Bytes())
	}
	return r, nil
}

func decodeCompare(p *ber.Packet, controls []Control) (*CompareRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 2 {
		return nil, errf("CompareRequest has %d elements, want 2", len(p.Children))
	}
	dn, err := octets(p.Children[0], "CompareRequest.entry")
	if err != nil {
		return nil, err
	}
	attr, val, err := decodeAVA(p.Children[1], "CompareRequest.ava")
	if err != nil {
		return nil, err
	}
	return &CompareRequest{DN: string(dn), Attr: attr, Value: val, Controls: controls}, nil
}

func decodeAVA(p *ber.Packet, what string) (string, []byte, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) != 2 {
		return "", nil, errf("%s is %s with %d elements, want {attributeDesc, assertionValue}", what, describe(p), len(p.Children))
	}
	a, err := octets(p.Children[0], what+".attributeDesc")
	if err != nil {
		return "", nil, err
	}
	v, err := octets(p.Children[1], what+".assertionValue")
	if err != nil {
		return "", nil, err
	}
	return string(a), v, nil
}

func decodeExtended(p *ber.Packet, controls []Control) (*extendedRequest, error) {
	if p.TagType != ber.TypeConstructed || len(p.Children) < 1 || len(p.Children) > 2 {
		return nil, errf("ExtendedRequest has %d elements, want 1 or 2", len(p.Children))
	}
	n := p.Children[0]
	if !is(n, ber.ClassContext, ber.TypePrimitive, 0) {
		return nil, errf("ExtendedRequest.requestName is %s, want [0]", describe(n))
	}
	r := &extendedRequest{Name: string(n.Data.Bytes()), Controls: controls}
	if len(p.Children) == 2 {
		v := p.Children[1]
		if !is(v, ber.ClassContext, ber.TypePrimitive, 1) {
			return nil, errf("ExtendedRequest.requestValue is %s, want [1]", describe(v))
		}
		r.Value = append([]byte{}, v.Data.Bytes()...)
	}
	return r, nil
}

// BER element helpers: explicit tag checks, values parsed from the raw
// content octets rather than from what the BER library guessed.

func is(p *ber.Packet, class ber.Class, typ ber.Type, tag ber.Tag) bool {
	return p.ClassType == class && p.TagType == typ && p.Tag == tag
}

func describe(p *ber.Packet) string {
	class := map[ber.Class]string{ber.ClassUniversal: "UNIVERSAL", ber.ClassApplication: "APPLICATION",
		ber.ClassContext: "CONTEXT", ber.ClassPrivate: "PRIVATE"}[p.ClassType]
	kind := "primitive"
	if p.TagType == ber.TypeConstructed {
		kind = "constructed"
	}
	return fmt.Sprintf("[%s %d] %s", class, p.Tag, kind)
}

func octets(p *ber.Packet, what string) ([]byte, error) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString) {
		return nil, errf("%s is %s, want OCTET STRING", what, describe(p))
	}
	return append([]byte{}, p.Data.Bytes()...), nil
}

func integer(p *ber.Packet, what string) (int64, error) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger) {
		return 0, errf("%s is %s, want INTEGER", what, describe(p))
	}
	return parseInt(p.Data.Bytes(), what)
}

func enumerated(p *ber.Packet, what string) (int64, error) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated) {
		return 0, errf("%s is %s, want ENUMERATED", what, describe(p))
	}
	return parseInt(p.Data.Bytes(), what)
}

func boolean(p *ber.Packet, what string) (bool, error) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean) {
		return false, errf("%s is %s, want BOOLEAN", what, describe(p))
	}
	b := p.Data.Bytes()
	if len(b) != 1 {
		return false, errf("%s BOOLEAN has %d content octets, want 1", what, len(b))
	}
	return b[0] != 0, nil
}

func parseInt(b []byte, what string) (int64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, errf("%s INTEGER has %d content octets, want 1 to 8", what, len(b))
	}
	v := int64(int8(b[0]))
	for _, x := range b[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// Response encoding.

func envelope(id int64, op *ber.Packet, controls []Control) *ber.Packet {
	m := ber.NewSequence("LDAPMessage")
	m.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "messageID"))
	m.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "controls")
		for _, c := range controls {
			cs.AppendChild(encodeControl(c))
		}
		m.AppendChild(cs)
	}
	return m
}

func encodeControl(c Control) *ber.Packet {
	p := ber.NewSequence("Control")
	p.AppendChild(octetString(c.OID))
	if c.Critical {
		p.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, true, "criticality"))
	}
	if c.Value != nil {
		p.AppendChild(octetString(string(c.Value)))
	}
	return p
}

func octetString(s string) *ber.Packet {
	return ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, s, "")
}

func resultPacket(tag ber.Tag, r Result) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(r.Code), "resultCode"))
	p.AppendChild(octetString(r.MatchedDN))
	p.AppendChild(octetString(r.Message))
	return p
}

func bindResponse(r BindResult) *ber.Packet {
	p := resultPacket(appBindResponse, r.Result)
	if r.ServerSASLCreds != nil {
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 7, string(r.ServerSASLCreds), "serverSaslCreds"))
	}
	return p
}

func extendedResponse(r Result, name string, value []byte) *ber.Packet {
	p := resultPacket(appExtendedResponse, r)
	if name != "" {
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 10, name, "responseName"))
	}
	if value != nil {
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 11, string(value), "responseValue"))
	}
	return p
}

func entryPacket(dn string, attrs []Attribute) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appSearchEntry, nil, "SearchResultEntry")
	p.AppendChild(octetString(dn))
	list := ber.NewSequence("attributes")
	for _, a := range attrs {
		pa := ber.NewSequence("PartialAttribute")
		pa.AppendChild(octetString(a.Name))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
		for _, v := range a.Values {
			set.AppendChild(octetString(string(v)))
		}
		pa.AppendChild(set)
		list.AppendChild(pa)
	}
	p.AppendChild(list)
	return p
}

func referencePacket(urls []string) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appSearchReference, nil, "SearchResultReference")
	for _, u := range urls {
		p.AppendChild(octetString(u))
	}
	return p
}

// responseTag is the response protocolOp for a request protocolOp, or -1
// for requests without a response.
func responseTag(req ber.Tag) int {
	switch req {
	case appBindRequest:
		return appBindResponse
	case appSearchRequest:
		return appSearchDone
	case appModifyRequest:
		return appModifyResponse
	case appAddRequest:
		return appAddResponse
	case appDelRequest:
		return appDelResponse
	case appModDNRequest:
		return appModDNResponse
	case appCompareRequest:
		return appCompareResponse
	case appExtendedRequest:
		return appExtendedResponse
	}
	return -1
}
