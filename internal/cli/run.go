package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/config"
)

const runExample = `  # Through gmsad: klist shows WebApp01$'s TGT
  gmsa run --credential-spec file://contoso_webapp01.json -- klist
  # Without a daemon, with the host's credentials from gmsad's configuration
  gmsa run --direct --config /etc/gmsa/gmsad.yaml --credential-spec file://contoso_webapp01.json -- curl --negotiate -u : https://mysite.contoso.com/
  # As root: the lease's files owned by uid 1000, and psql run as 1000:1000
  gmsa run --credential-spec file://contoso_webapp01.json --user 1000:1000 -- psql "host=sql.contoso.com dbname=app"`

func newRunCommand(e *env) *cobra.Command {
	var (
		ref, dir, owner, socket, configPath string
		direct                              bool
	)
	cmd := &cobra.Command{
		Use:   "run --credential-spec REF [--user UID[:GID]] [--direct] -- CMD [ARGS...]",
		Short: "Run a command with a gMSA's Kerberos identity (KRB5CCNAME, KRB5_CONFIG), then drop the lease",
		Long: `gmsa run creates a lease for the credential spec — through gmsad, or with
--direct in this process with the host's credentials from gmsad's
configuration file — runs CMD with KRB5CCNAME and KRB5_CONFIG pointing into
the lease directory, deletes the lease when CMD ends and exits with CMD's
exit status. The lease is renewed while CMD runs.`,
		Example: runExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || cmd.ArgsLenAtDash() != 0 {
				return usageError("put the command after --: gmsa run --credential-spec REF -- klist", "gmsa run needs a command after --")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if ref == "" {
				return usageError("", "--credential-spec is required")
			}
			req, err := leaseRequest(ref, dir, owner, "")
			if err != nil {
				return err
			}
			var b [8]byte
			rand.Read(b[:])
			req.ID = "run-" + hex.EncodeToString(b[:])
			if direct {
				return runDirect(cmd.Context(), e, configPath, req, args)
			}
			// A crashed gmsa run leaves no lease behind: gmsad
			// collects it once this process is gone.
			req.TieToCaller = true
			s := socketPath(socket)
			c := agent.NewClient(s)
			st, err := c.Create(cmd.Context(), req)
			if err != nil {
				return agentError(s, err)
			}
			runErr := runWithLease(cmd.Context(), e, st.Dir, req, args)
			// The lease goes even when ctx was cancelled (Ctrl-C).
			if err := c.Delete(context.WithoutCancel(cmd.Context()), st.ID); err != nil {
				fmt.Fprintf(e.Err, "warning: deleting lease %s: %v\n", st.ID, err)
			}
			return runErr
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&ref, "credential-spec", "", "the credential spec: file://NAME (in the CredentialSpecs directory), raw://JSON or config://NAME")
	fl.StringVar(&dir, "credspecs-dir", "", "the CredentialSpecs directory (default GMSA_CREDSPECS_DIR, else /var/lib/gmsa/credentialspecs)")
	fl.StringVar(&owner, "user", "", "UID[:GID] that owns the lease's files and, when you are root, runs CMD (default: you)")
	fl.BoolVar(&direct, "direct", false, "no daemon: get the tickets in this process with the host's credentials")
	fl.StringVar(&configPath, "config", "", "with --direct: gmsad's configuration file (default GMSA_CONFIG, else "+config.DefaultAgentFile+")")
	fl.StringVar(&socket, "socket", "", "gmsad's socket (default GMSA_SOCKET, else "+agent.DefaultSocket+")")
	return cmd
}

// runDirect runs an agent in this process on a temporary state and lease
// directory, with its renewal loop, for the time CMD runs.
func runDirect(ctx context.Context, e *env, configPath string, req agent.CreateRequest, args []string) error {
	if configPath == "" {
		configPath = orEnv("", "GMSA_CONFIG")
	}
	if configPath == "" {
		configPath = config.DefaultAgentFile
	}
	c, err := config.LoadAgent(configPath)
	if err != nil {
		return usageError("write gmsad's configuration (docs/agent.md) or pass --config", "%v", err)
	}
	tmp, err := os.MkdirTemp("", "gmsa-run-")
	if err != nil {
		return dataError(err, "")
	}
	defer os.RemoveAll(tmp)
	c.StateDir, c.LeaseRoot = filepath.Join(tmp, "state"), filepath.Join(tmp, "leases")
	o, _, err := agent.OptionsFrom(c, slog.New(slog.NewTextHandler(e.Err, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return dataError(err, "")
	}
	a, err := agent.New(o)
	if err != nil {
		return dataError(err, "")
	}
	defer a.Close()
	me := agent.Caller{UID: os.Getuid(), GID: os.Getgid()}
	l, err := a.Create(ctx, me, req)
	if err != nil {
		return dataError(err, "")
	}
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(loopCtx) }()
	runErr := runWithLease(ctx, e, l.Dir, req, args)
	stop()
	<-done
	if err := a.Delete(me, l.ID); err != nil {
		fmt.Fprintf(e.Err, "warning: deleting lease %s: %v\n", l.ID, err)
	}
	return runErr
}

// runWithLease runs CMD with the lease's KRB5CCNAME and KRB5_CONFIG — as
// the lease's owner when --user names another user and this process is
// root — and returns its exit status as the error's exit code.
func runWithLease(ctx context.Context, e *env, dir string, req agent.CreateRequest, args []string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if req.UID != nil && os.Geteuid() == 0 && *req.UID != 0 {
		gid := *req.UID
		if req.GID != nil {
			gid = *req.GID
		}
		if err := runAs(cmd, *req.UID, gid); err != nil {
			return usageError("", "--user: %v", err)
		}
	}
	cmd.Env = append(os.Environ(), "KRB5CCNAME=FILE:"+filepath.Join(dir, agent.CCacheFile), "KRB5_CONFIG="+filepath.Join(dir, agent.ConfFile))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.In, e.Out, e.Err
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return &cliError{code: ee.ExitCode(), err: fmt.Errorf("%s exited with status %d", args[0], ee.ExitCode())}
	}
	return dataError(fmt.Errorf("%s: %w", args[0], err), "")
}
