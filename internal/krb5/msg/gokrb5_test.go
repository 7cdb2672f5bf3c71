// This cross-check uses gokrb5 v8.4.4 as an oracle (test-only dependency):
// what this package encodes, gokrb5 reads with the same field values, and
// what gokrb5 encodes, this package reads.
//
// gokrb5's messages package cannot be built in this module: it imports
// gokrb5/config, credentials and pac, whose dependencies (jcmturner/dnsutils,
// hashicorp/go-uuid, jcmturner/rpc) have no go.sum entry. Its codec is
// nothing but gokrb5/types structures and gofork's encoding/asn1 with an
// APPLICATION wrapper (asn1tools.AddASNAppTag), so the gk* structures below
// restate its message shapes from RFC 4120 for that same codec; everything
// below the message level (Authenticator, EncryptedData, PA-DATA,
// ETYPE-INFO2, PA-ENC-TS-ENC, keys, checksums, encryption) is gokrb5's own.

package msg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	gkasn1tools "github.com/jcmturner/gokrb5/v8/asn1tools"
	gkcrypto "github.com/jcmturner/gokrb5/v8/crypto"
	gktypes "github.com/jcmturner/gokrb5/v8/types"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

type gkTicket struct {
	TktVNO  int                   `asn1:"explicit,tag:0"`
	Realm   string                `asn1:"generalstring,explicit,tag:1"`
	SName   gktypes.PrincipalName `asn1:"explicit,tag:2"`
	EncPart gktypes.EncryptedData `asn1:"explicit,tag:3"`
}

type gkTransited struct {
	TRType   int32  `asn1:"explicit,tag:0"`
	Contents []byte `asn1:"explicit,tag:1"`
}

type gkEncTicketPart struct {
	Flags             asn1.BitString            `asn1:"explicit,tag:0"`
	Key               gktypes.EncryptionKey     `asn1:"explicit,tag:1"`
	CRealm            string                    `asn1:"generalstring,explicit,tag:2"`
	CName             gktypes.PrincipalName     `asn1:"explicit,tag:3"`
	Transited         gkTransited               `asn1:"explicit,tag:4"`
	AuthTime          time.Time                 `asn1:"generalized,explicit,tag:5"`
	StartTime         time.Time                 `asn1:"generalized,explicit,optional,tag:6"`
	EndTime           time.Time                 `asn1:"generalized,explicit,tag:7"`
	RenewTill         time.Time                 `asn1:"generalized,explicit,optional,tag:8"`
	CAddr             gktypes.HostAddresses     `asn1:"explicit,optional,tag:9"`
	AuthorizationData gktypes.AuthorizationData `asn1:"explicit,optional,tag:10"`
}

type gkKDCReq struct {
	PVNO    int                    `asn1:"explicit,tag:1"`
	MsgType int                    `asn1:"explicit,tag:2"`
	PAData  gktypes.PADataSequence `asn1:"explicit,optional,tag:3"`
	ReqBody asn1.RawValue          `asn1:"explicit,tag:4"`
}

type gkKDCReqBody struct {
	KDCOptions        asn1.BitString        `asn1:"explicit,tag:0"`
	CName             gktypes.PrincipalName `asn1:"explicit,optional,tag:1"`
	Realm             string                `asn1:"generalstring,explicit,tag:2"`
	SName             gktypes.PrincipalName `asn1:"explicit,optional,tag:3"`
	From              time.Time             `asn1:"generalized,explicit,optional,tag:4"`
	Till              time.Time             `asn1:"generalized,explicit,tag:5"`
	RTime             time.Time             `asn1:"generalized,explicit,optional,tag:6"`
	Nonce             int                   `asn1:"explicit,tag:7"`
	EType             []int32               `asn1:"explicit,tag:8"`
	Addresses         []gktypes.HostAddress `asn1:"explicit,optional,tag:9"`
	EncAuthData       gktypes.EncryptedData `asn1:"explicit,optional,tag:10"`
	AdditionalTickets asn1.RawValue         `asn1:"explicit,optional,tag:11"`
}

type gkKDCRep struct {
	PVNO    int                    `asn1:"explicit,tag:0"`
	MsgType int                    `asn1:"explicit,tag:1"`
	PAData  gktypes.PADataSequence `asn1:"explicit,optional,tag:2"`
	CRealm  string                 `asn1:"generalstring,explicit,tag:3"`
	CName   gktypes.PrincipalName  `asn1:"explicit,tag:4"`
	Ticket  asn1.RawValue          `asn1:"explicit,tag:5"`
	EncPart gktypes.EncryptedData  `asn1:"explicit,tag:6"`
}

type gkLastReq struct {
	LRType  int32     `asn1:"explicit,tag:0"`
	LRValue time.Time `asn1:"generalized,explicit,tag:1"`
}

type gkEncKDCRepPart struct {
	Key           gktypes.EncryptionKey  `asn1:"explicit,tag:0"`
	LastReqs      []gkLastReq            `asn1:"explicit,tag:1"`
	Nonce         int                    `asn1:"explicit,tag:2"`
	KeyExpiration time.Time              `asn1:"generalized,explicit,optional,tag:3"`
	Flags         asn1.BitString         `asn1:"explicit,tag:4"`
	AuthTime      time.Time              `asn1:"generalized,explicit,tag:5"`
	StartTime     time.Time              `asn1:"generalized,explicit,optional,tag:6"`
	EndTime       time.Time              `asn1:"generalized,explicit,tag:7"`
	RenewTill     time.Time              `asn1:"generalized,explicit,optional,tag:8"`
	SRealm        string                 `asn1:"generalstring,explicit,tag:9"`
	SName         gktypes.PrincipalName  `asn1:"explicit,tag:10"`
	CAddr         []gktypes.HostAddress  `asn1:"explicit,optional,tag:11"`
	EncPAData     gktypes.PADataSequence `asn1:"explicit,optional,tag:12"`
}

type gkAPReq struct {
	PVNO          int                   `asn1:"explicit,tag:0"`
	MsgType       int                   `asn1:"explicit,tag:1"`
	APOptions     asn1.BitString        `asn1:"explicit,tag:2"`
	Ticket        asn1.RawValue         `asn1:"explicit,tag:3"`
	Authenticator gktypes.EncryptedData `asn1:"explicit,tag:4"`
}

type gkKRBError struct {
	PVNO      int                   `asn1:"explicit,tag:0"`
	MsgType   int                   `asn1:"explicit,tag:1"`
	CTime     time.Time             `asn1:"generalized,optional,explicit,tag:2"`
	Cusec     int                   `asn1:"optional,explicit,tag:3"`
	STime     time.Time             `asn1:"generalized,explicit,tag:4"`
	Susec     int                   `asn1:"explicit,tag:5"`
	ErrorCode int32                 `asn1:"explicit,tag:6"`
	CRealm    string                `asn1:"generalstring,optional,explicit,tag:7"`
	CName     gktypes.PrincipalName `asn1:"optional,explicit,tag:8"`
	Realm     string                `asn1:"generalstring,explicit,tag:9"`
	SName     gktypes.PrincipalName `asn1:"explicit,tag:10"`
	EText     string                `asn1:"generalstring,optional,explicit,tag:11"`
	EData     []byte                `asn1:"optional,explicit,tag:12"`
}

type gkKRBCred struct {
	PVNO    int                   `asn1:"explicit,tag:0"`
	MsgType int                   `asn1:"explicit,tag:1"`
	Tickets asn1.RawValue         `asn1:"explicit,tag:2"`
	EncPart gktypes.EncryptedData `asn1:"explicit,tag:3"`
}

// gkUnmarshal reads b, wrapped in [APPLICATION tag], as gokrb5 does.
func gkUnmarshal(t *testing.T, b []byte, tag int, v any) {
	t.Helper()
	rest, err := asn1.UnmarshalWithParams(b, v, fmt.Sprintf("application,explicit,tag:%d", tag))
	if err != nil || len(rest) != 0 {
		t.Fatalf("gokrb5 codec, [APPLICATION %d]: %v (%d bytes left)", tag, err, len(rest))
	}
}

// gkMarshal writes v wrapped in [APPLICATION tag], as gokrb5 does.
func gkMarshal(t *testing.T, v any, tag int) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatalf("gokrb5 codec: %v", err)
	}
	return gkasn1tools.AddASNAppTag(b, tag)
}

// gkRaw wraps an already encoded element in the EXPLICIT [tag] that a
// gokrb5 asn1.RawValue field stands for.
func gkRaw(tag int, b []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, IsCompound: true, Tag: tag, Bytes: b}
}

func gkTicketOf(t *testing.T, raw []byte) gkTicket {
	t.Helper()
	var g gkTicket
	gkUnmarshal(t, raw, 1, &g)
	return g
}

func fromGokrb5Name(p gktypes.PrincipalName) PrincipalName {
	return PrincipalName{NameType: NameType(p.NameType), NameString: p.NameString}
}

func toGokrb5Name(p PrincipalName) gktypes.PrincipalName {
	return gktypes.PrincipalName{NameType: int32(p.NameType), NameString: p.NameString}
}

func flagBytes(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func gkFlags(v uint32) asn1.BitString { return asn1.BitString{Bytes: flagBytes(v), BitLength: 32} }

func checkEqual(t *testing.T, what string, gokrb5, ours any) {
	t.Helper()
	if !reflect.DeepEqual(gokrb5, ours) {
		t.Errorf("%s: gokrb5 %#v, ours %#v", what, gokrb5, ours)
	}
}

func checkTime(t *testing.T, what string, gokrb5, ours time.Time) {
	t.Helper()
	if !gokrb5.Equal(ours) {
		t.Errorf("%s: gokrb5 %v, ours %v", what, gokrb5, ours)
	}
}

func checkTicket(t *testing.T, g gkTicket, want Ticket) {
	t.Helper()
	checkEqual(t, "tkt-vno", g.TktVNO, 5)
	checkEqual(t, "ticket realm", g.Realm, want.Realm)
	checkEqual(t, "ticket sname", fromGokrb5Name(g.SName), want.SName)
	checkEqual(t, "ticket etype", g.EncPart.EType, int32(want.EncPart.EType))
	checkEqual(t, "ticket kvno", g.EncPart.KVNO, int(*want.EncPart.KVNO))
	checkEqual(t, "ticket cipher", g.EncPart.Cipher, want.EncPart.Cipher)
}

// realisticTicket is a TGT as a KDC issues it: AES, a kvno.
func realisticTicket() Ticket {
	return Ticket{
		Realm: "CONTOSO.COM",
		SName: PrincipalName{NameType: NameTypeSrvInst, NameString: []string{"krbtgt", "CONTOSO.COM"}},
		EncPart: EncryptedData{EType: crypto.AES256CTSHMACSHA196, KVNO: new(uint32(2)),
			Cipher: bytes.Repeat([]byte{0xc1}, 80)},
	}
}

func TestGokrb5ReadsOurASReq(t *testing.T) {
	t.Parallel()
	cname := PrincipalName{NameType: NameTypePrincipal, NameString: []string{"webapp01$"}}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	req := &KDCReq{
		MsgType: MsgTypeASReq,
		PAData:  MethodData{NewPAPACRequest(true), {Type: PATypeEncTimestamp, Value: mustMarshal(t, new(sampleEncData()))}},
		ReqBody: KDCReqBody{
			KDCOptions: KDCOptionForwardable | KDCOptionRenewable | KDCOptionCanonicalize,
			CName:      &cname, Realm: "CONTOSO.COM", SName: new(realisticTicket().SName),
			Till: now.Add(10 * time.Hour), RTime: now.Add(7 * 24 * time.Hour), Nonce: 0x7fffffff,
			EType:     []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196, crypto.RC4HMAC},
			Addresses: HostAddresses{{AddrType: AddrTypeIPv4, Address: []byte{10, 0, 0, 7}}},
		},
	}
	var g gkKDCReq
	gkUnmarshal(t, mustMarshal(t, req), 10, &g)
	checkEqual(t, "pvno", g.PVNO, 5)
	checkEqual(t, "msg-type", g.MsgType, 10)
	checkEqual(t, "padata", len(g.PAData), 2)
	for i, pa := range g.PAData {
		checkEqual(t, "padata-type", pa.PADataType, int32(req.PAData[i].Type))
		checkEqual(t, "padata-value", pa.PADataValue, req.PAData[i].Value)
	}
	var ed gktypes.EncryptedData
	if err := ed.Unmarshal(g.PAData[1].PADataValue); err != nil || ed.KVNO != 5 || !bytes.Equal(ed.Cipher, sampleEncData().Cipher) {
		t.Errorf("gokrb5 EncryptedData: %+v, %v", ed, err)
	}
	var b gkKDCReqBody
	if _, err := asn1.Unmarshal(g.ReqBody.Bytes, &b); err != nil {
		t.Fatalf("gokrb5 KDC-REQ-BODY: %v", err)
	}
	checkEqual(t, "kdc-options", b.KDCOptions.Bytes, flagBytes(uint32(req.ReqBody.KDCOptions)))
	checkEqual(t, "kdc-options bits", b.KDCOptions.BitLength, 32)
	checkEqual(t, "cname", fromGokrb5Name(b.CName), cname)
	checkEqual(t, "realm", b.Realm, "CONTOSO.COM")
	checkEqual(t, "sname", fromGokrb5Name(b.SName), *req.ReqBody.SName)
	checkTime(t, "till", b.Till, req.ReqBody.Till)
	checkTime(t, "rtime", b.RTime, req.ReqBody.RTime)
	checkEqual(t, "nonce", b.Nonce, 0x7fffffff)
	checkEqual(t, "etype", b.EType, []int32{18, 17, 23})
	checkEqual(t, "addresses", b.Addresses, []gktypes.HostAddress{{AddrType: 2, Address: []byte{10, 0, 0, 7}}})
}

func TestGokrb5ReadsOurReplies(t *testing.T) {
	t.Parallel()
	for _, mt := range []MsgType{MsgTypeASRep, MsgTypeTGSRep} {
		rep := sampleKDCRep(mt)
		rep.Ticket = realisticTicket()
		var g gkKDCRep
		gkUnmarshal(t, mustMarshal(t, rep), int(mt), &g)
		checkEqual(t, "msg-type", g.MsgType, int(mt))
		checkEqual(t, "padata", len(g.PAData), 2)
		checkEqual(t, "crealm", g.CRealm, rep.CRealm)
		checkEqual(t, "cname", fromGokrb5Name(g.CName), rep.CName)
		checkTicket(t, gkTicketOf(t, g.Ticket.Bytes), rep.Ticket)
		checkEqual(t, "enc-part", g.EncPart.Cipher, rep.EncPart.Cipher)
	}

	for _, tag := range []MsgType{MsgTypeEncASRepPart, MsgTypeEncTGSRepPart} {
		part := sampleEncKDCRepPart()
		part.MsgType = tag
		part.Key = EncryptionKey{Type: crypto.AES256CTSHMACSHA196, Value: bytes.Repeat([]byte{7}, 32)}
		part.EncryptedPAData = MethodData{{Type: PATypeSupportedETypes, Value: []byte{0x1c, 0, 0, 0}}}
		var g gkEncKDCRepPart
		gkUnmarshal(t, mustMarshal(t, part), int(tag), &g)
		checkEqual(t, "key", g.Key, gktypes.EncryptionKey{KeyType: 18, KeyValue: part.Key.Value})
		checkEqual(t, "last-req", len(g.LastReqs), 2)
		checkEqual(t, "lr-type", g.LastReqs[1].LRType, int32(-5))
		checkEqual(t, "nonce", g.Nonce, int(part.Nonce))
		checkEqual(t, "flags", g.Flags.Bytes, flagBytes(uint32(part.Flags)))
		checkTime(t, "key-expiration", g.KeyExpiration, part.KeyExpiration)
		checkTime(t, "authtime", g.AuthTime, part.AuthTime)
		checkTime(t, "renew-till", g.RenewTill, part.RenewTill)
		checkEqual(t, "srealm", g.SRealm, part.SRealm)
		checkEqual(t, "sname", fromGokrb5Name(g.SName), part.SName)
		checkEqual(t, "caddr", len(g.CAddr), 2)
		checkEqual(t, "encrypted-pa-data", g.EncPAData[0].PADataType, int32(PATypeSupportedETypes))
	}

	e := sampleError()
	var g gkKRBError
	gkUnmarshal(t, mustMarshal(t, e), 30, &g)
	checkEqual(t, "error-code", g.ErrorCode, int32(60))
	checkTime(t, "ctime", g.CTime, e.CTime)
	checkEqual(t, "cusec", g.Cusec, int(*e.CUSec))
	checkTime(t, "stime", g.STime, e.STime)
	checkEqual(t, "susec", g.Susec, int(e.SUSec))
	checkEqual(t, "crealm", g.CRealm, e.CRealm)
	checkEqual(t, "cname", fromGokrb5Name(g.CName), *e.CName)
	checkEqual(t, "realm", g.Realm, e.Realm)
	checkEqual(t, "sname", fromGokrb5Name(g.SName), e.SName)
	checkEqual(t, "e-text", g.EText, e.EText)
	checkEqual(t, "e-data", g.EData, e.EData)
}

func TestGokrb5ReadsOurTicketsAPReqAndInnerStructures(t *testing.T) {
	t.Parallel()
	tkt := realisticTicket()
	ap := &APReq{APOptions: APOptionMutualRequired, Ticket: tkt, Authenticator: sampleEncData()}
	var ga gkAPReq
	gkUnmarshal(t, mustMarshal(t, ap), 14, &ga)
	checkEqual(t, "ap-options", ga.APOptions.Bytes, flagBytes(uint32(APOptionMutualRequired)))
	checkTicket(t, gkTicketOf(t, ga.Ticket.Bytes), tkt)
	checkEqual(t, "authenticator", ga.Authenticator.Cipher, ap.Authenticator.Cipher)

	a := sampleAuthenticator()
	var gauth gktypes.Authenticator
	if err := gauth.Unmarshal(mustMarshal(t, a)); err != nil {
		t.Fatalf("gokrb5 Authenticator: %v", err)
	}
	checkEqual(t, "crealm", gauth.CRealm, a.CRealm)
	checkEqual(t, "cname", fromGokrb5Name(gauth.CName), a.CName)
	checkEqual(t, "cksum", gauth.Cksum, gktypes.Checksum{CksumType: 1, Checksum: a.Cksum.Value})
	checkEqual(t, "cusec", gauth.Cusec, int(a.CUSec))
	checkTime(t, "ctime", gauth.CTime, a.CTime)
	checkEqual(t, "subkey", gauth.SubKey, gktypes.EncryptionKey{KeyType: 1, KeyValue: a.Subkey.Value})
	checkEqual(t, "seq-number", gauth.SeqNumber, int64(*a.SeqNumber))
	checkEqual(t, "authorization-data", gauth.AuthorizationData[1].ADData, a.AuthorizationData[1].Data)

	etp := sampleEncTktPart()
	var gtp gkEncTicketPart
	gkUnmarshal(t, mustMarshal(t, etp), 3, &gtp)
	checkEqual(t, "flags", gtp.Flags.Bytes, flagBytes(uint32(etp.Flags)))
	checkEqual(t, "crealm", gtp.CRealm, etp.CRealm)
	checkEqual(t, "transited", gtp.Transited.Contents, etp.Transited.Contents)
	checkTime(t, "starttime", gtp.StartTime, etp.StartTime)
	checkTime(t, "endtime", gtp.EndTime, etp.EndTime)
	checkEqual(t, "caddr", gtp.CAddr[0].Address, etp.CAddr[0].Address)
	checkEqual(t, "authorization-data", gtp.AuthorizationData[0].ADData, etp.AuthorizationData[0].Data)

	info := ETypeInfo2{{EType: crypto.AES256CTSHMACSHA196, Salt: new("CONTOSO.COMwebapp01"), S2KParams: []byte{0, 0, 0x10, 0}}, {EType: 23}}
	var ginfo gktypes.ETypeInfo2
	if err := ginfo.Unmarshal(mustMarshal(t, info)); err != nil {
		t.Fatalf("gokrb5 ETYPE-INFO2: %v", err)
	}
	checkEqual(t, "etype-info2", ginfo, gktypes.ETypeInfo2{{EType: 18, Salt: "CONTOSO.COMwebapp01", S2KParams: []byte{0, 0, 0x10, 0}}, {EType: 23}})

	ts := &PAEncTSEnc{PATimestamp: sampleTime, PAUSec: new(sampleUSec)}
	var gts gktypes.PAEncTSEnc
	if err := gts.Unmarshal(mustMarshal(t, ts)); err != nil {
		t.Fatalf("gokrb5 PA-ENC-TS-ENC: %v", err)
	}
	checkTime(t, "patimestamp", gts.PATimestamp, sampleTime)
	checkEqual(t, "pausec", gts.PAUSec, int(sampleUSec))

	cred := &KRBCred{Tickets: []Ticket{tkt, tkt}, EncPart: sampleEncData()}
	var gc gkKRBCred
	gkUnmarshal(t, mustMarshal(t, cred), 22, &gc)
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(gc.Tickets.Bytes, &seq); err != nil {
		t.Fatalf("gokrb5 KRB-CRED tickets: %v", err)
	}
	var raws []asn1.RawValue
	for rest := seq.Bytes; len(rest) > 0; {
		var rv asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &rv); err != nil {
			t.Fatalf("gokrb5 KRB-CRED ticket: %v", err)
		}
		raws = append(raws, rv)
	}
	checkEqual(t, "tickets", len(raws), 2)
	checkTicket(t, gkTicketOf(t, raws[1].FullBytes), tkt)
}

// gkNow is a time with fractional seconds, as gokrb5 takes from the clock.
var gkNow = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func gkASReq(t *testing.T) (gkKDCReq, gkKDCReqBody, []byte) {
	opts := gktypes.NewKrbFlags()
	gktypes.SetFlags(&opts, []int{1, 8, 15}) // forwardable, renewable, canonicalize
	body := gkKDCReqBody{
		KDCOptions: opts,
		CName:      gktypes.PrincipalName{NameType: 1, NameString: []string{"webapp01$"}},
		Realm:      "CONTOSO.COM",
		SName:      gktypes.PrincipalName{NameType: 2, NameString: []string{"krbtgt", "CONTOSO.COM"}},
		Till:       gkNow.Add(24 * time.Hour), RTime: gkNow.Add(7 * 24 * time.Hour),
		Nonce: 0x12345678, EType: []int32{18, 17, 20, 19},
	}
	bb, err := asn1.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := gkKDCReq{PVNO: 5, MsgType: 10,
		PAData:  gktypes.PADataSequence{{PADataType: 128, PADataValue: NewPAPACRequest(false).Value}},
		ReqBody: gkRaw(4, bb)}
	return req, body, gkMarshal(t, req, 10)
}

func TestWeReadGokrb5sASReqAndReencodeItExactly(t *testing.T) {
	t.Parallel()
	_, g, b := gkASReq(t)
	r, err := ParseKDCReq(b)
	if err != nil {
		t.Fatalf("ours: %v", err)
	}
	if r.MsgType != MsgTypeASReq || len(r.PAData) != 1 {
		t.Fatalf("got %+v", r)
	}
	if pr, err := ParsePAPACRequest(r.PAData[0].Value); err != nil || pr.IncludePAC {
		t.Errorf("PA-PAC-REQUEST %+v, %v", pr, err)
	}
	body := r.ReqBody
	checkEqual(t, "kdc-options", KDCOptionForwardable|KDCOptionRenewable|KDCOptionCanonicalize, body.KDCOptions)
	checkEqual(t, "cname", g.CName, toGokrb5Name(*body.CName))
	checkEqual(t, "sname", "krbtgt/CONTOSO.COM", body.SName.String())
	checkEqual(t, "realm", g.Realm, body.Realm)
	checkTime(t, "till", g.Till.Truncate(time.Second), body.Till)
	checkTime(t, "rtime", g.RTime.Truncate(time.Second), body.RTime)
	checkEqual(t, "nonce", g.Nonce, int(body.Nonce))
	checkEqual(t, "etype", []crypto.EncType{18, 17, 20, 19}, body.EType)
	if out := mustMarshal(t, r); !bytes.Equal(out, b) {
		t.Errorf("re-encoding differs:\n ours   %x\n gokrb5 %x", out, b)
	}
}

// A TGS-REQ built the way gokrb5's NewTGSReq builds it: the authenticator
// checksums the req-body with key usage 6 and is sealed with usage 7, with
// gokrb5's crypto.
func TestWeReadGokrb5sTGSReqAndVerifyItsAuthenticator(t *testing.T) {
	t.Parallel()
	sessKey := gktypes.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{0x42}, 32)}
	tgt := gkTicket{TktVNO: 5, Realm: "CONTOSO.COM", SName: toGokrb5Name(realisticTicket().SName),
		EncPart: gktypes.EncryptedData{EType: 18, KVNO: 2, Cipher: bytes.Repeat([]byte{0xc1}, 80)}}
	body := gkKDCReqBody{
		KDCOptions: gktypes.NewKrbFlags(), Realm: "CONTOSO.COM",
		CName: gktypes.PrincipalName{NameType: 1, NameString: []string{"webapp01$"}},
		SName: gktypes.PrincipalName{NameType: 2, NameString: []string{"MSSQLSvc", "sql1.contoso.com:1433"}},
		Till:  gkNow.Add(10 * time.Hour), Nonce: 0x7ffffffe, EType: []int32{18, 17},
	}
	gktypes.SetFlag(&body.KDCOptions, 1)
	bb, err := asn1.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	et, err := gkcrypto.GetEtype(18)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := et.GetChecksumHash(sessKey.KeyValue, bb, crypto.KeyUsageTGSReqAuthenticatorChecksum)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := gktypes.NewAuthenticator("CONTOSO.COM", body.CName)
	if err != nil {
		t.Fatal(err)
	}
	auth.Cksum = gktypes.Checksum{CksumType: int32(crypto.HMACSHA196AES256), Checksum: sum}
	ab, err := auth.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := gkcrypto.GetEncryptedData(ab, sessKey, crypto.KeyUsageTGSReqAuthenticator, 0)
	if err != nil {
		t.Fatal(err)
	}
	apReq := gkMarshal(t, gkAPReq{PVNO: 5, MsgType: 14, APOptions: gktypes.NewKrbFlags(),
		Ticket: gkRaw(3, gkMarshal(t, tgt, 1)), Authenticator: sealed}, 14)
	b := gkMarshal(t, gkKDCReq{PVNO: 5, MsgType: 12,
		PAData:  gktypes.PADataSequence{{PADataType: 1, PADataValue: apReq}},
		ReqBody: gkRaw(4, bb)}, 12)

	r, err := ParseKDCReq(b)
	if err != nil {
		t.Fatalf("ours: %v", err)
	}
	if r.MsgType != MsgTypeTGSReq || r.ReqBody.SName.String() != "MSSQLSvc/sql1.contoso.com:1433" || !bytes.Equal(r.RawReqBody, bb) {
		t.Fatalf("got %v %v", r.MsgType, r.ReqBody.SName)
	}
	pa, ok := r.PAData.Find(PATypeTGSReq)
	if !ok {
		t.Fatal("no PA-TGS-REQ")
	}
	ap, err := ParseAPReq(pa.Value)
	if err != nil {
		t.Fatal(err)
	}
	checkTicket(t, tgt, ap.Ticket)
	k, err := (EncryptionKey{Type: 18, Value: sessKey.KeyValue}).Key()
	if err != nil {
		t.Fatal(err)
	}
	a, err := ap.DecryptAuthenticator(k, crypto.KeyUsageTGSReqAuthenticator)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	checkEqual(t, "crealm", auth.CRealm, a.CRealm)
	checkEqual(t, "cname", auth.CName, toGokrb5Name(a.CName))
	checkTime(t, "ctime", auth.CTime.Truncate(time.Second), a.CTime)
	checkEqual(t, "cusec", auth.Cusec, int(a.CUSec))
	checkEqual(t, "seq-number", auth.SeqNumber, int64(*a.SeqNumber))
	if err := crypto.VerifyChecksum(k, crypto.KeyUsageTGSReqAuthenticatorChecksum, r.RawReqBody, a.Cksum.Value); err != nil {
		t.Errorf("req-body checksum: %v", err)
	}
	if out := mustMarshal(t, r); !bytes.Equal(out, b) {
		t.Errorf("re-encoding differs:\n ours   %x\n gokrb5 %x", out, b)
	}
	// And the other way: gokrb5 opens an authenticator we seal.
	ours, err := Seal(k, crypto.KeyUsageAPReqAuthenticator, mustMarshal(t, a), zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := gkcrypto.DecryptEncPart(gktypes.EncryptedData{EType: int32(ours.EType), Cipher: ours.Cipher}, sessKey, crypto.KeyUsageAPReqAuthenticator)
	if err != nil {
		t.Fatalf("gokrb5 decrypt: %v", err)
	}
	var back gktypes.Authenticator
	if err := back.Unmarshal(pt); err != nil || back.SeqNumber != auth.SeqNumber {
		t.Errorf("gokrb5 reads our authenticator: %+v, %v", back, err)
	}
}

func TestWeReadGokrb5sKRBErrorAndEncKDCRepPart(t *testing.T) {
	t.Parallel()
	ed := mustMarshal(t, MethodData{{Type: PATypeETypeInfo2, Value: mustMarshal(t, ETypeInfo2{{EType: 18}})}})
	b := gkMarshal(t, gkKRBError{PVNO: 5, MsgType: 30, STime: gkNow, Susec: 123456, ErrorCode: 25,
		Realm: "CONTOSO.COM", SName: toGokrb5Name(realisticTicket().SName), EText: "preauth required", EData: ed}, 30)
	e, err := ParseKRBError(b)
	if err != nil {
		t.Fatalf("ours: %v", err)
	}
	if e.ErrorCode != KDCErrPreauthRequired || e.EText != "preauth required" || len(e.MethodData) != 1 || e.EData != nil ||
		e.CName != nil || !e.CTime.IsZero() || e.CUSec != nil || e.SUSec != 123456 || !e.STime.Equal(gkNow.Truncate(time.Second)) {
		t.Errorf("got %+v", e)
	}
	if out := mustMarshal(t, e); !bytes.Equal(out, b) {
		t.Errorf("re-encoding differs:\n ours   %x\n gokrb5 %x", out, b)
	}

	// gokrb5's EncKDCRepPart.Marshal always writes EncASRepPart (25), even
	// for a TGS reply.
	key := gktypes.EncryptionKey{KeyType: 17, KeyValue: bytes.Repeat([]byte{0x24}, 16)}
	b = gkMarshal(t, gkEncKDCRepPart{Key: key, LastReqs: []gkLastReq{{LRType: 0, LRValue: gkNow}}, Nonce: 42,
		Flags: gkFlags(uint32(TicketFlagInitial | TicketFlagPreAuthent)), AuthTime: gkNow, EndTime: gkNow.Add(time.Hour),
		SRealm: "CONTOSO.COM", SName: toGokrb5Name(realisticTicket().SName)}, 25)
	p, err := ParseEncKDCRepPart(b)
	if err != nil {
		t.Fatalf("ours: %v", err)
	}
	if p.MsgType != MsgTypeEncASRepPart || p.Nonce != 42 || !bytes.Equal(p.Key.Value, key.KeyValue) ||
		p.Flags != TicketFlagInitial|TicketFlagPreAuthent || !p.EndTime.Equal(gkNow.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("got %+v", p)
	}
	if out := mustMarshal(t, p); !bytes.Equal(out, b) {
		t.Errorf("re-encoding differs:\n ours   %x\n gokrb5 %x", out, b)
	}
}
