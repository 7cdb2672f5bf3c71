package pac

import (
	"crypto/hmac"
	"encoding/binary"
	"slices"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

// Sign computes the PAC's two signatures ([MS-PAC] 2.8.1, 2.8.2) and
// returns the signed PAC:
//
//   - the server signature is the keyed checksum, with the service's key and
//     key usage 17 (KERB_NON_KERB_CKSUM_SALT), of the whole marshalled PAC
//     with everything after the SignatureType of both signature buffers set
//     to zero;
//   - the KDC signature is the keyed checksum, with the krbtgt key and the
//     same usage, of the server signature's bytes.
//
// The checksum type follows each key ([crypto.EncType.ChecksumType]):
// hmac-sha1-96-aes128/256 (15, 16) and hmac-sha256-128-aes128 /
// hmac-sha384-192-aes256 (19, 20) for AES keys, hmac-md5 (-138) for
// rc4-hmac keys, which must have been passed through [crypto.AllowRC4]. An
// RODCIdentifier already in p.KDCSignature is kept, written after the
// checksums as Heimdal does.
//
// Sign sets p.ServerSignature and p.KDCSignature to what it wrote. It also
// removes the ticket signature (type 16) and full PAC signature (type 19)
// buffers from p.Buffers: this package does not produce them ([MS-PAC]
// 2.8.3 and 2.8.5 sign the ticket and the whole PAC with the krbtgt key, a
// KDC's job), and a copied one would no longer verify. Windows accepts a
// PAC without them from a KDC that is not a Windows DC.
func (p *PAC) Sign(server, kdc crypto.Key) ([]byte, error) {
	b, err := p.sign(server, kdc)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (p *PAC) sign(server, kdc crypto.Key) ([]byte, *Error) {
	st, err := signatureTypeFor("sign", "server key", server)
	if err != nil {
		return nil, err
	}
	kt, err := signatureTypeFor("sign", "KDC key", kdc)
	if err != nil {
		return nil, err
	}
	sn, _ := signatureSize(st)
	kn, _ := signatureSize(kt)
	var rodc uint16
	if p.KDCSignature != nil {
		rodc = p.KDCSignature.RODCIdentifier
	}
	q := *p
	q.Buffers = slices.DeleteFunc(slices.Clone(p.Buffers), func(b Buffer) bool {
		return b.Type == BufferTicketSignature || b.Type == BufferFullPACSignature
	})
	q.ServerSignature = &Signature{Type: st, Value: make([]byte, sn)}
	q.KDCSignature = &Signature{Type: kt, Value: make([]byte, kn), RODCIdentifier: rodc}
	raw, layout, err := q.marshal()
	if err != nil {
		err.Op = "sign"
		return nil, err
	}
	var srvAt, kdcAt int
	for _, l := range layout {
		switch l.Type {
		case BufferServerSignature:
			srvAt = l.Offset + 4
		case BufferKDCSignature:
			kdcAt = l.Offset + 4
		}
	}
	// The RODCIdentifier is zero while the server checksum is computed,
	// as verifiers zero everything after the SignatureType.
	if rodc != 0 {
		binary.LittleEndian.PutUint16(raw[kdcAt+kn:], 0)
	}
	srvSum, err := checksum("sign", "PAC_SIGNATURE_DATA(server)", server, st, raw)
	if err != nil {
		return nil, err
	}
	copy(raw[srvAt:], srvSum)
	kdcSum, err := checksum("sign", "PAC_SIGNATURE_DATA(KDC)", kdc, kt, srvSum)
	if err != nil {
		return nil, err
	}
	copy(raw[kdcAt:], kdcSum)
	if rodc != 0 {
		binary.LittleEndian.PutUint16(raw[kdcAt+kn:], rodc)
	}
	p.Buffers = q.Buffers
	p.ServerSignature = &Signature{Type: st, Value: srvSum}
	p.KDCSignature = &Signature{Type: kt, Value: kdcSum, RODCIdentifier: rodc}
	return raw, nil
}

// Verify checks the server signature of the PAC raw ([MS-PAC] 2.8.1) with
// the service's key: what an acceptor does before it trusts the PAC. The
// key's type must match the signature's checksum type (hmac-md5 needs an
// rc4-hmac key, passed through [crypto.AllowRC4]). A signature that does not
// verify is [ErrIntegrity]; a PAC without a server or KDC signature is
// [ErrMissing].
//
// Verify reads only the PAC framing and the two signature buffers; parse
// raw with [Parse] to read what it vouches for.
func Verify(raw []byte, server crypto.Key) error {
	if err := verify(raw, server); err != nil {
		return err
	}
	return nil
}

func verify(raw []byte, server crypto.Key) *Error {
	srv, kdc, err := signatureBuffers("verify", raw)
	if err != nil {
		return err
	}
	s, err := parseSignature(srv.Data, "PAC_SIGNATURE_DATA(server)")
	if err != nil {
		err.Op = "verify"
		return err
	}
	zeroed := slices.Clone(raw)
	clear(zeroed[srv.Offset+4 : srv.Offset+len(srv.Data)])
	clear(zeroed[kdc.Offset+4 : kdc.Offset+len(kdc.Data)])
	return verifyChecksum("verify", "PAC_SIGNATURE_DATA(server)", server, s, zeroed)
}

// VerifyKDC checks the KDC signature of the PAC raw ([MS-PAC] 2.8.2) with
// the krbtgt key: the checksum of the server signature's bytes. A KDC does
// this to a PAC a service sends back to it, or in a TGT it is given.
func VerifyKDC(raw []byte, kdc crypto.Key) error {
	if err := verifyKDC(raw, kdc); err != nil {
		return err
	}
	return nil
}

func verifyKDC(raw []byte, kdc crypto.Key) *Error {
	srv, kdcBuf, err := signatureBuffers("verify KDC", raw)
	if err != nil {
		return err
	}
	s, err := parseSignature(srv.Data, "PAC_SIGNATURE_DATA(server)")
	if err == nil {
		var k *Signature
		if k, err = parseSignature(kdcBuf.Data, "PAC_SIGNATURE_DATA(KDC)"); err == nil {
			return verifyChecksum("verify KDC", "PAC_SIGNATURE_DATA(KDC)", kdc, k, s.Value)
		}
	}
	err.Op = "verify KDC"
	return err
}

// signatureBuffers finds the one server and the one KDC signature buffer.
func signatureBuffers(op string, raw []byte) (srv, kdc frameBuffer, err *Error) {
	frame, err := parseFrame(raw)
	if err != nil {
		err.Op = op
		return srv, kdc, err
	}
	var found [2]int
	for _, f := range frame {
		for i, t := range []BufferType{BufferServerSignature, BufferKDCSignature} {
			if f.Type != t {
				continue
			}
			if found[i]++; found[i] > 1 {
				return srv, kdc, errorf(op, "PACTYPE", ErrMalformed, "more than one %s buffer", t)
			}
			if i == 0 {
				srv = f
			} else {
				kdc = f
			}
		}
	}
	for i, t := range []BufferType{BufferServerSignature, BufferKDCSignature} {
		if found[i] == 0 {
			return srv, kdc, errorf(op, "PACTYPE", ErrMissing, "no %s buffer", t)
		}
	}
	for _, f := range []frameBuffer{srv, kdc} {
		if len(f.Data) < 4 {
			return srv, kdc, errorf(op, "PAC_SIGNATURE_DATA", ErrMalformed, "the %s buffer is %d bytes; SignatureType needs 4", f.Type, len(f.Data))
		}
	}
	return srv, kdc, nil
}

// signatureTypeFor returns the checksum type a PAC signature made with k
// has.
func signatureTypeFor(op, field string, k crypto.Key) (crypto.ChecksumType, *Error) {
	if t := k.Type.ChecksumType(); t != 0 {
		return t, nil
	}
	return 0, errorf(op, field, ErrUnsupported, "%s has no PAC checksum", k.Type)
}

// checksum computes a PAC checksum of type t over data with k, key usage
// 17 (KERB_NON_KERB_CKSUM_SALT).
func checksum(op, field string, k crypto.Key, t crypto.ChecksumType, data []byte) ([]byte, *Error) {
	want, err := signatureTypeFor(op, field, k)
	if err != nil {
		return nil, err
	}
	if _, known := signatureSize(t); !known {
		return nil, errorf(op, field, ErrUnsupported, "signature type %s", t)
	}
	if t != want {
		return nil, errorf(op, field, ErrKeyMismatch, "a %s signature cannot be made with %v", t, k)
	}
	sum, cerr := crypto.Checksum(k, crypto.KeyUsagePACChecksum, data)
	if cerr != nil {
		return nil, &Error{Op: op, Field: field, Err: cerr}
	}
	return sum, nil
}

func verifyChecksum(op, field string, k crypto.Key, s *Signature, data []byte) *Error {
	sum, err := checksum(op, field, k, s.Type, data)
	if err != nil {
		return err
	}
	if !hmac.Equal(sum, s.Value) {
		return errorf(op, field+".Signature", ErrIntegrity, "")
	}
	return nil
}
