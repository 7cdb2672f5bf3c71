package kdc

import (
	"encoding/binary"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// NTSTATUS values a Windows KDC puts behind KDC_ERR_CLIENT_REVOKED
// ([MS-ERREF] §2.3.1).
const (
	statusAccountDisabled  = 0xC0000072 // STATUS_ACCOUNT_DISABLED
	statusAccountExpired   = 0xC0000193 // STATUS_ACCOUNT_EXPIRED
	statusAccountLockedOut = 0xC0000234 // STATUS_ACCOUNT_LOCKED_OUT
)

// revoked is KDC_ERR_CLIENT_REVOKED with the NTSTATUS that says why, as
// Windows sends it: e-data KERB-ERROR-DATA of type KERB_ERR_TYPE_EXTENDED
// (3) holding a KERB-EXT-ERROR ([MS-KILE] §2.2.1, §2.2.2).
func revoked(status uint32, format string, args ...any) *kdcError {
	e := refuse(msg.KDCErrClientRevoked, format, args...)
	e.edata = kerbErrorData(status)
	return e
}

// kerbErrorData encodes KERB-ERROR-DATA ::= SEQUENCE { data-type [1]
// INTEGER, data-value [2] OCTET STRING OPTIONAL } with data-type 3 and a
// KERB-EXT-ERROR: the NTSTATUS, a reserved word and flags 1, little-endian.
func kerbErrorData(status uint32) []byte {
	var ext [12]byte
	binary.LittleEndian.PutUint32(ext[0:], status)
	binary.LittleEndian.PutUint32(ext[8:], 1)
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(3) })
		b.AddASN1(asn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(ext[:]) })
	})
	return b.BytesOrPanic()
}
