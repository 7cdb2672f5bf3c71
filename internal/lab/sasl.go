package lab

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi/sasl"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	ls "github.com/opengmsa/gmsa/internal/lab/ldapserver"
	"github.com/opengmsa/gmsa/internal/lab/store"
)

// The SASL GSSAPI bind (RFC 4752) of the lab's LDAP service, as a DC that
// requires strong authentication answers it:
//
//  1. The client's first token is an AP-REQ for one of DC1$'s SPNs
//     (ldap/dc1.<domain>, ldap/localhost, host/…, or any SPN added to it);
//     it is accepted with DC1$'s stored keys and answered with the AP-REP
//     (saslBindInProgress).
//  2. The client answers with an empty token; the server offers its
//     security layers in a wrapped token: over TLS no layer (the channel
//     bindings tie the authenticator to the TLS channel instead, and a
//     client that sends none is refused with data 80090346, as AD with
//     LdapEnforceChannelBinding and Samba do); over plain LDAP integrity
//     and confidentiality, never none ("Sign or Seal are required").
//  3. The client's wrapped choice completes the bind: the connection's
//     identity is the client principal's directory entry, and the chosen
//     layer protects every later PDU.
//
// GSS-SPNEGO (what Windows clients send) is not implemented.

// MechanismGSSAPI is the SASL mechanism the lab accepts.
const MechanismGSSAPI = "GSSAPI"

// LDAPHandlerTLS is [Directory.LDAPHandler] for a server whose TLS
// certificate is cert: a GSSAPI bind over LDAPS or StartTLS must carry
// cert's tls-server-end-point channel bindings (RFC 5929). Without a
// certificate (LDAPHandler) bindings over TLS are not checked.
func (d *Directory) LDAPHandlerTLS(cert tls.Certificate) (ls.Handler, error) {
	leaf := cert.Leaf
	if leaf == nil {
		if len(cert.Certificate) == 0 {
			return nil, errors.New("lab: the DC's TLS certificate has no certificate chain")
		}
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("lab: the DC's TLS certificate: %w", err)
		}
	}
	return &ldapHandler{d: d, cb: gssapi.ChannelBindingsTLSServerEndPoint(leaf)}, nil
}

// gssapiBind is a GSSAPI bind between its steps (the connection's SASL
// state).
type gssapiBind struct {
	d       *Directory
	stage   int              // 0: want the AP-REQ; 1: AP-REP sent, want an empty token; 2: layers offered, want the choice
	acc     *gssapi.Acceptor // set by the AP-REQ, once the ticket names the service
	tls     bool
	cb      []byte // the channel bindings required, nil when not checked
	offered sasl.Layer
	id      *Identity
}

// gssapiStepResult is what one step answers: a token to send back with
// saslBindInProgress, or the end of the bind (success with id and layer,
// or the failure res).
type gssapiStepResult struct {
	out   []byte
	more  bool
	res   ls.Result
	id    *Identity
	layer *gssapiLayer
}

// bindSASL is the SASL branch of Bind.
func (h *ldapHandler) bindSASL(ctx context.Context, c *ls.Conn, r *ls.BindRequest) ls.BindResult {
	d := h.d
	if !strings.EqualFold(r.Mechanism, MechanismGSSAPI) {
		c.SetSASLState(nil)
		return ls.BindResult{Result: result(ls.AuthMethodNotSupported,
			"00002028: LdapErr: DSID-0C0904FF, comment: SASL mechanism %q is not supported by this lab DC; use GSSAPI (GSS-SPNEGO is not implemented), or a simple bind over LDAPS or StartTLS", r.Mechanism)}
	}
	st, _ := c.SASLState().(*gssapiBind)
	if st == nil {
		var cb []byte
		if c.TLS() != nil {
			cb = h.cb
		}
		var err error
		if st, err = d.newGSSAPIBind(c.TLS() != nil, cb); err != nil {
			return ls.BindResult{Result: result(ls.OperationsError, "lab: %v", err)}
		}
	}
	sr := st.step(r.Credentials)
	if sr.more {
		c.SetSASLState(st)
		return ls.BindResult{Result: ls.Result{Code: ls.SaslBindInProgress}, ServerSASLCreds: sr.out}
	}
	c.SetSASLState(nil)
	if sr.id == nil {
		d.log.Info("GSSAPI bind failed", "conn", c.ID(), "client", st.client(), "result", sr.res.Message)
		return ls.BindResult{Result: sr.res}
	}
	c.SetIdentity(sr.id)
	c.SetAuthzID("u:" + d.dom.NetBIOS + `\` + sr.id.SAM)
	if sr.layer != nil {
		c.InstallSecurityLayer(sr.layer)
	}
	d.log.Info("GSSAPI bind", "conn", c.ID(), "as", sr.id.SAM, "service", st.acc.Service(), "layer", chosenLayer(sr.layer).String())
	return ls.BindResult{}
}

// newGSSAPIBind starts a bind. cb, when not nil, are the channel bindings
// the client must send.
func (d *Directory) newGSSAPIBind(isTLS bool, cb []byte) (*gssapiBind, error) {
	if cb != nil && !isTLS {
		return nil, errors.New("channel bindings on a connection without TLS")
	}
	return &gssapiBind{d: d, tls: isTLS, cb: cb}, nil
}

func (st *gssapiBind) client() string {
	if st.acc == nil {
		return ""
	}
	return st.acc.Client()
}

func chosenLayer(l *gssapiLayer) sasl.Layer {
	if l == nil {
		return sasl.LayerNone
	}
	return l.layer
}

// step runs one step of the bind with the client's credentials.
func (st *gssapiBind) step(cred []byte) gssapiStepResult {
	switch st.stage {
	case 0:
		return st.acceptContext(cred)
	case 1:
		if len(cred) != 0 {
			return failed(saslRefusal("52e", "the client's second token must be empty (RFC 4752 §3.1), got %d octets", len(cred)))
		}
		return st.offer()
	default:
		return st.acceptLayer(cred)
	}
}

func failed(r ls.Result) gssapiStepResult { return gssapiStepResult{res: r} }

// saslRefusal is AD's answer to a failed AcceptSecurityContext: 49 with
// the SSPI or Win32 status as data, and the reason after it.
func saslRefusal(data, format string, args ...any) ls.Result {
	return result(ls.InvalidCredentials, "80090308: LdapErr: DSID-0C0906CF, comment: AcceptSecurityContext error, data %s, v4563 (%s)",
		data, fmt.Sprintf(format, args...))
}

// acceptError maps an acceptor error to AD's data code: SEC_E_BAD_BINDINGS,
// SEC_E_WRONG_PRINCIPAL, SEC_E_TIME_SKEW, or the logon failure 52e.
func acceptError(err error) ls.Result {
	data := "52e"
	switch {
	case errors.Is(err, gssapi.ErrChannelBinding):
		data = "80090346"
	case errors.Is(err, gssapi.ErrWrongService):
		data = "80090322"
	case errors.Is(err, gssapi.ErrSkew):
		data = "80090324"
	}
	return saslRefusal(data, "%v", err)
}

// acceptContext is step 0: the AP-REQ.
func (st *gssapiBind) acceptContext(cred []byte) gssapiStepResult {
	d := st.d
	req, err := gssapi.ParseAPReqToken(cred)
	if err != nil {
		return failed(acceptError(err))
	}
	sname, realm := req.Ticket.SName, req.Ticket.Realm
	kt, err := d.dcKeytab(sname, realm)
	if err != nil {
		return failed(acceptError(fmt.Errorf("%w: %v", gssapi.ErrWrongService, err)))
	}
	acc, err := gssapi.NewAcceptor(gssapi.AcceptorConfig{Keytab: kt, Service: sname.String(),
		ChannelBindings: st.cb, Now: d.now, Rand: rand.Reader})
	if err != nil {
		return failed(result(ls.OperationsError, "lab: %v", err))
	}
	st.acc = acc
	out, _, err := acc.Step(cred)
	if err != nil {
		return failed(acceptError(err))
	}
	id, res := d.gssapiIdentity(acc)
	if id == nil {
		return failed(res)
	}
	st.id = id
	if out != nil {
		st.stage = 1
		return gssapiStepResult{out: out, more: true}
	}
	// Without mutual authentication there is no AP-REP: the layer offer
	// goes out at once.
	return st.offer()
}

// offer is the security-layer offer (RFC 4752 §3.1).
func (st *gssapiBind) offer() gssapiStepResult {
	st.offered, st.stage = sasl.LayerIntegrity|sasl.LayerConfidentiality, 2
	max := uint32(sasl.DefaultMaxBuf)
	if st.tls {
		st.offered, max = sasl.LayerNone, 0
	}
	tok, err := sasl.Offer(&st.acc.Context, st.offered, max)
	if err != nil {
		return failed(result(ls.OperationsError, "lab: %v", err))
	}
	return gssapiStepResult{out: tok, more: true}
}

// acceptLayer is the last step: the client's choice.
func (st *gssapiBind) acceptLayer(cred []byte) gssapiStepResult {
	d := st.d
	chosen, clientMax, authzid, err := sasl.Accept(&st.acc.Context, cred, st.offered)
	if err != nil {
		if !st.tls {
			return failed(result(ls.StrongerAuthRequired,
				"00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking if SSL\\TLS are not already active on the connection (Sign or Seal are required): %v, data 0, v4563", err))
		}
		return failed(saslRefusal("52e", "%v", err))
	}
	if authzid != "" && !d.authzMatches(authzid, st.id) {
		return failed(result(ls.InvalidCredentials,
			"80090308: LdapErr: DSID-0C0906CF, comment: the authorization identity %q is not the authenticated principal %s, data 52e, v4563", authzid, st.id.SAM))
	}
	sr := gssapiStepResult{id: st.id}
	if chosen != sasl.LayerNone {
		sr.layer = &gssapiLayer{ctx: &st.acc.Context, layer: chosen, peerMax: clientMax, max: sasl.DefaultMaxBuf}
	}
	return sr
}

// authzMatches accepts an authorization identity that names the
// authenticated account itself: "u:DOMAIN\name", "u:name", "dn:DN".
func (d *Directory) authzMatches(authzid string, id *Identity) bool {
	switch {
	case strings.HasPrefix(authzid, "dn:"):
		return lowerDN(strings.TrimPrefix(authzid, "dn:")) == lowerDN(id.DN)
	case strings.HasPrefix(authzid, "u:"):
		u := strings.TrimPrefix(authzid, "u:")
		if dom, name, ok := strings.Cut(u, `\`); ok {
			if !strings.EqualFold(dom, d.dom.NetBIOS) {
				return false
			}
			u = name
		}
		return strings.EqualFold(u, id.SAM)
	}
	return false
}

// dcKeytab returns DC1$'s stored keys under the ticket's service name when
// that name is one of DC1$'s (an SPN, host/… or DC1$ itself): the keytab a
// Windows DC's LSA holds for its own account.
func (d *Directory) dcKeytab(sname msg.PrincipalName, realm string) (*keytab.Keytab, error) {
	if !strings.EqualFold(realm, d.dom.Realm()) {
		return nil, fmt.Errorf("the ticket is for realm %s, this DC serves %s", realm, d.dom.Realm())
	}
	var keys *AccountKeys
	err := d.db.View(func(tx *store.Tx) error {
		e, err := d.lookupPrincipal(tx, sname, true)
		if err != nil {
			return fmt.Errorf("the ticket's service %s is not in the directory", sname)
		}
		if lowerDN(e.DN) != lowerDN(d.dom.DCDN()) {
			return fmt.Errorf("the ticket's service %s is %s, not this DC", sname, e.String("sAMAccountName"))
		}
		keys, err = storedKeys(e)
		return err
	})
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("the DC account has no keys")
	}
	p, err := keytab.ParsePrincipal(sname.String() + "@" + d.dom.Realm())
	if err != nil {
		return nil, err
	}
	kt := &keytab.Keytab{}
	for _, k := range []struct {
		e crypto.EncType
		b []byte
	}{{crypto.AES256CTSHMACSHA196, keys.AES256}, {crypto.AES128CTSHMACSHA196, keys.AES128}} {
		if k.b == nil {
			continue
		}
		key, err := crypto.NewKey(k.e, k.b)
		if err != nil {
			return nil, err
		}
		kt.Entries = append(kt.Entries, keytab.Entry{Principal: p, KVNO: keys.Kvno, Key: key})
	}
	return kt, nil
}

// gssapiIdentity resolves the authenticated client to its directory entry
// and token, with the account checks AD makes at logon.
func (d *Directory) gssapiIdentity(acc *gssapi.Acceptor) (*Identity, ls.Result) {
	name, realm := acc.ClientName()
	if !strings.EqualFold(realm, d.dom.Realm()) {
		return nil, saslRefusal("52e", "the client %s is not of realm %s (no trusts in the lab)", acc.Client(), d.dom.Realm())
	}
	var id *Identity
	var res ls.Result
	err := d.db.View(func(tx *store.Tx) error {
		e, err := d.lookupPrincipal(tx, name, false)
		if err != nil {
			res = saslRefusal("525", "the client %s is not in the directory", acc.Client())
			return nil
		}
		if uac(e)&uacAccountDisable != 0 {
			res = saslRefusal("533", "the account %s is disabled", e.String("sAMAccountName"))
			return nil
		}
		id, err = d.identityOf(tx, e)
		return err
	})
	if err != nil {
		return nil, result(ls.OperationsError, "lab: %v", err)
	}
	return id, res
}

// gssapiLayer is the negotiated SASL security layer over the GSS-API
// context: integrity (wrap tokens with a checksum) or confidentiality
// (sealed wrap tokens).
type gssapiLayer struct {
	ctx     *gssapi.Context
	layer   sasl.Layer
	peerMax uint32 // the largest buffer the client accepts
	max     uint32 // the largest buffer we accept
}

func (l *gssapiLayer) Wrap(p []byte) ([]byte, error) {
	tok, err := l.ctx.Wrap(p, l.layer.Conf())
	if err != nil {
		return nil, err
	}
	if uint32(len(tok)) > l.peerMax {
		return nil, fmt.Errorf("a response of %d octets wraps to %d, over the client's maximum buffer of %d", len(p), len(tok), l.peerMax)
	}
	return tok, nil
}

func (l *gssapiLayer) Unwrap(p []byte) ([]byte, error) { return sasl.Unframe(l.ctx, l.layer, p) }
func (l *gssapiLayer) MaxIncoming() int                { return int(l.max) }

// wrapOverhead bounds what a GSS wrap token adds to its plaintext: a
// 16-byte header, and for AES a 16-byte confounder, the 16-byte encrypted
// header copy and a 12-byte checksum (RFC 4121 §4.2.4).
const wrapOverhead = 64

// MaxPlaintext keeps every wrapped buffer within the client's maximum, so
// that responses larger than it are split across buffers.
func (l *gssapiLayer) MaxPlaintext() int {
	if l.peerMax <= wrapOverhead {
		return 0
	}
	return int(l.peerMax) - wrapOverhead
}
func (l *gssapiLayer) Confidential() bool { return l.layer == sasl.LayerConfidentiality }
