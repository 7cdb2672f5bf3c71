package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/config"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/gssapi"
	"github.com/opengmsa/gmsa/internal/krb5/negotiate"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/lab/demo"
	"github.com/opengmsa/gmsa/internal/lab/postgres"
)

const qsSPN = "http/mysite.contoso.com"

// workload runs the container half of the walkthrough: gmsad, the
// workload with the credential spec (as a process: runc containers are a
// later issue), the secure-channel check, and the gMSA signing in to a web
// service.
func (q *quickstart) workload(ctx context.Context) {
	specs := filepath.Join(q.dir, "credentialspecs")
	socket := filepath.Join(q.dir, "gmsad", "gmsad.sock")
	q.do("Start the host agent (gmsad) with the host's keytab", "", "gmsad --config gmsad.yaml", func() (string, error) {
		return q.startAgent(ctx, socket)
	})
	self, err := q.selfLink()
	if err != nil && !q.failed {
		q.do("Find the gmsa binary for the workload", "", "", func() (string, error) { return "", err })
	}
	runArgs := func(cmd ...string) []string {
		return append([]string{"run", "--credential-spec", "file://contoso_webapp01.json", "--credspecs-dir", specs, "--socket", socket, "--"}, cmd...)
	}
	q.do("Run the workload with the credential spec; klist in it", `docker run --security-opt "credentialspec=file://contoso_webapp01.json" … klist`,
		"gmsa run --credential-spec file://contoso_webapp01.json -- gmsa klist", func() (string, error) {
			out, err := q.gmsaText(runArgs(self, "klist")...)
			if err != nil {
				return "", err
			}
			if !strings.Contains(out, "WebApp01$@CONTOSO.COM") || !strings.Contains(out, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
				return "", fmt.Errorf("the workload's klist does not show WebApp01$'s TGT:\n%s", out)
			}
			return "(as a process holding the lease — runc containers come with a later issue)\n" + strings.TrimSpace(out), nil
		})
	q.do("Check the workload's domain identity", "nltest /sc_verify:contoso.com (in the container)",
		"gmsa run … -- gmsa doctor --container", func() (string, error) {
			out, err := q.gmsaText(runArgs(self, "doctor", "--container")...)
			if err != nil {
				return "", fmt.Errorf("%w\n%s", err, out)
			}
			return strings.TrimSpace(out), nil
		})
	var addr string
	q.do("Start the web service "+qsSPN+" (a keytab from the lab)", "", "gmsa lab export-keytab --principal "+qsSPN+" && gmsa lab demo-service --spn "+qsSPN,
		func() (string, error) {
			var err error
			addr, err = q.startDemo(ctx)
			return "listening on " + addr, err
		})
	q.do("Sign in to the web service as the gMSA (SPNEGO)", "Invoke-WebRequest -UseDefaultCredentials http://mysite.contoso.com",
		"gmsa lease create … ; GET http://mysite.contoso.com/ with Negotiate", func() (string, error) {
			return q.signIn(ctx, socket, specs, addr)
		})
	q.do("Sign in to a database as the gMSA (PostgreSQL, gss)", `SqlConnection("Server=sql.contoso.com;Integrated Security=True")`,
		`gmsa run … -- psql "host=localhost user=WebApp01$" -c 'SELECT current_user'`, func() (string, error) {
			return q.postgres(self, runArgs)
		})
}

// errSkip marks a step that cannot run here (its reason is the detail).
type errSkip struct{ why string }

func (e *errSkip) Error() string { return e.why }

// postgres starts a PostgreSQL server that trusts the lab's Kerberos (the
// keytab of postgres/localhost, registered on a database host's computer
// account) with a role for the gMSA, and runs the workload's psql with the
// lease: the Linux analogue of SQL Server's Integrated Security=True.
func (q *quickstart) postgres(self string, runArgs func(cmd ...string) []string) (string, error) {
	if _, err := postgres.BinDir(); err != nil {
		return "", &errSkip{"PostgreSQL is not installed (Debian: apt install postgresql): " + err.Error()}
	}
	const spn = "postgres/localhost"
	args := []string{"computer", "create", "DBHOST1", "--spn", spn, "--keytab", filepath.Join(q.dir, "dbhost1.keytab"),
		"--server", q.info.LDAPSURL(), "--ca-file", q.info.CAFile, "--user", "Administrator@" + q.info.Domain, "--bind-password-file", q.admin[len(q.admin)-1]}
	if err := q.gmsa(nil, args...); err != nil {
		return "", err
	}
	x, _, err := lab.ExportKeytabFromDir(q.ctx, filepath.Join(q.dir, "lab"), spn)
	if err != nil {
		return "", err
	}
	kt, err := x.Keytab.Marshal()
	if err != nil {
		return "", err
	}
	pg, err := postgres.Start(postgres.Options{Addr: q.info.Listen, Keytab: kt, Realm: q.info.Realm, Roles: []string{"WebApp01$"}})
	if err != nil {
		return "", err
	}
	q.cleanups = append(q.cleanups, pg.Stop)
	out, err := q.gmsaText(runArgs(pg.PSQLArgs("localhost", "WebApp01$", "-c", "SELECT current_user")...)...)
	if err != nil {
		return "", fmt.Errorf("%w\n%s\nserver log:\n%s", err, out, pg.Log())
	}
	if strings.TrimSpace(out) != "WebApp01$" {
		return "", fmt.Errorf("SELECT current_user answered %q, not WebApp01$", strings.TrimSpace(out))
	}
	return fmt.Sprintf("PostgreSQL at %s:%d (keytab for %s from the lab, pg_hba gss) answered SELECT current_user = WebApp01$", pg.Addr, pg.Port, spn), nil
}

// selfLink makes DIR/bin/gmsa point at this executable, so that the
// workload runs gmsa as a separate process.
func (q *quickstart) selfLink() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(q.dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	link := filepath.Join(bin, "gmsa")
	os.Remove(link)
	return link, os.Symlink(exe, link)
}

func (q *quickstart) startAgent(ctx context.Context, socket string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(socket), 0o700); err != nil {
		return "", err
	}
	// The configuration gmsad would read: written to DIR/gmsad/gmsad.yaml
	// (so that --keep can start it again) and turned into the agent's
	// options as gmsad does.
	cfg := config.DefaultAgent()
	cfg.Domain = q.info.Domain
	cfg.DCs = []config.DC{{LDAP: q.info.LDAPURL(), KDC: net.JoinHostPort(q.info.Listen, strconv.Itoa(q.info.KDCPort))}}
	cfg.CAFile = q.info.CAFile
	cfg.Host = config.Host{Keytab: filepath.Join(q.dir, "host.keytab")}
	cfg.StateDir = filepath.Join(q.dir, "gmsad", "state")
	cfg.LeaseRoot = filepath.Join(q.dir, "gmsad", "leases")
	cfg.Socket = socket
	cfg.SocketGroup = ""
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	y, err := yaml.Marshal(&cfg)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(q.dir, "gmsad", "gmsad.yaml"), y, 0o600); err != nil {
		return "", err
	}
	opts, _, err := agent.OptionsFrom(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	// The quickstart's own user creates the leases (as a member of the
	// socket's group would on a real host).
	if os.Getuid() != 0 {
		opts.CreateGroup = os.Getgid()
	}
	a, err := agent.New(opts)
	if err != nil {
		return "", err
	}
	ln, err := agent.Listen(socket, 0o600, -1)
	if err != nil {
		a.Close()
		return "", err
	}
	done := make(chan struct{}, 2)
	go func() { a.Serve(ctx, ln); done <- struct{}{} }()
	go func() { a.Run(ctx); done <- struct{}{} }()
	q.cleanups = append(q.cleanups, func() {
		<-done
		<-done
		a.Close()
	})
	return "socket " + socket + "; host credentials: " + qsHost + "$ from host.keytab (sealed LDAP to read gMSA passwords)", nil
}

func (q *quickstart) startDemo(ctx context.Context) (string, error) {
	x, _, err := lab.ExportKeytabFromDir(ctx, filepath.Join(q.dir, "lab"), qsSPN)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(q.info.Listen, "0"))
	if err != nil {
		return "", err
	}
	done := make(chan struct{})
	go func() {
		demo.Serve(ctx, ln, demo.Config{SPN: qsSPN, Keytab: x.Keytab})
		close(done)
	}()
	q.cleanups = append(q.cleanups, func() { <-done })
	return ln.Addr().String(), nil
}

// signIn leases WebApp01$'s tickets from gmsad and GETs the web service with
// SPNEGO, as a workload's HTTP client holding the lease would.
func (q *quickstart) signIn(ctx context.Context, socket, specs, addr string) (string, error) {
	spec, err := os.ReadFile(filepath.Join(specs, "contoso_webapp01.json"))
	if err != nil {
		return "", err
	}
	ac := agent.NewClient(socket)
	l, err := ac.Create(ctx, agent.CreateRequest{CredentialSpec: json.RawMessage(spec)})
	if err != nil {
		return "", err
	}
	defer ac.Delete(context.Background(), l.ID)
	kc, _, err := kerberos(q.e)
	if err != nil {
		return "", err
	}
	path := filepath.Join(l.Dir, agent.CCacheFile)
	c, err := loadCache(path)
	if err != nil {
		return "", err
	}
	tgt, err := cachedTGT(c, path)
	if err != nil {
		return "", err
	}
	newInitiator := func(string) (*gssapi.Initiator, error) {
		st, err := kc.ServiceTicket(ctx, tgt, qsSPN, client.TGSOptions{})
		if err != nil {
			return nil, err
		}
		return gssapi.NewInitiator(gssapi.InitiatorConfig{Ticket: st.Ticket, SessionKey: st.SessionKey, Client: st.Client,
			ClientRealm: st.ClientRealm, Flags: gssapi.FlagMutual, Now: q.e.now, Rand: rand.Reader})
	}
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr) // mysite.contoso.com is the lab's demo service
	}}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: negotiate.RoundTripper{Next: base, NewInitiator: newInitiator}, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://mysite.contoso.com/", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the web service answered %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var id demo.Identity
	if err := json.Unmarshal(body, &id); err != nil {
		return "", fmt.Errorf("the web service's answer: %w", err)
	}
	if !strings.EqualFold(id.Principal, `CONTOSO\WebApp01$`) {
		return "", fmt.Errorf("the web service saw %q, not CONTOSO\\WebApp01$", id.Principal)
	}
	return fmt.Sprintf("the web service answered: you are %s (groups %s; ticket valid %s more)", id.Principal,
		strings.Join(id.GroupSIDs, ", "), id.TimeLeft), nil
}

// gmsaText runs a gmsa command in-process and returns its stdout (and
// stderr on failure).
func (q *quickstart) gmsaText(args ...string) (string, error) {
	var out, errb bytes.Buffer
	e := &env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, now: q.e.now, output: "table"}
	if code := run(q.ctx, args, e); code != 0 {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = fmt.Sprintf("exit status %d", code)
		}
		return out.String(), errors.New(msg)
	}
	return out.String(), nil
}
