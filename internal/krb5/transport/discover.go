package transport

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
)

// Discover returns the KDCs of realm in the order RoundTrip tries them:
// the realm's kdc relations in krb5.conf, in order, when there are any
// (MIT does not consult DNS then); otherwise, unless dns_lookup_kdc is
// false, the SRV records _kerberos._udp.REALM and _kerberos._tcp.REALM
// (RFC 4120 §7.2.3.2). SRV records are ordered by priority, and by weight
// within a priority as RFC 2782 says (the Go resolver's shuffle); a host
// and port found under both protocols is one entry for both, at its best
// priority; a target of "." (RFC 2782: no service) is left out. An empty
// result is an [*Error] matching [ErrNoKDC] that says why.
func (c *Client) Discover(ctx context.Context, realm string) ([]KDC, error) {
	if r, ok := c.cfg.Realm(realm); ok && len(r.KDC) > 0 {
		return slices.Clone(r.KDC), nil
	}
	if !c.cfg.LibDefaults.DNSLookupKDC {
		return nil, &Error{Realm: realm, Reason: "no kdc for the realm in krb5.conf and dns_lookup_kdc = false", Err: ErrNoKDC}
	}
	type found struct {
		kdc      KDC
		priority uint16
	}
	var list []found
	var failures []Attempt
	for _, proto := range []Protocol{ProtocolUDP, ProtocolTCP} {
		name := "_kerberos._" + proto.String() + "." + realm
		_, srvs, err := c.resolver.LookupSRV(ctx, "kerberos", proto.String(), realm)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &Error{Realm: realm, Attempts: append(failures, Attempt{Network: "dns", Addr: name, Err: err}), Err: ctx.Err()}
			}
			failures = append(failures, Attempt{Network: "dns", Addr: name, Err: dnsBrief(err)})
			continue
		}
		for _, s := range srvs {
			host := strings.TrimSuffix(s.Target, ".")
			if host == "" || s.Port == 0 {
				continue
			}
			i := slices.IndexFunc(list, func(f found) bool {
				return strings.EqualFold(f.kdc.Host, host) && f.kdc.Port == int(s.Port)
			})
			if i >= 0 {
				list[i].kdc.Protocol = ProtocolAny
				list[i].priority = min(list[i].priority, s.Priority)
				continue
			}
			list = append(list, found{KDC{Host: host, Port: int(s.Port), Protocol: proto}, s.Priority})
		}
	}
	if len(list) == 0 {
		return nil, &Error{Realm: realm, Reason: "no kdc for the realm in krb5.conf and no SRV records", Attempts: failures, Err: ErrNoKDC}
	}
	slices.SortStableFunc(list, func(a, b found) int { return int(a.priority) - int(b.priority) })
	out := make([]KDC, len(list))
	for i, f := range list {
		out[i] = f.kdc
	}
	return out, nil
}

// dnsBrief keeps a resolver error's point: "no such host", "server
// misbehaving", "i/o timeout".
func dnsBrief(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return errors.New("no such name")
		case de.IsTimeout:
			return errors.New("i/o timeout")
		}
		return errors.New(de.Err)
	}
	return err
}
