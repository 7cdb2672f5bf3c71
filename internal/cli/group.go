package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
)

func newGroupCommand(e *env) *cobra.Command {
	cmd := groupCommand("group", "Work with security groups in Active Directory")
	cmd.AddCommand(newGroupCreateCommand(e), newGroupAddMemberCommand(e))
	return cmd
}

type groupCreateResult struct {
	Name           string `json:"name"`
	SAMAccountName string `json:"sam_account_name"`
	Scope          string `json:"scope"`
	DN             string `json:"dn"`
}

func (r groupCreateResult) table(w io.Writer) {
	rows(w, "Name", r.Name, "sAMAccountName", r.SAMAccountName, "Scope", r.Scope, "DN", r.DN)
}

func newGroupCreateCommand(e *env) *cobra.Command {
	var (
		conn  connectFlags
		sam   string
		scope string
	)
	cmd := &cobra.Command{
		Use:   "create NAME [--sam-account-name S] [--scope global|domainlocal|universal]",
		Short: "Create a security group (New-ADGroup)",
		Long: `Create a security group NAME in CN=Users of the domain, with sAMAccountName
--sam-account-name (default NAME) and the --scope given (default global).
An account with that sAMAccountName already existing is an error (exit 1).`,
		Example: `  gmsa group create WebApp01Hosts --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			sc, err := directory.ParseGroupScope(scope)
			if err != nil {
				return usageError("give --scope global, domainlocal or universal", "%v", err)
			}
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if sam == "" {
				sam = args[0]
			}
			dn, err := c.CreateGroup(ctx, directory.GroupOptions{Name: args[0], SAMAccountName: sam, Scope: sc})
			if err != nil {
				return directoryError(err)
			}
			return render(e, groupCreateResult{Name: args[0], SAMAccountName: sam, Scope: scopeName(sc), DN: dn})
		},
	}
	cmd.Flags().StringVar(&sam, "sam-account-name", "", "the group's sAMAccountName (default NAME)")
	cmd.Flags().StringVar(&scope, "scope", "global", "global, domainlocal or universal")
	conn.register(cmd)
	return cmd
}

func scopeName(s directory.GroupScope) string {
	switch s {
	case directory.ScopeDomainLocal:
		return "domainlocal"
	case directory.ScopeUniversal:
		return "universal"
	}
	return "global"
}

type groupAddMemberResult struct {
	Group   string   `json:"group"`
	Members []string `json:"members"`
}

func (r groupAddMemberResult) table(w io.Writer) {
	for _, m := range r.Members {
		fmt.Fprintf(w, "%s\t%s\n", r.Group, m)
	}
}

func newGroupAddMemberCommand(e *env) *cobra.Command {
	var conn connectFlags
	cmd := &cobra.Command{
		Use:   "add-member GROUP MEMBER...",
		Short: "Add accounts to a security group (Add-ADGroupMember)",
		Long: `Add each MEMBER (a sAMAccountName of a user, computer — with or without the
trailing $ — gMSA or group) to GROUP. A member already in the group is not an
error.`,
		Example: `  gmsa group add-member WebApp01Hosts node1 node2$ --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError("run '"+cmd.CommandPath()+" --help' for usage", "%s takes GROUP and at least one MEMBER", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			for _, m := range args[1:] {
				if err := c.AddGroupMember(ctx, args[0], m); err != nil {
					return directoryError(err)
				}
			}
			return render(e, groupAddMemberResult{Group: args[0], Members: args[1:]})
		},
	}
	conn.register(cmd)
	return cmd
}
