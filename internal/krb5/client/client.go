package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// Transport carries one Kerberos message to a KDC of realm and returns the
// reply (RFC 4120 §7.2: UDP or TCP, KDC discovery, retries). It is declared
// here, by its consumer; internal/krb5/transport implements it.
type Transport interface {
	RoundTrip(ctx context.Context, realm string, req []byte) ([]byte, error)
}

// DefaultEncTypes are the encryption types offered when Client.EncTypes is
// empty, in preference order: the AES-SHA1 types Active Directory issues,
// then the RFC 8009 types an MIT KDC may prefer. rc4-hmac is never offered
// unless listed.
var DefaultEncTypes = []crypto.EncType{
	crypto.AES256CTSHMACSHA196,
	crypto.AES128CTSHMACSHA196,
	crypto.AES256CTSHMACSHA384192,
	crypto.AES128CTSHMACSHA256128,
}

// Client runs AS and TGS exchanges. Its fields are read-only once in use; a
// Client may be used by several goroutines at once.
type Client struct {
	Transport Transport
	// Now is the host clock (time.Now in production); required.
	Now func() time.Time
	// Rand is the source of nonces and confounders (crypto/rand.Reader in
	// production); required.
	Rand io.Reader
	// EncTypes are the encryption types offered, in preference order;
	// DefaultEncTypes when empty. rc4-hmac works only when listed here and
	// the keys were passed through crypto.AllowRC4.
	EncTypes []crypto.EncType
}

func (c *Client) encTypes() []crypto.EncType {
	if len(c.EncTypes) > 0 {
		return c.EncTypes
	}
	return DefaultEncTypes
}

func (c *Client) check() error {
	if c.Transport == nil || c.Now == nil || c.Rand == nil {
		return errors.New("krb5 client: Client.Transport, Now and Rand are required")
	}
	return nil
}

// nonce draws a nonce below 2^31, which MIT and Windows both accept.
func (c *Client) nonce() (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(c.Rand, b[:]); err != nil {
		return 0, fmt.Errorf("krb5 client: reading a nonce: %w", err)
	}
	return binary.BigEndian.Uint32(b[:]) & 0x7fffffff, nil
}

// roundTrip sends req and decodes the reply: a *msg.KDCRep or a *msg.KRBError.
func (c *Client) roundTrip(ctx context.Context, realm string, req []byte, what string) (*msg.KDCRep, *msg.KRBError, error) {
	b, err := c.Transport.RoundTrip(ctx, realm, req)
	if err != nil {
		return nil, nil, fmt.Errorf("krb5 client: sending %s to realm %s: %w", what, realm, err)
	}
	m, err := msg.ParseMessage(b)
	if err != nil {
		return nil, nil, fmt.Errorf("krb5 client: reply to %s from realm %s: %w", what, realm, err)
	}
	switch m := m.(type) {
	case *msg.KDCRep:
		return m, nil, nil
	case *msg.KRBError:
		return nil, m, nil
	}
	return nil, nil, fmt.Errorf("krb5 client: reply to %s from realm %s is a %T, not a KDC reply: %w", what, realm, m, ErrBadReply)
}

// kdcTime returns the KDC's clock as a KRB-ERROR states it.
func kdcTime(e *msg.KRBError) time.Time {
	return e.STime.Add(time.Duration(e.SUSec) * time.Microsecond)
}
