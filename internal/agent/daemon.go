package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opengmsa/gmsa/internal/config"
)

// OptionsFrom turns gmsad's configuration into Options: it reads the
// portable identity's credentials file and resolves the socket group.
func OptionsFrom(c *config.Agent, logger *slog.Logger) (Options, int, error) {
	o := Options{
		Domain: c.Domain, Realm: c.Realm, DNSServer: c.DNSServer, CAFile: c.CAFile,
		StateDir: c.StateDir, LeaseRoot: c.LeaseRoot, CreateGroup: -1,
		TicketLifetime: time.Duration(c.TicketLifetime), RenewLifetime: time.Duration(c.RenewLifetime),
		OrphanTTL: time.Duration(c.OrphanTTL),
		Policy: Policy{RenewAt: c.Renewal.RenewAt, Jitter: c.Renewal.Jitter, Margin: time.Duration(c.Renewal.Margin),
			MinBackoff: time.Duration(c.Renewal.MinBackoff), MaxBackoff: time.Duration(c.Renewal.MaxBackoff)},
		Logger: logger,
	}
	for _, dc := range c.DCs {
		o.DCs = append(o.DCs, DC{LDAP: dc.LDAP, KDC: dc.KDC})
	}
	if c.Host.CredentialsFile != "" {
		u, pw, err := readPortableIdentity(c.Host.CredentialsFile)
		if err != nil {
			return o, 0, err
		}
		o.Host = HostCredentials{User: u, Password: pw}
	} else {
		o.Host = HostCredentials{Keytab: c.Host.Keytab, Principal: c.Host.Principal}
	}
	if c.SocketGroup != "" {
		gid, err := strconv.Atoi(c.SocketGroup)
		if err != nil {
			g, lerr := user.LookupGroup(c.SocketGroup)
			if lerr != nil {
				return o, 0, fmt.Errorf("gmsad config: socketGroup %q: %w", c.SocketGroup, lerr)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
		o.CreateGroup = gid
	}
	return o, o.CreateGroup, nil
}

// readPortableIdentity reads the portable identity plugin's credentials
// document: {"domain": …, "username": …, "password": …}.
func readPortableIdentity(path string) (user, password string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("host.credentialsFile: %w", err)
	}
	var doc struct {
		Domain, Username, Password string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", "", fmt.Errorf("host.credentialsFile %s: %w", path, err)
	}
	if doc.Username == "" || doc.Password == "" || doc.Domain == "" {
		return "", "", fmt.Errorf("host.credentialsFile %s: want domain, username and password", path)
	}
	return doc.Username + "@" + doc.Domain, doc.Password, nil
}

// RunDaemon is gmsad: the agent from the configuration, its API on the
// configured socket, and the renewal loop, until ctx ends.
func RunDaemon(ctx context.Context, c *config.Agent, logger *slog.Logger) error {
	o, gid, err := OptionsFrom(c, logger)
	if err != nil {
		return err
	}
	a, err := New(o)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := os.MkdirAll(filepath.Dir(c.Socket), 0o755); err != nil {
		return err
	}
	perm := os.FileMode(0o600)
	if gid != -1 {
		perm = 0o660
	}
	ln, err := Listen(c.Socket, perm, gid)
	if err != nil {
		return err
	}
	logger.Info("gmsad listening", "socket", c.Socket, "domain", c.Domain)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Serve(ctx, ln) }()
	runErr := a.Run(ctx)
	cancel()
	if err := <-errc; err != nil {
		return err
	}
	return runErr
}
