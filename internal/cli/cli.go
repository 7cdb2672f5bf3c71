// Package cli implements the `gmsa` command: one cobra command per verb of
// Microsoft's gMSA-for-containers walkthrough, plus the offline tools
// incident responders use to check what a domain controller computes (key
// derivation, GKIDs, managed-password blobs).
//
// Conventions every verb follows (architecture.md, "Conventions every issue
// shares"): -o table|json|yaml; times as RFC 3339, FILETIME integers or a
// signed duration from now; secrets printed only behind --show-password or
// --show-keys; usage errors exit 2 and data errors exit 1, with an "error:"
// line and, where one helps, a "hint:" line; output is built whole before
// anything is written, so a failure never leaves partial output.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Streams are the command's standard streams.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// env is what every command needs from its surroundings: streams, the
// clock, and the output format.
type env struct {
	Streams
	now    func() time.Time
	output string
}

// Exit codes.
const (
	exitOK    = 0
	exitData  = 1 // the input was understood but cannot be processed
	exitUsage = 2 // the command line is wrong
)

// cliError carries an exit code and an optional hint to the user.
type cliError struct {
	code int
	err  error
	hint string
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// usageError reports a wrong command line (exit 2).
func usageError(hint, format string, args ...any) error {
	return &cliError{code: exitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// dataError reports input that cannot be processed (exit 1).
func dataError(err error, hint string) error {
	return &cliError{code: exitData, err: err, hint: hint}
}

// Main runs the gmsa command line and returns the process exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	return run(ctx, args, &env{Streams: s, now: time.Now})
}

func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.In)
	root.SetOut(e.Out)
	root.SetErr(e.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code, hint := exitUsage, ""
	var ce *cliError
	if errors.As(err, &ce) {
		code, hint = ce.code, ce.hint
	}
	fmt.Fprintf(e.Err, "error: %s\n", err)
	if hint != "" {
		fmt.Fprintf(e.Err, "hint: %s\n", hint)
	}
	return code
}

const rootLong = `gmsa — group Managed Service Accounts for containers, on any host.

A container started with a credential spec runs as an Active Directory
identity: it holds Kerberos tickets for the gMSA and nobody handles its
password. gmsa speaks LDAP and Kerberos to Windows AD, Samba, or its own lab
domain.

Try the whole walkthrough against a lab domain, with nothing to install:
  gmsa quickstart            Microsoft's gMSA-for-containers walkthrough, end to end

Offline tools:
  gmsa kds password          derive a gMSA password and its Kerberos keys from a KDS root key
  gmsa kds gkid              convert between times and group key identifiers
  gmsa managed-password decode   decode an msDS-ManagedPassword blob

Active Directory (LDAP, with --server, --user/--password-file, --keytab or --ccache):
  gmsa kds root-key add|list  create or list KDS root keys (Add-KdsRootKey, Get-KdsRootKey)
  gmsa group create|add-member      security groups for the hosts allowed to use a gMSA
  gmsa account create|list|show|delete   group managed service accounts (New-ADServiceAccount, Get-ADServiceAccount)
  gmsa account test NAME     check that this host may use a gMSA (Test-ADServiceAccount)
  gmsa computer create NAME  create a computer account with a keytab: a domain join for test hosts
  gmsa doctor                find out why a host or container cannot use its gMSA (DNS, ports, clock, credentials, SPNs)

Lab domain (an embedded domain controller for laptops and CI):
  gmsa lab init|serve        provision and serve a lab domain from one data directory
  gmsa lab env               print the settings that point every verb at a running lab
  gmsa lab clock-offset      move the lab's KDS clock through gMSA password rollovers

Running workloads as a gMSA (the host agent gmsad):
  gmsa run --credential-spec REF -- CMD    run CMD with a ticket cache for the spec's gMSA
  gmsa lease create|list|show|delete|renew|docker-args   manage gmsad's leases

Credential specs:
  gmsa credspec new          create a credential spec for a gMSA, reading the domain over LDAP
  gmsa credspec list|show|validate|remove|export|import

Kerberos tools for containers without MIT tools:
  gmsa kinit                 get a TGT with a password or keytab (or renew one: -R)
  gmsa klist                 list the tickets in a cache or the keys in a keytab
  gmsa kvno                  get service tickets with the cached TGT
  gmsa keytab add            add keys to a keytab from a password or raw key

Times are RFC 3339 (2024-01-31T10:00:00Z), FILETIME integers
(133387453261266352), or a signed duration from now (-10h, +30m, -31d).`

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "gmsa",
		Short:         "Group Managed Service Accounts for containers, on any host",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch e.output {
			case "table", "json", "yaml":
				return nil
			}
			return usageError("use -o table, -o json or -o yaml", "-o %q: unknown output format", e.output)
		},
	}
	root.PersistentFlags().StringVarP(&e.output, "output", "o", "table", "output format: table, json or yaml")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("run '"+cmd.CommandPath()+" --help' for usage", "%s", err)
	})
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(newKDSCommand(e), newManagedPasswordCommand(e), newKinitCommand(e), newKlistCommand(e), newKvnoCommand(e), newKeytabCommand(e), newCredspecCommand(e), newAccountCommand(e), newComputerCommand(e), newGroupCommand(e), newDoctorCommand(e), newLabCommand(e), newQuickstartCommand(e), newRunCommand(e), newLeaseCommand(e), newVersionCommand(e))
	return root
}

// noArgs rejects positional arguments with a usage error that names them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return usageError("run '"+cmd.CommandPath()+" --help' for the list of commands", "unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return usageError("", "%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
}

// maxArgs allows up to n positional arguments.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError("run '"+cmd.CommandPath()+" --help' for usage", "%s takes at most %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// groupCommand is a command that only holds subcommands.
func groupCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
}
