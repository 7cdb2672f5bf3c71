package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/credspec"
	"github.com/opengmsa/gmsa/internal/agent"
)

// The verbs that talk to gmsad's socket: `gmsa lease …` and `gmsa run`.

// ContainerDir is where a lease is mounted in Docker and runc containers
// (architecture.md, "Files").
const ContainerDir = "/var/run/gmsa"

// socketPath is --socket, else GMSA_SOCKET, else gmsad's default.
func socketPath(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv("GMSA_SOCKET"); s != "" {
		return s
	}
	return agent.DefaultSocket
}

// resolveSpec reads a credential spec reference client-side, as Docker
// does: file:// in the CredentialSpecs directory, raw:// inline, config://
// a Docker swarm config (through `docker config inspect`). The result is
// the document gmsad receives inline.
func resolveSpec(ref, dir string) (json.RawMessage, error) {
	r, err := credspec.ParseReference(ref)
	if err != nil {
		return nil, usageError("give --credential-spec file://NAME.json, raw://JSON or config://NAME", "--credential-spec: %v", err)
	}
	b, err := credspec.Resolve(r, credspec.Resolver{
		Dir:      dir,
		ReadFile: os.ReadFile,
		Config:   dockerConfig,
	})
	if err != nil {
		return nil, dataError(fmt.Errorf("--credential-spec %s: %w", r, err), "")
	}
	if _, _, err := credspec.Parse(b); err != nil {
		return nil, dataError(fmt.Errorf("--credential-spec %s: %w", r, err), "check it with 'gmsa credspec validate'")
	}
	return b, nil
}

// dockerConfig reads a Docker swarm config's content.
func dockerConfig(name string) ([]byte, error) {
	out, err := exec.Command("docker", "config", "inspect", "--format", "{{json .Spec.Data}}", name).Output()
	if err != nil {
		return nil, fmt.Errorf("docker config inspect %s: %w", name, err)
	}
	var data []byte // JSON encodes []byte as base64
	if err := json.Unmarshal(out, &data); err != nil {
		var s string
		if json.Unmarshal(out, &s) != nil {
			return nil, fmt.Errorf("docker config inspect %s: %w", name, err)
		}
		return base64.StdEncoding.DecodeString(s)
	}
	return data, nil
}

// parseOwner reads --user UID[:GID].
func parseOwner(s string) (uid, gid *int, err error) {
	if s == "" {
		return nil, nil, nil
	}
	u, g, hasGID := strings.Cut(s, ":")
	n, err := strconv.Atoi(u)
	if err != nil || n < 0 {
		return nil, nil, usageError("give a numeric uid, e.g. --user 1000 or --user 1000:1000", "--user %q: not UID[:GID]", s)
	}
	uid = &n
	if hasGID {
		m, err := strconv.Atoi(g)
		if err != nil || m < 0 {
			return nil, nil, usageError("give a numeric gid, e.g. --user 1000:1000", "--user %q: not UID[:GID]", s)
		}
		gid = &m
	}
	return uid, gid, nil
}

// agentError turns an error of the API into a data error (a usage error
// when the request itself was refused as invalid).
func agentError(socket string, err error) error {
	var ae *agent.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == 400:
		return usageError("", "%v", err)
	case errors.As(err, &ae):
		return dataError(err, "")
	}
	return dataError(err, "is gmsad running? it listens on "+socket+" (--socket, GMSA_SOCKET)")
}

// leaseResult is a lease as the lease verbs print it.
type leaseResult struct{ *agent.Status }

func (r leaseResult) table(w io.Writer) {
	rows(w, "ID", r.ID, "Directory", r.Dir, "Owner", fmt.Sprintf("%d:%d", r.UID, r.GID),
		"Created", r.Created.UTC().Format(time.RFC3339))
	for _, id := range r.Identities {
		fmt.Fprintf(w, "\n")
		rows(w, "Account", id.Account, "File", id.File, "Principal", id.Principal,
			"Ticket start", fmtTime(id.Start), "Ticket end", fmtTime(id.End), "Renew till", fmtTime(id.RenewTill),
			"Next action", id.NextAction+" at "+fmtTime(id.NextRenewal))
		if id.LastError != "" {
			rows(w, "Last error", id.LastError)
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

type leaseList []*agent.Status

func (l leaseList) table(w io.Writer) {
	fmt.Fprintln(w, "ID\tACCOUNTS\tOWNER\tTICKET END\tNEXT\tERROR")
	for _, s := range l {
		var accts []string
		end, next, lastErr := "-", "-", ""
		for i, id := range s.Identities {
			accts = append(accts, id.Account)
			if i == 0 {
				end, next = fmtTime(id.End), id.NextAction+" "+fmtTime(id.NextRenewal)
			}
			if id.LastError != "" {
				lastErr = id.LastError
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%d:%d\t%s\t%s\t%s\n", s.ID, strings.Join(accts, ","), s.UID, s.GID, end, next, lastErr)
	}
}

func newLeaseCommand(e *env) *cobra.Command {
	var socket string
	cmd := groupCommand("lease", "Leases of gMSA identities from gmsad: create, list, show, delete, renew, docker-args")
	cmd.PersistentFlags().StringVar(&socket, "socket", "", "gmsad's socket (default GMSA_SOCKET, else "+agent.DefaultSocket+")")
	client := func() (*agent.Client, string) { s := socketPath(socket); return agent.NewClient(s), s }

	var (
		ref, dir, owner, id string
		keytab              bool
		mode                string
	)
	create := &cobra.Command{
		Use:   "create --credential-spec REF",
		Short: "Create a lease: a directory with the gMSA's ccache, krb5.conf and optionally a keytab",
		Args:  noArgs,
		Example: `  gmsa lease create --credential-spec file://contoso_webapp01.json
  gmsa lease create --credential-spec file://contoso_webapp01.json --id web-1 --user 1000:1000 -o json
  gmsa lease create --credential-spec file://contoso_webapp01.json --keytab --file-mode 0640`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ref == "" {
				return usageError("", "--credential-spec is required")
			}
			req, err := leaseRequest(ref, dir, owner, mode)
			if err != nil {
				return err
			}
			req.ID, req.Keytab = id, keytab
			c, s := client()
			st, err := c.Create(cmd.Context(), req)
			if err != nil {
				return agentError(s, err)
			}
			return render(e, leaseResult{st})
		},
	}
	create.Flags().StringVar(&ref, "credential-spec", "", "the credential spec: file://NAME (in the CredentialSpecs directory), raw://JSON or config://NAME")
	create.Flags().StringVar(&dir, "credspecs-dir", "", "the CredentialSpecs directory (default GMSA_CREDSPECS_DIR, else /var/lib/gmsa/credentialspecs)")
	create.Flags().StringVar(&owner, "user", "", "UID[:GID] to own the lease's files (default: yours; another needs root)")
	create.Flags().StringVar(&id, "id", "", "the lease id, for an idempotent create (default: a random one)")
	create.Flags().BoolVar(&keytab, "keytab", false, "also write krb5.keytab with the gMSA's current and previous keys")
	create.Flags().StringVar(&mode, "file-mode", "0600", "mode of the lease's files: 0600 or 0640")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List your leases (root: all)",
		Args:    noArgs,
		Example: "  gmsa lease list\n  gmsa lease list -o json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, s := client()
			ls, err := c.List(cmd.Context())
			if err != nil {
				return agentError(s, err)
			}
			return render(e, leaseList(ls))
		},
	}
	one := func(use, short, example string, do func(ctx context.Context, c *agent.Client, id string) (*agent.Status, error)) *cobra.Command {
		return &cobra.Command{
			Use: use + " ID", Short: short, Example: example,
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) != 1 {
					return usageError("", "%s takes one lease ID", cmd.CommandPath())
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				c, s := client()
				st, err := do(cmd.Context(), c, args[0])
				if err != nil {
					return agentError(s, err)
				}
				if st == nil {
					return nil
				}
				return render(e, leaseResult{st})
			},
		}
	}
	show := one("show", "Show a lease: its files, tickets and next renewal", "  gmsa lease show web-1\n  gmsa lease show web-1 -o json",
		func(ctx context.Context, c *agent.Client, id string) (*agent.Status, error) { return c.Show(ctx, id) })
	del := one("delete", "Delete a lease and its directory", "  gmsa lease delete web-1",
		func(ctx context.Context, c *agent.Client, id string) (*agent.Status, error) {
			if err := c.Delete(ctx, id); err != nil {
				return nil, err
			}
			fmt.Fprintf(e.Out, "lease %s deleted\n", id)
			return nil, nil
		})
	renew := one("renew", "Renew a lease's tickets now", "  gmsa lease renew web-1",
		func(ctx context.Context, c *agent.Client, id string) (*agent.Status, error) { return c.Renew(ctx, id) })
	dockerArgs := one("docker-args", "Print the docker run flags that mount a lease read-only at "+ContainerDir,
		"  docker run $(gmsa lease docker-args web-1) mcr.microsoft.com/dotnet/runtime:8.0 klist",
		func(ctx context.Context, c *agent.Client, id string) (*agent.Status, error) {
			st, err := c.Show(ctx, id)
			if err != nil {
				return nil, err
			}
			fmt.Fprintln(e.Out, strings.Join(dockerArgsFor(st.Dir), " "))
			return nil, nil
		})
	cmd.AddCommand(create, list, show, del, renew, dockerArgs)
	return cmd
}

// dockerArgsFor are the docker run flags for a lease directory.
func dockerArgsFor(dir string) []string {
	return []string{
		"--mount", "type=bind,source=" + dir + ",target=" + ContainerDir + ",readonly",
		"--env", "KRB5CCNAME=FILE:" + path.Join(ContainerDir, agent.CCacheFile),
		"--env", "KRB5_CONFIG=" + path.Join(ContainerDir, agent.ConfFile),
	}
}

// leaseRequest builds a create request from the common flags.
func leaseRequest(ref, dir, owner, mode string) (agent.CreateRequest, error) {
	// The command line is checked before any file is read.
	var req agent.CreateRequest
	var err error
	if req.UID, req.GID, err = parseOwner(owner); err != nil {
		return req, err
	}
	if mode != "" {
		m, err := strconv.ParseUint(mode, 8, 32)
		if err != nil {
			return req, usageError("", "--file-mode %q: not an octal mode", mode)
		}
		req.FileMode = uint32(m)
	}
	req.CredentialSpec, err = resolveSpec(ref, credspecsDir(dir))
	return req, err
}
