package labdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/miekg/dns"
)

// DefaultTTL is the TTL of every record when [Config.TTL] is 0: short, as
// lab ports change from one run to the next.
const DefaultTTL = 60

// siteName is the only AD site of the lab, the one AD creates by default.
const siteName = "Default-First-Site-Name"

// Config is what the server knows of the domain.
type Config struct {
	Domain  string   // the DNS domain, "contoso.com"
	DCName  string   // the DC's host name inside Domain, "dc1.contoso.com"
	DCAddrs []net.IP // A/AAAA records of DCName and of the domain apex

	// SRV target ports; 0 leaves that service out.
	LDAPPort    int
	KDCPort     int
	KpasswdPort int
	GCPort      int

	TTL uint32 // seconds; 0 means DefaultTTL
}

// Server answers DNS queries for one lab domain; see the package doc.
type Server struct {
	Config
	Logger *slog.Logger // nil: no logs
}

// Serve answers queries on udp and tcp (either may be nil, not both) until
// ctx ends, then closes them and returns nil; it returns an error at once
// when the configuration is invalid or a listener fails. Each query is
// logged at debug level.
func (s *Server) Serve(ctx context.Context, udp net.PacketConn, tcp net.Listener) error {
	z, err := newZone(s.Config)
	if err != nil {
		return err
	}
	if udp == nil && tcp == nil {
		return errors.New("labdns: no UDP or TCP listener to serve")
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := z.answer(r, w.RemoteAddr().Network())
		if err := w.WriteMsg(m); err != nil {
			log.Debug("dns reply not sent", "client", w.RemoteAddr().String(), "err", err)
			return
		}
		var name, qtype string
		if len(r.Question) > 0 {
			name, qtype = r.Question[0].Name, dns.TypeToString[r.Question[0].Qtype]
		}
		log.Debug("dns query", "client", w.RemoteAddr().String(), "name", name, "type", qtype,
			"rcode", dns.RcodeToString[m.Rcode], "answers", len(m.Answer), "truncated", m.Truncated)
	})
	var servers []*dns.Server
	if udp != nil {
		servers = append(servers, &dns.Server{PacketConn: udp, Handler: h, UDPSize: dns.DefaultMsgSize})
	}
	if tcp != nil {
		servers = append(servers, &dns.Server{Listener: tcp, Handler: h})
	}
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { errc <- srv.ActivateAndServe() }()
		// ShutdownContext is a no-op on a server that has not started yet:
		// wait for each to start so that ending ctx always stops it.
		select {
		case <-started:
		case err := <-errc:
			shutdown(servers)
			return fmt.Errorf("labdns: serving: %w", err)
		}
	}
	log.Info("dns serving", "domain", z.domain, "dc", z.dcName)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdown(servers)
	if serveErr != nil {
		return fmt.Errorf("labdns: serving: %w", serveErr)
	}
	return nil
}

// shutdown stops the servers that run; each gets at most a second to
// finish the answers it is writing.
func shutdown(servers []*dns.Server) {
	for _, srv := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		srv.ShutdownContext(ctx) // "not started" for one that failed: nothing to stop
		cancel()
	}
}
