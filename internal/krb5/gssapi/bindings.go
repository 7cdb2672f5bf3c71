package gssapi

import (
	"crypto"
	"crypto/md5"
	_ "crypto/sha256" // crypto.SHA256
	_ "crypto/sha512" // crypto.SHA384, crypto.SHA512
	"crypto/x509"
	"encoding/binary"
)

// ChannelBindingsTLSServerEndPoint returns the RFC 5929 §4
// "tls-server-end-point" channel binding for the server certificate cert:
// "tls-server-end-point:" followed by the hash of the certificate's DER,
// with SHA-256 when the certificate is signed with MD5 or SHA-1 (or with
// an algorithm whose hash is unknown) and otherwise with the signature's
// own hash. It is the application data of the GSS channel bindings that
// LDAP over TLS (Active Directory's LdapEnforceChannelBinding) and HTTPS
// Negotiate (Extended Protection) use; pass it as ChannelBindings.
func ChannelBindingsTLSServerEndPoint(cert *x509.Certificate) []byte {
	h := crypto.SHA256
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	}
	d := h.New()
	d.Write(cert.Raw)
	return append([]byte("tls-server-end-point:"), d.Sum(nil)...)
}

// channelBindingsStruct encodes gss_channel_bindings_struct as RFC 4121
// §4.1.1.2 hashes it: initiator address type and address, acceptor address
// type and address (all zero and empty here, as every current
// implementation sends), then the application data, each length a 32-bit
// little-endian integer.
func channelBindingsStruct(appData []byte) []byte {
	b := make([]byte, 0, 20+len(appData))
	b = binary.LittleEndian.AppendUint32(b, 0) // initiator_addrtype
	b = binary.LittleEndian.AppendUint32(b, 0) // initiator_address.length
	b = binary.LittleEndian.AppendUint32(b, 0) // acceptor_addrtype
	b = binary.LittleEndian.AppendUint32(b, 0) // acceptor_address.length
	b = binary.LittleEndian.AppendUint32(b, uint32(len(appData)))
	return append(b, appData...)
}

// bindingsHash is the Bnd field of the 0x8003 checksum: the MD5 of the
// channel bindings structure, or 16 zero octets when there are none.
func bindingsHash(appData []byte) [16]byte {
	if appData == nil {
		return [16]byte{}
	}
	return md5.Sum(channelBindingsStruct(appData))
}
