package lab

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/opengmsa/gmsa/internal/lab/kdc"
	"github.com/opengmsa/gmsa/internal/lab/labdns"
)

func init() {
	extraServices = append(extraServices, serveKDC, serveDNS)
}

// serveKDC starts the Kerberos KDC on UDP and TCP (the same port number),
// unless KDCPort is -1.
func serveKDC(ctx context.Context, d *Directory, o ServeOptions, info *Info, run func(string, func() error)) error {
	if o.KDCPort < 0 {
		return nil
	}
	tcp, udp, err := listenBoth(o.Listen, o.KDCPort, 88)
	if err != nil {
		return fmt.Errorf("KDC listener: %w", err)
	}
	k := &kdc.KDC{Realm: d.dom.Realm(), Backend: d.KDCBackend(), Now: d.now, LogonServer: d.dom.DCShortName(),
		Logger: o.Logger.With("component", "kdc")}
	run("kdc/tcp", func() error { return k.ServeTCP(ctx, tcp) })
	run("kdc/udp", func() error {
		defer udp.Close()
		return k.ServeUDP(ctx, udp)
	})
	info.KDCPort = port(tcp.Addr())
	return nil
}

// serveDNS starts the SRV responder when DNSPort is set.
func serveDNS(ctx context.Context, d *Directory, o ServeOptions, info *Info, run func(string, func() error)) error {
	if o.DNSPort <= 0 {
		return nil
	}
	tcp, udp, err := listenBoth(o.Listen, o.DNSPort, o.DNSPort)
	if err != nil {
		return fmt.Errorf("DNS listener: %w", err)
	}
	info.DNSPort = port(tcp.Addr())
	s := &labdns.Server{Config: labdns.Config{Domain: d.dom.DNSName, DCName: d.dom.DCName, DCAddrs: []net.IP{net.ParseIP(o.Listen)},
		LDAPPort: info.LDAPPort, KDCPort: info.KDCPort}, Logger: o.Logger.With("component", "dns")}
	run("dns", func() error { return s.Serve(ctx, udp, tcp) })
	return nil
}

// listenBoth binds TCP and UDP on the same port: the explicit one, or the
// standard one and the next ones above it, else any port free for both.
func listenBoth(host string, explicit, standard int) (net.Listener, net.PacketConn, error) {
	var last error
	for _, p := range portCandidates(explicit, standard) {
		for try := 0; try < 5; try++ {
			l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err != nil {
				last = err
				break
			}
			pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port(l.Addr()))))
			if err == nil {
				return l, pc, nil
			}
			l.Close()
			last = err
			if p != 0 {
				break // the UDP port is taken: try the next number
			}
		}
	}
	return nil, nil, last
}
