package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
)

func newAccountCommand(e *env) *cobra.Command {
	cmd := groupCommand("account", "Work with service accounts in Active Directory")
	cmd.AddCommand(newAccountTestCommand(e), newAccountCreateCommand(e), newAccountShowCommand(e), newAccountListCommand(e), newAccountDeleteCommand(e))
	return cmd
}

// accountTestResult is the output of `gmsa account test`. It never holds a
// password or key: the blob is decoded only to prove it is one.
type accountTestResult struct {
	Account           string `json:"account"`
	DN                string `json:"dn"`
	Identity          string `json:"identity"`
	Result            bool   `json:"result"`
	Reason            string `json:"reason"`
	QueryInterval     string `json:"query_interval"`
	UnchangedInterval string `json:"unchanged_interval"`

	hint string // how to fix a false result; on stderr only
	// denied: the DC withheld the password from the bound identity (not
	// in msDS-GroupMSAMembership), so `gmsa doctor` can name the groups
	// to join.
	denied bool
}

func (r accountTestResult) table(w io.Writer) {
	fmt.Fprintln(w, r.Result)
	rows(w, "Account", r.Account, "DN", r.DN, "Identity", r.Identity, "Reason", r.Reason,
		"Query interval", r.QueryInterval, "Unchanged interval", r.UnchangedInterval)
}

const accountTestExample = `  # On a host joined to the domain (Kerberos from /etc/krb5.keytab):
  if gmsa account test WebApp01 --server dc1.contoso.com; then echo ready; fi

  # As the host's machine account with a keytab over sealed LDAP, as JSON:
  gmsa account test WebApp01 --server ldap://dc1.contoso.com --keytab node1.keytab -o json

  # As the machine account with its password over ldaps:
  gmsa account test WebApp01 --server ldaps://dc1.contoso.com --ca-file ca.pem \
      --user 'node1$@contoso.com' --password-file node1.pw`

func newAccountTestCommand(e *env) *cobra.Command {
	var conn connectFlags
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Check that this host may use a gMSA: read its managed password (Test-ADServiceAccount)",
		Long: `Bind as this host's identity and try to read the gMSA's msDS-ManagedPassword,
as Test-ADServiceAccount does. Prints true when the DC returns a blob that
decodes and the account is enabled (exit 0); otherwise false and the reason
(exit 1): no such account, not a gMSA, disabled, the bound identity is not in
msDS-GroupMSAMembership (PrincipalsAllowedToRetrieveManagedPassword), or the
connection is not confidential. A wrong command line exits 2.

NAME is a sAMAccountName, with or without the trailing $. Without --user the
bind is Kerberos with the host's credentials: --keytab or --ccache, else
KRB5CCNAME, else /etc/krb5.keytab. No password or key is ever printed; the
query and unchanged intervals of the blob are.`,
		Example: accountTestExample,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := parseLocalGMSARef(args[0])
			if err != nil {
				return err
			}
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			r := accountTestResult{Account: ref.name, Identity: conn.boundAs}
			if err := testAccount(cmd, c, ref.name, &r); err != nil {
				return err
			}
			if err := render(e, r); err != nil {
				return err
			}
			if !r.Result {
				return dataError(errors.New(r.Reason), r.hint)
			}
			return nil
		},
	}
	conn.register(cmd)
	return cmd
}

// testAccount fills r. Reasons for a false result are kept in r; only
// failures to ask (the connection, the search) are returned.
func testAccount(cmd *cobra.Command, c *directory.Conn, name string, r *accountTestResult) error {
	ctx := cmd.Context()
	fail := func(reason, hint string) error {
		r.Result, r.Reason, r.hint = false, reason, hint
		return nil
	}
	a, err := c.FindAccount(ctx, name)
	if errors.Is(err, directory.ErrNotFound) {
		return fail(fmt.Sprintf("no account %q (nor %q) in the domain", name, strings.TrimSuffix(name, "$")+"$"),
			"names are sAMAccountNames (WebApp01 or WebApp01$); create the gMSA with New-ADServiceAccount")
	}
	if err != nil {
		return directoryError(err)
	}
	r.Account, r.DN = a.SAMAccountName, a.DN
	if !a.IsGMSA() {
		return fail(fmt.Sprintf("%s is not a gMSA (%s)", a.SAMAccountName, directory.ErrNotGMSA),
			"only msDS-GroupManagedServiceAccount objects have a managed password")
	}
	if a.Disabled() {
		return fail(fmt.Sprintf("%s is disabled", a.SAMAccountName),
			"enable it: Enable-ADAccount "+strings.TrimSuffix(a.SAMAccountName, "$")+" (or samba-tool user enable)")
	}
	mp, err := c.ManagedPassword(ctx, a.DN)
	switch {
	case errors.Is(err, directory.ErrNotAllowed):
		who := r.Identity
		if who == "" {
			who = "the bound identity"
		}
		r.denied = true
		return fail(fmt.Sprintf("this identity (%s) is not in msDS-GroupMSAMembership of %s: the DC withholds msDS-ManagedPassword", who, a.SAMAccountName),
			fmt.Sprintf("add %s, or a group it is in, to PrincipalsAllowedToRetrieveManagedPassword of %s "+
				"(Set-ADServiceAccount, or gmsa group add-member GROUP %s for a group already allowed)",
				principalName(who), strings.TrimSuffix(a.SAMAccountName, "$"), principalName(who)))
	case errors.Is(err, directory.ErrConfidentialityRequired):
		return fail("the DC requires a confidential channel to return msDS-ManagedPassword",
			"connect with ldaps:// or --start-tls, or bind with Kerberos over ldap:// (which seals)")
	case errors.Is(err, directory.ErrMalformed):
		return fail(fmt.Sprintf("the DC returned an msDS-ManagedPassword for %s that does not decode", a.SAMAccountName), "")
	case errors.Is(err, directory.ErrNotFound):
		return fail(fmt.Sprintf("%s disappeared while it was read", a.SAMAccountName), "")
	case errors.Is(err, directory.ErrNotGMSA):
		return fail(fmt.Sprintf("%s is not a gMSA (%s)", a.SAMAccountName, directory.ErrNotGMSA), "")
	case err != nil:
		return directoryError(err)
	case mp.Blob == nil:
		return fail("the DC returned no msDS-ManagedPassword", "")
	}
	r.Result = true
	r.QueryInterval = roundDuration(mp.Blob.Query())
	r.UnchangedInterval = roundDuration(mp.Blob.Unchanged())
	return nil
}

// principalName is the account part of an identity: node1$ of
// node1$@contoso.com or CONTOSO\node1$.
func principalName(who string) string {
	if i := strings.LastIndex(who, `\`); i >= 0 {
		who = who[i+1:]
	}
	if n, _, ok := strings.Cut(who, "@"); ok {
		return n
	}
	return who
}
