package msg

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// AddrType is a host address type, RFC 4120 §7.5.3.
type AddrType int32

// Address types.
const (
	AddrTypeIPv4        AddrType = 2
	AddrTypeDirectional AddrType = 3
	AddrTypeChaosNet    AddrType = 5
	AddrTypeXNS         AddrType = 6
	AddrTypeISO         AddrType = 7
	AddrTypeDECnetPhIV  AddrType = 12
	AddrTypeAppleTalk   AddrType = 16
	AddrTypeNetBIOS     AddrType = 20
	AddrTypeIPv6        AddrType = 24
)

// HostAddress is a network address, RFC 4120 §5.2.5: IPv4 addresses are 4
// octets, IPv6 16, NetBIOS names 16 (padded with spaces).
type HostAddress struct {
	AddrType AddrType
	Address  []byte
}

// HostAddresses is SEQUENCE OF HostAddress, RFC 4120 §5.2.5. In an
// OPTIONAL field nil means absent and an empty non-nil slice an empty
// SEQUENCE.
type HostAddresses []HostAddress

// HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }
func readHostAddress(s *cryptobyte.String, o opts) (HostAddress, error) {
	p, err := openSeq(s, "HostAddress", o)
	if err != nil {
		return HostAddress{}, err
	}
	var a HostAddress
	a.AddrType = AddrType(req(p, 0, "addr-type", readInt32))
	a.Address = req(p, 1, "address", readOctets)
	return a, p.finish()
}

func (a *HostAddress) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(a.AddrType))
		addOctets(b, 1, a.Address)
	})
}

var readHostAddresses reader[HostAddresses] = func(s *cryptobyte.String, o opts) (HostAddresses, error) {
	v, err := seqOf(readHostAddress)(s, o)
	return HostAddresses(v), err
}

func addOptHostAddresses(b *cryptobyte.Builder, n int, as HostAddresses) {
	if as != nil {
		addExplicit(b, n, func(b *cryptobyte.Builder) { addSeqOf(b, as, (*HostAddress).marshal) })
	}
}

// EncryptionKey is a key on the wire, RFC 4120 §5.2.9: a session key in a
// ticket or a KDC reply, a subkey in an authenticator. Its Type is kept as
// sent even when internal/krb5/crypto cannot use it; [EncryptionKey.Key]
// converts it. Like [crypto.Key] it never prints its bytes.
type EncryptionKey struct {
	Type  crypto.EncType
	Value []byte
}

// NewEncryptionKey makes the wire form of k.
func NewEncryptionKey(k crypto.Key) EncryptionKey {
	return EncryptionKey{Type: k.Type, Value: k.Bytes()}
}

// Key converts k for internal/krb5/crypto, which checks the type and the
// length.
func (k EncryptionKey) Key() (crypto.Key, error) { return crypto.NewKey(k.Type, k.Value) }

// String returns the key's type and "[REDACTED]".
func (k EncryptionKey) String() string {
	return k.Type.String() + " key [REDACTED " + strconv.Itoa(len(k.Value)) + " bytes]"
}

// GoString is String, for %#v.
func (k EncryptionKey) GoString() string {
	return "msg.EncryptionKey{" + strconv.Quote(k.String()) + "}"
}

// Format writes String for every verb, so that %x and %#v redact too.
func (k EncryptionKey) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, k.GoString())
		return
	}
	io.WriteString(f, k.String())
}

// LogValue makes log/slog print the key redacted.
func (k EncryptionKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// ParseEncryptionKey decodes a DER EncryptionKey, RFC 4120 §5.2.9.
func ParseEncryptionKey(b []byte) (*EncryptionKey, error) {
	return parseAll(b, "EncryptionKey", readEncryptionKey, lenient)
}

// Marshal encodes k as DER.
func (k *EncryptionKey) Marshal() ([]byte, error) { return marshal(k.marshal) }

// EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING }
func readEncryptionKey(s *cryptobyte.String, o opts) (EncryptionKey, error) {
	p, err := openSeq(s, "EncryptionKey", o)
	if err != nil {
		return EncryptionKey{}, err
	}
	var k EncryptionKey
	k.Type = crypto.EncType(req(p, 0, "keytype", readInt32))
	k.Value = req(p, 1, "keyvalue", readOctets)
	return k, p.finish()
}

func (k *EncryptionKey) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(k.Type))
		addOctets(b, 1, k.Value)
	})
}

// Checksum is a checksum on the wire, RFC 4120 §5.2.9. Type 0x8003 (32771)
// is the GSS-API authenticator checksum of RFC 4121 §4.1.1, which is not a
// checksum at all.
type Checksum struct {
	Type  crypto.ChecksumType
	Value []byte
}

// ParseChecksum decodes a DER Checksum, RFC 4120 §5.2.9.
func ParseChecksum(b []byte) (*Checksum, error) {
	return parseAll(b, "Checksum", readChecksum, lenient)
}

// Marshal encodes c as DER.
func (c *Checksum) Marshal() ([]byte, error) { return marshal(c.marshal) }

// Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }
func readChecksum(s *cryptobyte.String, o opts) (Checksum, error) {
	p, err := openSeq(s, "Checksum", o)
	if err != nil {
		return Checksum{}, err
	}
	var c Checksum
	c.Type = crypto.ChecksumType(req(p, 0, "cksumtype", readInt32))
	c.Value = req(p, 1, "checksum", readOctets)
	return c, p.finish()
}

func (c *Checksum) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(c.Type))
		addOctets(b, 1, c.Value)
	})
}

// EncryptedData is a ciphertext with its encryption type and, optionally,
// the version number of the key, RFC 4120 §5.2.9. [Seal] makes one and
// [EncryptedData.Open] opens it, with internal/krb5/crypto.
type EncryptedData struct {
	EType crypto.EncType
	// KVNO is the key version number, nil when absent. It is written as
	// the signed 32-bit INTEGER with the same bits, as MIT and Windows do:
	// Windows read-only DCs put their number in the high 16 bits.
	KVNO   *uint32
	Cipher []byte
}

// Seal encrypts plaintext under k for key usage usage (the crypto.KeyUsage
// constants, RFC 4120 §7.5.1), reading the confounder from rand. The
// result's KVNO is nil; set it when the receiver looks the key up by
// version (a ticket's enc-part).
func Seal(k crypto.Key, usage uint32, plaintext []byte, rand io.Reader) (EncryptedData, error) {
	ct, err := crypto.Encrypt(k, usage, plaintext, rand)
	if err != nil {
		return EncryptedData{}, &Error{Struct: "EncryptedData", Field: "cipher", Reason: "sealing", Err: err}
	}
	return EncryptedData{EType: k.Type, Cipher: ct}, nil
}

// Open decrypts ed with k for key usage usage. A key of another type fails
// with [ErrEncTypeMismatch]; a wrong key, a wrong usage or altered data
// with crypto.ErrIntegrity (reachable through errors.Is).
func (ed *EncryptedData) Open(k crypto.Key, usage uint32) ([]byte, error) {
	if k.Type != ed.EType {
		return nil, &Error{Struct: "EncryptedData", Field: "etype", Reason: fmt.Sprintf("sealed with %v, key is %v", ed.EType, k.Type), Err: ErrEncTypeMismatch}
	}
	pt, err := crypto.Decrypt(k, usage, ed.Cipher)
	if err != nil {
		return nil, &Error{Struct: "EncryptedData", Field: "cipher", Reason: "opening with key usage " + strconv.FormatUint(uint64(usage), 10), Err: err}
	}
	return pt, nil
}

// ParseEncryptedData decodes a DER EncryptedData, RFC 4120 §5.2.9 (the
// value of a PA-ENC-TIMESTAMP, for one).
func ParseEncryptedData(b []byte) (*EncryptedData, error) {
	return parseAll(b, "EncryptedData", readEncryptedData, lenient)
}

// Marshal encodes ed as DER.
func (ed *EncryptedData) Marshal() ([]byte, error) { return marshal(ed.marshal) }

// EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
func readEncryptedData(s *cryptobyte.String, o opts) (EncryptedData, error) {
	p, err := openSeq(s, "EncryptedData", o)
	if err != nil {
		return EncryptedData{}, err
	}
	var ed EncryptedData
	ed.EType = crypto.EncType(req(p, 0, "etype", readInt32))
	ed.KVNO = optPtr(p, 1, "kvno", readSignedUint32)
	ed.Cipher = req(p, 2, "cipher", readOctets)
	return ed, p.finish()
}

func (ed *EncryptedData) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(ed.EType))
		if ed.KVNO != nil {
			addSignedUint32(b, 1, *ed.KVNO)
		}
		addOctets(b, 2, ed.Cipher)
	})
}

// LastReqEntry is one element of LastReq, RFC 4120 §5.4.2: when the client
// last did something (lr-type says what; negative types are about this KDC
// only, positive ones about all KDCs of the realm).
type LastReqEntry struct {
	Type  int32
	Value time.Time
}

// LastReq ::= SEQUENCE OF SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime }
func readLastReqEntry(s *cryptobyte.String, o opts) (LastReqEntry, error) {
	p, err := openSeq(s, "LastReq", o)
	if err != nil {
		return LastReqEntry{}, err
	}
	var e LastReqEntry
	e.Type = req(p, 0, "lr-type", readInt32)
	e.Value = req(p, 1, "lr-value", readTime)
	return e, p.finish()
}

func (e *LastReqEntry) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(e.Type))
		addTime(b, "LastReq", 1, "lr-value", e.Value)
	})
}

// TransitedEncoding lists the realms a cross-realm ticket went through,
// RFC 4120 §5.3 and §3.3.3.2 (type 1 is DOMAIN-X500-COMPRESS). A ticket
// issued within one realm has type 1 and empty contents.
type TransitedEncoding struct {
	Type     int32
	Contents []byte
}

// TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING }
func readTransitedEncoding(s *cryptobyte.String, o opts) (TransitedEncoding, error) {
	p, err := openSeq(s, "TransitedEncoding", o)
	if err != nil {
		return TransitedEncoding{}, err
	}
	var t TransitedEncoding
	t.Type = req(p, 0, "tr-type", readInt32)
	t.Contents = req(p, 1, "contents", readOctets)
	return t, p.finish()
}

func (t *TransitedEncoding) marshal(b *cryptobyte.Builder) {
	addSeq(b, func(b *cryptobyte.Builder) {
		addInt(b, 0, int64(t.Type))
		addOctets(b, 1, t.Contents)
	})
}
