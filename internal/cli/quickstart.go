package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/lab"
)

// qsStep is one step of the quickstart as it is shown and, with -o json,
// emitted (one JSON object per line).
type qsStep struct {
	Step       int     `json:"step"`
	Name       string  `json:"name"`
	PowerShell string  `json:"powershell,omitempty"`
	Command    string  `json:"command,omitempty"`
	Status     string  `json:"status"` // ok, fail, skip
	DurationMS float64 `json:"duration_ms"`
	Detail     string  `json:"detail,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	Hint       string  `json:"hint,omitempty"`
}

// quickstart runs Microsoft's walkthrough against a lab domain it starts.
type quickstart struct {
	e      *env
	ctx    context.Context
	dir    string // the working directory (temporary, or --keep)
	listen string
	kept   bool
	start  time.Time
	info   *lab.Info
	step   int
	failed bool
	// admin are the connection flags of the lab's Administrator.
	admin      []string
	restoreEnv func()
	// cleanups stop what the steps started (after the context is
	// cancelled), in reverse order.
	cleanups []func()
}

// setenvRestore sets an environment variable for the rest of the
// quickstart and returns how to put it back.
func setenvRestore(name, value string) func() {
	old, had := os.LookupEnv(name)
	os.Setenv(name, value)
	return func() {
		if had {
			os.Setenv(name, old)
		} else {
			os.Unsetenv(name)
		}
	}
}

func newQuickstartCommand(e *env) *cobra.Command {
	var keep, listen string
	cmd := &cobra.Command{
		Use:   "quickstart [--keep DIR] [--listen IP] [-o json]",
		Short: "Run Microsoft's gMSA walkthrough end to end against a lab domain it starts",
		Long: `Start the lab domain (in a temporary directory, or DIR with --keep) and perform
each step of Microsoft's "Group Managed Service Accounts for Windows containers"
walkthrough in its order and with its names — the KDS root key, the
WebApp01Hosts group, the gMSAs WebApp01 and LogAgentSvc, a container host
joined to the domain and allowed to use them, Test-ADServiceAccount, the
credential spec — printing each step with ✓ or ✗, its duration, the gmsa
command that does it and, on failure, the reason and a hint. -o json emits one
JSON object per step. Everything it starts, it stops.

With --keep DIR, DIR/lab (the lab's data), DIR/credentialspecs and
DIR/host.keytab are left behind and the commands to start the lab again are
printed.`,
		Example: `  gmsa quickstart
  gmsa quickstart --keep ./demo
  gmsa quickstart -o json | jq -r '[.step, .status, .name] | @tsv'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := &quickstart{e: e, ctx: cmd.Context(), listen: listen, start: time.Now()}
			return q.run(keep)
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "", "work in DIR and leave the lab, credential specs and host keytab there")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1", "the address the lab listens on (its standard ports when free, else the next free ones)")
	return cmd
}

func (q *quickstart) run(keep string) error {
	if keep != "" {
		if err := os.MkdirAll(keep, 0o700); err != nil {
			return dataError(err, "")
		}
		abs, err := filepath.Abs(keep)
		if err != nil {
			return dataError(err, "")
		}
		if _, err := os.Stat(filepath.Join(abs, "lab", lab.DBFile)); err == nil {
			return dataError(fmt.Errorf("%s already holds a quickstart lab", abs), "choose an empty directory, or remove "+filepath.Join(abs, "lab"))
		}
		q.dir = abs
		q.kept = true
	} else {
		d, err := os.MkdirTemp("", "gmsa-quickstart-")
		if err != nil {
			return dataError(err, "")
		}
		defer os.RemoveAll(d)
		q.dir = d
	}
	if q.e.output == "table" {
		fmt.Fprintf(q.e.Out, "gMSA for containers: Microsoft's walkthrough against a lab domain (%s)\n\n", q.dir)
	}
	ctx, cancel := context.WithCancel(q.ctx)
	defer cancel()
	labDone := make(chan error, 1)
	q.do("Start the lab domain controller (LDAP, KDS, KDC)", "", "gmsa lab init && gmsa lab serve", func() (string, error) {
		return q.startLab(ctx, labDone)
	})
	if q.failed {
		return q.finish()
	}
	defer func() {
		cancel()
		for i := len(q.cleanups) - 1; i >= 0; i-- {
			q.cleanups[i]()
		}
		<-labDone
		if q.restoreEnv != nil {
			q.restoreEnv()
		}
	}()
	q.walkthrough()
	q.workload(ctx)
	return q.finish()
}

func (q *quickstart) startLab(ctx context.Context, done chan error) (string, error) {
	dir := filepath.Join(q.dir, "lab")
	d, err := lab.Init(dir, lab.InitOptions{})
	if err != nil {
		done <- nil
		return "", err
	}
	d.Close()
	ready := make(chan *lab.Info, 1)
	go func() {
		done <- lab.Serve(ctx, lab.ServeOptions{Dir: dir, Listen: q.listen, Ready: func(i *lab.Info) { ready <- i }})
	}()
	select {
	case q.info = <-ready:
	case err := <-done:
		done <- err
		return "", err
	case <-time.After(30 * time.Second):
		return "", errors.New("the lab did not start within 30 s")
	}
	// The Kerberos steps (the host's bind with its keytab, the workload's
	// tickets) find the lab's KDC through this krb5.conf.
	conf := filepath.Join(q.dir, "krb5.conf")
	if err := writeFileAtomic(conf, []byte(labKrb5Conf(q.info)), 0o644); err != nil {
		return "", err
	}
	q.restoreEnv = setenvRestore("KRB5_CONFIG", conf)
	q.admin = []string{"--server", q.info.LDAPSURL(), "--ca-file", q.info.CAFile,
		"--user", "Administrator@" + q.info.Domain, "--password-file", filepath.Join(dir, lab.AdminPasswordFile)}
	return fmt.Sprintf("domain %s (%s), %s, %s, KDC %s:%d", q.info.Domain, q.info.NetBIOS, q.info.LDAPURL(), q.info.LDAPSURL(),
		q.info.Listen, q.info.KDCPort), nil
}

// do runs one step unless an earlier one failed, timing it and printing
// the outcome.
func (q *quickstart) do(name, powershell, command string, f func() (string, error)) {
	if q.failed {
		return
	}
	q.step++
	s := qsStep{Step: q.step, Name: name, PowerShell: powershell, Command: command}
	start := time.Now()
	detail, err := f()
	s.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	s.Detail = detail
	s.Status = "ok"
	var skip *errSkip
	if errors.As(err, &skip) {
		s.Status, s.Detail = "skip", skip.why
		err = nil
	}
	if err != nil {
		q.failed = true
		s.Status = "fail"
		s.Reason = err.Error()
		var ce *cliError
		if errors.As(err, &ce) {
			s.Hint = ce.hint
		}
	}
	q.print(s)
}

func (q *quickstart) print(s qsStep) {
	if q.e.output != "table" {
		b, _ := json.Marshal(s)
		fmt.Fprintf(q.e.Out, "%s\n", b)
		return
	}
	mark := map[string]string{"ok": "✓", "fail": "✗", "skip": "–"}[s.Status]
	fmt.Fprintf(q.e.Out, "%s %2d. %s (%s)\n", mark, s.Step, s.Name, fmtDuration(s.DurationMS))
	if s.PowerShell != "" {
		fmt.Fprintf(q.e.Out, "       PowerShell: %s\n", s.PowerShell)
	}
	if s.Command != "" {
		fmt.Fprintf(q.e.Out, "       gmsa:       %s\n", s.Command)
	}
	for _, line := range strings.Split(s.Detail, "\n") {
		if line != "" {
			fmt.Fprintf(q.e.Out, "       %s\n", line)
		}
	}
	if s.Reason != "" {
		fmt.Fprintf(q.e.Out, "       reason: %s\n", s.Reason)
	}
	if s.Hint != "" {
		fmt.Fprintf(q.e.Out, "       hint: %s\n", s.Hint)
	}
}

func fmtDuration(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}

// gmsa runs a gmsa command in-process with -o json and decodes its output
// into v (when not nil). A failure carries the command's error and hint.
func (q *quickstart) gmsa(v any, args ...string) error {
	var out, errb bytes.Buffer
	e := &env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, now: q.e.now, output: "json"}
	code := run(q.ctx, append(args, "-o", "json"), e)
	if code != 0 {
		msg, hint := strings.TrimSpace(errb.String()), ""
		if i := strings.Index(msg, "\nhint: "); i >= 0 {
			msg, hint = msg[:i], msg[i+len("\nhint: "):]
		}
		return &cliError{code: exitData, err: errors.New(strings.TrimPrefix(msg, "error: ")), hint: hint}
	}
	if v != nil {
		if err := json.Unmarshal(out.Bytes(), v); err != nil {
			return fmt.Errorf("gmsa %s: output: %w", args[0], err)
		}
	}
	return nil
}

func (q *quickstart) withAdmin(args ...string) []string { return append(args, q.admin...) }

func (q *quickstart) finish() error {
	if q.failed {
		return &cliError{code: exitData, err: fmt.Errorf("quickstart failed at step %d", q.step),
			hint: "the step above says why; run it again with --keep DIR to inspect the lab"}
	}
	if q.e.output == "table" {
		fmt.Fprintf(q.e.Out, "\nAll %d steps passed in %s.\n", q.step, time.Since(q.start).Round(100*time.Millisecond))
		if q.kept {
			d := q.dir
			fmt.Fprintf(q.e.Out, "\nKept in %s: lab/, credentialspecs/, host.keytab, krb5.conf, gmsad/. Start them again with:\n"+
				"  gmsa lab serve --data %s/lab --listen %s &\n"+
				"  gmsad --config %s/gmsad/gmsad.yaml &      # its DCs are the lab's ports of this run (lab.json)\n"+
				"  eval \"$(gmsa lab env --data %s/lab)\"\n"+
				"  gmsa run --credential-spec file://contoso_webapp01.json --credspecs-dir %s/credentialspecs --socket %s/gmsad/gmsad.sock -- klist\n",
				d, d, q.listen, d, d, d, d)
		}
	}
	return nil
}
