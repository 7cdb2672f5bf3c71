package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
)

// GSSAPIOptions say how [Conn.BindGSSAPI] authenticates.
type GSSAPIOptions struct {
	// Ticket is a service ticket for SPN. Without it, Client gets one
	// with TGT.
	Ticket *client.Credentials
	Client *client.Client
	TGT    *client.Credentials
	// SPN is the DC's service principal; default "ldap/<host>", host
	// being Options.ServerName or the host of Options.Server.
	SPN string
	// Layer is the SASL security layer: sasl.LayerConfidentiality (seal),
	// sasl.LayerIntegrity (sign) or sasl.LayerNone. The default is seal on
	// a connection without TLS and none on TLS, where Active Directory
	// refuses a layer and wants channel bindings instead. Sign and seal
	// are refused on TLS.
	Layer sasl.Layer
	// NoChannelBindings leaves the TLS channel bindings out (on ldaps://
	// or StartTLS they are sent by default).
	NoChannelBindings bool
	// AuthzID is the SASL authorization identity; normally empty.
	AuthzID string
	// Now and Rand default to time.Now and crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// BindGSSAPI binds with Kerberos, SASL mechanism GSSAPI (RFC 4752), and on
// success installs the negotiated security layer under go-ldap: every later
// request and response is wrapped (integrity) or sealed (confidentiality).
// A sealed connection counts as confidential, so the DC hands out
// msDS-ManagedPassword over it. On TLS no layer is used and the channel
// bindings (tls-server-end-point, RFC 5929) tie the Kerberos authenticator
// to the TLS channel, as a DC that enforces channel binding requires.
//
// Why switching the layer on is safe: go-ldap's GSSAPIBindRequest is
// synchronous and returns nil only after the server's final BindResponse
// (sent unprotected, RFC 4752 §3.1) has been read and delivered; c.do
// serialises the calls on a Conn, so no other request is outstanding. The
// server sends nothing more until it gets a request, and the next request
// is written after the switch. So the next byte in either direction is the
// first protected one. go-ldap's reader goroutine is by then blocked in
// saslConn.Read; that Read checks for the layer when bytes arrive, and
// treats them as protected.
func (c *Conn) BindGSSAPI(ctx context.Context, opt GSSAPIOptions) error {
	spn := opt.SPN
	if spn == "" {
		spn = "ldap/" + c.host
	}
	fail := func(err error, hint string) error {
		return &Error{Op: "GSSAPI bind to " + c.server + " for", Account: spn, Err: err, Hint: hint}
	}
	if c.sc.protected() != 0 {
		return fail(errors.New("the connection already carries a security layer"), "dial a new connection")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	tlsState, isTLS := c.l.TLSConnectionState()
	layer := opt.Layer
	switch {
	case layer == 0 && isTLS:
		layer = sasl.LayerNone
	case layer == 0:
		layer = sasl.LayerConfidentiality
	case layer != sasl.LayerNone && layer != sasl.LayerIntegrity && layer != sasl.LayerConfidentiality:
		return fail(fmt.Errorf("unknown layer %s", layer), "")
	case layer != sasl.LayerNone && isTLS:
		return fail(fmt.Errorf("a %s layer on a TLS connection", layer), "on ldaps:// or StartTLS bind with no layer (channel bindings protect it)")
	}
	st := opt.Ticket
	if st == nil {
		if opt.Client == nil || opt.TGT == nil {
			return fail(errors.New("GSSAPIOptions needs a service Ticket, or a Client and a TGT"), "")
		}
		var err error
		st, err = opt.Client.ServiceTicket(ctx, opt.TGT, spn, client.TGSOptions{})
		if err != nil {
			return fail(err, "the DC must have the SPN "+spn+"; set the SPN to one of its names")
		}
	}
	flags := gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagSequence | gssapi.FlagInteg
	if layer == sasl.LayerConfidentiality {
		flags |= gssapi.FlagConf
	}
	var cb []byte
	if isTLS && !opt.NoChannelBindings && len(tlsState.PeerCertificates) > 0 {
		cb = gssapi.ChannelBindingsTLSServerEndPoint(tlsState.PeerCertificates[0])
	}
	offset := st.KDCOffset
	ini, err := gssapi.NewInitiator(gssapi.InitiatorConfig{
		Ticket: st.Ticket, SessionKey: st.SessionKey, Client: st.Client, ClientRealm: st.ClientRealm,
		Flags: flags, ChannelBindings: cb, Rand: opt.Rand,
		Now: func() time.Time { return opt.Now().Add(offset) },
	})
	if err != nil {
		return fail(err, "")
	}
	gc := &gssapiClient{ini: ini, want: layer, maxBuf: sasl.DefaultMaxBuf}
	err = c.do(ctx, func() error {
		if err := c.l.GSSAPIBindRequest(gc, &ldap.GSSAPIBindRequest{ServicePrincipalName: spn, AuthZID: opt.AuthzID}); err != nil {
			return err
		}
		if gc.chosen == 0 {
			return errors.New("the server completed the bind before the security layer negotiation")
		}
		// Still inside c.do: nothing is in flight (see above).
		if gc.chosen != sasl.LayerNone {
			c.sc.enable(&ini.Context, gc.chosen, gc.maxBuf, gc.serverMax)
		}
		return nil
	})
	if err != nil {
		return fail(err, gssapiHint(err, isTLS, cb != nil))
	}
	if gc.chosen == sasl.LayerConfidentiality {
		c.confidential.Store(true)
	}
	name := st.ClientName()
	c.boundAs.Store(&name)
	return nil
}

func gssapiHint(err error, isTLS, cb bool) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Sign or Seal are required"):
		return "the DC requires a signed or sealed layer (ldap server require strong auth); bind with sign or seal, or use ldaps://"
	case isTLS && !cb && strings.Contains(msg, "80090346"):
		return "the DC requires TLS channel bindings; bind with them"
	}
	return ""
}

// gssapiClient is go-ldap's GSSAPIClient over our initiator.
type gssapiClient struct {
	ini       *gssapi.Initiator
	want      sasl.Layer
	maxBuf    uint32
	chosen    sasl.Layer
	serverMax uint32
}

func (g *gssapiClient) InitSecContext(target string, token []byte) ([]byte, bool, error) {
	return g.InitSecContextWithOptions(target, token, nil)
}

func (g *gssapiClient) InitSecContextWithOptions(_ string, token []byte, _ []int) ([]byte, bool, error) {
	if g.ini.Established() {
		return nil, false, errors.New("GSSAPI context already established")
	}
	out, done, err := g.ini.Step(token)
	if err != nil {
		return nil, false, err
	}
	return out, !done, nil
}

func (g *gssapiClient) NegotiateSaslAuth(token []byte, authzid string) ([]byte, error) {
	reply, chosen, smax, err := sasl.Negotiate(&g.ini.Context, token, g.want, g.maxBuf, authzid)
	if err != nil {
		return nil, err
	}
	g.chosen, g.serverMax = chosen, smax
	return reply, nil
}

func (g *gssapiClient) DeleteSecContext() error { return nil }

// WhoAmI asks the DC who the connection is bound as (RFC 4532), e.g.
// "u:CONTOSO\node1$".
func (c *Conn) WhoAmI(ctx context.Context) (string, error) {
	var id string
	err := c.do(ctx, func() error {
		r, err := c.l.WhoAmI(nil)
		if err != nil {
			return err
		}
		id = r.AuthzID
		return nil
	})
	if err != nil {
		return "", &Error{Op: "who am I", Err: err}
	}
	return id, nil
}
