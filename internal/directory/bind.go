package directory

import (
	"context"
	"errors"

	"github.com/go-ldap/ldap/v3"
)

// BindSimple binds with a name (a UPN such as "node1$@contoso.com", a DN,
// or DOMAIN\name) and a password. It refuses, before sending anything,
// unless the connection is TLS (ldaps:// or StartTLS): a simple bind puts
// the password on the wire as it is ([ErrInsecureBind]). An empty password
// is refused too: LDAP would treat it as an unauthenticated bind.
//
// Other binds (SASL GSSAPI with sign/seal or channel bindings) are further
// methods of Conn; each sets boundAs, and confidential when it seals.
func (c *Conn) BindSimple(ctx context.Context, user, password string) error {
	fail := func(err error, hint string) error {
		return &Error{Op: "simple bind to " + c.server + " as", Account: user, Err: err, Hint: hint}
	}
	if c.sc.protected() != 0 {
		return fail(errors.New("the connection carries a GSSAPI security layer; a new bind would drop it"), "dial a new connection")
	}
	if !c.confidential.Load() {
		return fail(ErrInsecureBind, "connect with ldaps:// or --start-tls, or bind with Kerberos")
	}
	if password == "" {
		return fail(errors.New("empty password (that would be an unauthenticated bind)"), "")
	}
	err := c.do(ctx, func() error {
		_, err := c.l.SimpleBind(&ldap.SimpleBindRequest{Username: user, Password: password})
		return err
	})
	if err != nil {
		hint := ""
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			hint = "check the name (NAME@domain or a DN) and the password; a disabled account fails the same way"
		}
		return fail(err, hint)
	}
	c.boundAs.Store(&user)
	return nil
}
