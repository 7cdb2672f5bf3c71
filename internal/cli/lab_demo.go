package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/lab"
	"github.com/opengmsa/gmsa/internal/lab/demo"
)

type labExportResult struct {
	File    string                `json:"file"`
	Account string                `json:"account"`
	GMSA    bool                  `json:"gmsa"`
	Via     string                `json:"via"` // "socket" (a running lab) or "database" (a stopped one)
	Entries []lab.KeytabEntryInfo `json:"entries"`
}

func (r labExportResult) table(w io.Writer) {
	rows(w, "Keytab", r.File, "Account", r.Account, "Read through", r.Via)
	fmt.Fprintf(w, "KVNO\tEnctype\tPrincipal\n")
	for _, e := range r.Entries {
		fmt.Fprintf(w, "%d\t%s\t%s\n", e.KVNO, e.Enctype, e.Principal)
	}
}

func newLabExportKeytabCommand(e *env) *cobra.Command {
	var dir, principal, file string
	cmd := &cobra.Command{
		Use:   "export-keytab --data DIR --principal SPN|NAME -f FILE",
		Short: "Write the keytab of a lab account (the lab's ktpass)",
		Long: `Write to FILE (atomically, mode 0600) the keys the lab's KDC holds for the
account that has --principal: an SPN (http/mysite.contoso.com), an account name
(WebApp01$, the "$" may be left out) or a UPN. For a gMSA these are the keys of
its current and previous passwords at their key version numbers, exactly those
the KDC accepts; for users and computers their stored keys. Entries name the
principal as given and, for a gMSA, also NAME$. Only the encryption types the
account allows (msDS-SupportedEncryptionTypes) are written.

A running lab is asked through its control socket (DIR/control.sock); a stopped
one is read from its database directly. Key bytes are never printed.`,
		Example: `  gmsa lab export-keytab --data ./lab --principal http/mysite.contoso.com -f http.keytab
  gmsa lab export-keytab --data ./lab --principal 'WebApp01$' -f webapp01.keytab
  gmsa lab export-keytab --data ./lab --principal postgres/localhost -f postgres.keytab -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needData(dir); err != nil {
				return err
			}
			if principal == "" {
				return usageError("give --principal http/mysite.contoso.com or --principal 'WebApp01$'", "no principal")
			}
			if file == "" {
				return usageError("give -f FILE", "no keytab file")
			}
			if _, err := os.Stat(filepath.Join(dir, lab.DBFile)); err != nil {
				return dataError(fmt.Errorf("%s holds no lab domain", dir), "create one with gmsa lab init --data "+dir)
			}
			x, via, err := lab.ExportKeytabFromDir(cmd.Context(), dir, principal)
			if err != nil {
				if errors.Is(err, lab.ErrBadPrincipal) {
					return usageError("give an SPN such as http/mysite.contoso.com or an account name such as WebApp01$", "--principal: %v", err)
				}
				if errors.Is(err, lab.ErrUnknownPrincipal) {
					return dataError(err, "list the lab's accounts with gmsa account list, or add the SPN to an account")
				}
				return dataError(err, "")
			}
			if err := lab.WriteKeytabFile(file, x.Keytab); err != nil {
				return dataError(fmt.Errorf("-f %s: %w", file, err), "")
			}
			abs, _ := filepath.Abs(file)
			return render(e, labExportResult{File: abs, Account: x.Account, GMSA: x.GMSA, Via: via, Entries: x.Entries()})
		},
	}
	labDataFlag(cmd, &dir)
	cmd.Flags().StringVar(&principal, "principal", "", "an SPN (http/mysite.contoso.com) or account name (WebApp01$)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the keytab file to write (mode 0600)")
	return cmd
}

func newLabDemoServiceCommand(e *env) *cobra.Command {
	var spn, keytabPath, listen, logFormat string
	cmd := &cobra.Command{
		Use:   "demo-service --spn http/mysite.contoso.com --keytab FILE [--listen 127.0.0.1:8080]",
		Short: "Serve an HTTP page that says which Kerberos identity logged in (SPNEGO)",
		Long: `Serve HTTP with Negotiate (SPNEGO) authentication for --spn, with the keys of
--keytab (gmsa lab export-keytab writes one). A request without a valid ticket
gets 401 and "WWW-Authenticate: Negotiate"; an authenticated one gets, as text
(or JSON with "Accept: application/json"), the client as DOMAIN\name (the
NetBIOS domain and account name from the ticket's PAC, whose server signature
is checked), its user and group SIDs, and the time left on the ticket.

It proves that a service accepts a gMSA's identity: curl --negotiate -u : with
the gMSA's ticket gets "CONTOSO\WebApp01$". SIGINT or SIGTERM stop it
gracefully.`,
		Example: `  gmsa lab export-keytab --data ./lab --principal http/mysite.contoso.com -f http.keytab
  gmsa lab demo-service --spn http/mysite.contoso.com --keytab http.keytab --listen 127.0.0.1:8080
  curl --negotiate -u : http://mysite.contoso.com:8080/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spn == "" || keytabPath == "" {
				return usageError("give --spn and --keytab", "--spn and --keytab are required")
			}
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return usageError("give --listen HOST:PORT, e.g. 127.0.0.1:8080", "--listen %q: %v", listen, err)
			}
			var logger *slog.Logger
			switch logFormat {
			case "text":
				logger = slog.New(slog.NewTextHandler(e.Err, nil))
			case "json":
				logger = slog.New(slog.NewJSONHandler(e.Err, nil))
			default:
				return usageError("use --log-format text or json", "--log-format %q: unknown format", logFormat)
			}
			b, err := os.ReadFile(keytabPath)
			if err != nil {
				return dataError(fmt.Errorf("--keytab: %w", err), "")
			}
			kt, err := keytab.Parse(b)
			if err != nil {
				return dataError(fmt.Errorf("--keytab %s: %w", keytabPath, err), "")
			}
			cfg := demo.Config{SPN: spn, Keytab: kt, Now: e.now, Logger: logger}
			if _, err := demo.Handler(cfg); err != nil {
				return dataError(err, "export the SPN's keys: gmsa lab export-keytab --data DIR --principal "+spn+" -f "+keytabPath)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return dataError(fmt.Errorf("--listen %s: %w", listen, err), "")
			}
			port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
			fmt.Fprintf(e.Out, "demo service for %s on http://%s/\n", spn, net.JoinHostPort(l.Addr().(*net.TCPAddr).IP.String(), port))
			if err := demo.Serve(cmd.Context(), l, cfg); err != nil {
				return dataError(err, "")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&spn, "spn", "", "the service principal tickets must be for (http/mysite.contoso.com)")
	cmd.Flags().StringVar(&keytabPath, "keytab", "", "the service's keytab (gmsa lab export-keytab)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address and port to listen on")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	return cmd
}
