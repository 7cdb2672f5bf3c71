package gkdi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// envelopeMagic is "KDSK", at offset 4 of both envelopes.
var envelopeMagic = []byte("KDSK")

// Key envelope flags ([MS-GKDI] 2.2.4).
const (
	FlagTransportingPublicKey uint32 = 1 << 0
	FlagKeyMayEncryptNewData  uint32 = 1 << 1 // what gMSA password IDs carry
)

// KeyEnvelope identifies the key a gMSA password was derived from: the value
// of msDS-ManagedPasswordId and msDS-ManagedPasswordPreviousId. Its layout is
// undocumented; this follows Samba's librpc/idl/gkdi.idl (all little-endian):
//
//	u32 version | "KDSK" | u32 flags | u32 L0 | u32 L1 | u32 L2 |
//	GUID root key id | u32 additional info length | u32 domain name length |
//	u32 forest name length | additional info | domain name | forest name
//
// with both names UTF-16LE and NUL-terminated, their lengths in bytes
// including the NUL.
type KeyEnvelope struct {
	Version        uint32 // the root key's msKds-Version (1)
	Flags          uint32
	GKID           GKID
	RootKeyID      adtypes.GUID
	AdditionalInfo []byte
	Domain         string // DNS name of the domain
	Forest         string // DNS name of the forest
}

const keyEnvelopeHeader = 52

// Marshal encodes the envelope.
func (e *KeyEnvelope) Marshal() ([]byte, error) {
	if err := e.GKID.Validate(); err != nil {
		return nil, err
	}
	dom, forest := utf16z(e.Domain), utf16z(e.Forest)
	b := make([]byte, 0, keyEnvelopeHeader+len(e.AdditionalInfo)+len(dom)+len(forest))
	b = binary.LittleEndian.AppendUint32(b, e.Version)
	b = append(b, envelopeMagic...)
	b = binary.LittleEndian.AppendUint32(b, e.Flags)
	b = appendGKID(b, e.GKID)
	b = append(b, e.RootKeyID[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.AdditionalInfo)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(dom)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(forest)))
	b = append(b, e.AdditionalInfo...)
	b = append(b, dom...)
	return append(b, forest...), nil
}

// ParseKeyEnvelope decodes msDS-ManagedPasswordId. Every length must add up
// to exactly the bytes given; the GKID must be valid.
func ParseKeyEnvelope(b []byte) (*KeyEnvelope, error) {
	const field = "KeyEnvelope"
	if len(b) < keyEnvelopeHeader {
		return nil, errorf(ErrMalformed, field, hexValue(b), "shorter than its %d-byte header", keyEnvelopeHeader)
	}
	if !bytes.Equal(b[4:8], envelopeMagic) {
		return nil, errorf(ErrMalformed, field+".Magic", fmt.Sprintf("%x", b[4:8]), `want "KDSK" (4b44534b)`)
	}
	e := &KeyEnvelope{
		Version: le32(b, 0),
		Flags:   le32(b, 8),
		GKID:    readGKID(b[12:]),
	}
	if err := e.GKID.Validate(); err != nil {
		return nil, err
	}
	copy(e.RootKeyID[:], b[24:40])
	r := reader{b: b, off: keyEnvelopeHeader, field: field}
	lens := []uint32{le32(b, 40), le32(b, 44), le32(b, 48)}
	if err := r.fits(lens, []string{"AdditionalInfoLength", "DomainNameLength", "ForestNameLength"}); err != nil {
		return nil, err
	}
	e.AdditionalInfo = r.bytes(lens[0])
	var err error
	if e.Domain, err = r.string(lens[1], field+".DomainName"); err != nil {
		return nil, err
	}
	if e.Forest, err = r.string(lens[2], field+".ForestName"); err != nil {
		return nil, err
	}
	if len(e.AdditionalInfo) == 0 {
		e.AdditionalInfo = nil
	}
	return e, nil
}

// GroupKeyEnvelope is the GetKey RPC reply of [MS-GKDI] 2.2.4: the L1 and L2
// keys a client may hold for a GKID, with the root key's parameters. gMSA
// passwords never travel in one; it is here for completeness of the format and
// for a future GetKey server. L1Key and L2Key are secrets and never printed.
type GroupKeyEnvelope struct {
	Version                   uint32
	Flags                     uint32
	GKID                      GKID
	RootKeyID                 adtypes.GUID
	KDFAlgorithm              string // "SP800_108_CTR_HMAC"
	KDFParameters             []byte // KdfParameters blob
	SecretAgreementAlgorithm  string // "DH" or "ECDH_P256"/"ECDH_P384"
	SecretAgreementParameters []byte
	PrivateKeyLength          uint32 // in bits
	PublicKeyLength           uint32 // in bits
	Domain, Forest            string
	L1Key, L2Key              []byte
}

const groupKeyEnvelopeHeader = 80

// Marshal encodes the envelope.
func (e *GroupKeyEnvelope) Marshal() ([]byte, error) {
	if err := e.GKID.Validate(); err != nil {
		return nil, err
	}
	kdf, sa, dom, forest := utf16z(e.KDFAlgorithm), utf16z(e.SecretAgreementAlgorithm), utf16z(e.Domain), utf16z(e.Forest)
	b := make([]byte, 0, groupKeyEnvelopeHeader+len(kdf)+len(e.KDFParameters)+len(sa)+len(e.SecretAgreementParameters)+len(dom)+len(forest)+len(e.L1Key)+len(e.L2Key))
	b = binary.LittleEndian.AppendUint32(b, e.Version)
	b = append(b, envelopeMagic...)
	b = binary.LittleEndian.AppendUint32(b, e.Flags)
	b = appendGKID(b, e.GKID)
	b = append(b, e.RootKeyID[:]...)
	for _, n := range []int{len(kdf), len(e.KDFParameters), len(sa), len(e.SecretAgreementParameters)} {
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	b = binary.LittleEndian.AppendUint32(b, e.PrivateKeyLength)
	b = binary.LittleEndian.AppendUint32(b, e.PublicKeyLength)
	for _, n := range []int{len(e.L1Key), len(e.L2Key), len(dom), len(forest)} {
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	for _, part := range [][]byte{kdf, e.KDFParameters, sa, e.SecretAgreementParameters, dom, forest, e.L1Key, e.L2Key} {
		b = append(b, part...)
	}
	return b, nil
}

// ParseGroupKeyEnvelope decodes a GetKey reply.
func ParseGroupKeyEnvelope(b []byte) (*GroupKeyEnvelope, error) {
	const field = "GroupKeyEnvelope"
	if len(b) < groupKeyEnvelopeHeader {
		return nil, errorf(ErrMalformed, field, hexValue(b), "shorter than its %d-byte header", groupKeyEnvelopeHeader)
	}
	if !bytes.Equal(b[4:8], envelopeMagic) {
		return nil, errorf(ErrMalformed, field+".Magic", fmt.Sprintf("%x", b[4:8]), `want "KDSK" (4b44534b)`)
	}
	e := &GroupKeyEnvelope{
		Version:          le32(b, 0),
		Flags:            le32(b, 8),
		GKID:             readGKID(b[12:]),
		PrivateKeyLength: le32(b, 56),
		PublicKeyLength:  le32(b, 60),
	}
	if err := e.GKID.Validate(); err != nil {
		return nil, err
	}
	copy(e.RootKeyID[:], b[24:40])
	// Lengths in header order; data follows in a different order (names
	// before keys).
	kdfLen, kdfParamLen, saLen, saParamLen := le32(b, 40), le32(b, 44), le32(b, 48), le32(b, 52)
	l1Len, l2Len, domLen, forestLen := le32(b, 64), le32(b, 68), le32(b, 72), le32(b, 76)
	r := reader{b: b, off: groupKeyEnvelopeHeader, field: field}
	order := []uint32{kdfLen, kdfParamLen, saLen, saParamLen, domLen, forestLen, l1Len, l2Len}
	names := []string{"KdfAlgorithmLength", "KdfParametersLength", "SecretAgreementAlgorithmLength", "SecretAgreementParametersLength", "DomainNameLength", "ForestNameLength", "L1KeyLength", "L2KeyLength"}
	if err := r.fits(order, names); err != nil {
		return nil, err
	}
	var err error
	if e.KDFAlgorithm, err = r.string(kdfLen, field+".KdfAlgorithm"); err != nil {
		return nil, err
	}
	e.KDFParameters = r.bytes(kdfParamLen)
	if e.SecretAgreementAlgorithm, err = r.string(saLen, field+".SecretAgreementAlgorithm"); err != nil {
		return nil, err
	}
	e.SecretAgreementParameters = r.bytes(saParamLen)
	if e.Domain, err = r.string(domLen, field+".DomainName"); err != nil {
		return nil, err
	}
	if e.Forest, err = r.string(forestLen, field+".ForestName"); err != nil {
		return nil, err
	}
	e.L1Key = r.bytes(l1Len)
	e.L2Key = r.bytes(l2Len)
	return e, nil
}

// String describes the envelope without its keys.
func (e GroupKeyEnvelope) String() string {
	return fmt.Sprintf("group key envelope %s root %s (L1 key %d bytes, L2 key %d bytes [REDACTED])", e.GKID, e.RootKeyID, len(e.L1Key), len(e.L2Key))
}

// GoString redacts as String does.
func (e GroupKeyEnvelope) GoString() string { return e.String() }

// Format redacts for every verb.
func (e GroupKeyEnvelope) Format(f fmt.State, _ rune) { fmt.Fprint(f, e.String()) }

// LogValue keeps the keys out of structured logs.
func (e GroupKeyEnvelope) LogValue() slog.Value { return slog.StringValue(e.String()) }

func appendGKID(b []byte, g GKID) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(g.L0))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.L1))
	return binary.LittleEndian.AppendUint32(b, uint32(g.L2))
}

func readGKID(b []byte) GKID {
	return GKID{int32(le32(b, 0)), int32(le32(b, 4)), int32(le32(b, 8))}
}

// reader consumes the variable part of an envelope.
type reader struct {
	b     []byte
	off   int
	field string
}

// fits checks that the lengths add up to exactly the remaining bytes.
func (r *reader) fits(lens []uint32, names []string) error {
	total := uint64(0)
	for _, n := range lens {
		total += uint64(n)
	}
	if rest := uint64(len(r.b) - r.off); total != rest {
		parts := ""
		for i, n := range lens {
			parts += fmt.Sprintf(" %s=%d", names[i], n)
		}
		return errorf(ErrMalformed, r.field, strconv.Itoa(len(r.b))+" bytes", "lengths%s add up to %d but %d bytes follow the header", parts, total, rest)
	}
	return nil
}

func (r *reader) bytes(n uint32) []byte {
	out := append([]byte(nil), r.b[r.off:r.off+int(n)]...)
	r.off += int(n)
	return out
}

func (r *reader) string(n uint32, field string) (string, error) {
	s, err := utf16zString(r.b[r.off:r.off+int(n)], field)
	r.off += int(n)
	return s, err
}
