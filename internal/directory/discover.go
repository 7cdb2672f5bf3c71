package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoDC: DNS names no domain controller for the domain.
var ErrNoDC = errors.New("no domain controller found")

// DC is a domain controller found by [DiscoverDCs]: the SRV record's
// target (without the trailing dot) and its LDAP port.
type DC struct {
	Host string
	Port int
}

// SRVName is the DNS name that lists the LDAP servers of a domain's DCs:
// _ldap._tcp.dc._msdcs.<domain> ([MS-ADTS] 6.3.2.3).
func SRVName(domain string) string {
	return "_ldap._tcp.dc._msdcs." + strings.TrimSuffix(domain, ".")
}

// NoDCError is the cause inside the [*Error] that [DiscoverDCs] returns
// when it finds no DC. It names the SRV name looked up and matches
// [ErrNoDC].
type NoDCError struct {
	Domain string
	Name   string // the SRV name, _ldap._tcp.dc._msdcs.<Domain>
	Reason string // "no such name", "no SRV records", "i/o timeout", …
	Err    error  // the resolver's error, if any
}

func (e *NoDCError) Error() string {
	return fmt.Sprintf("no domain controller for %s: DNS SRV %s: %s", e.Domain, e.Name, e.Reason)
}

// Is makes errors.Is(err, ErrNoDC) true.
func (e *NoDCError) Is(target error) bool { return target == ErrNoDC }

func (e *NoDCError) Unwrap() error { return e.Err }

// DiscoverDCs looks up the domain's DCs with the SRV records
// _ldap._tcp.dc._msdcs.<domain>, using resolver (nil: net.DefaultResolver).
// They come ordered by priority, and by weight within a priority as RFC
// 2782 says (the Go resolver's shuffle); a target of "." (RFC 2782: no
// service) and duplicates are left out. When none is left the error is an
// [*Error] whose cause is a [*NoDCError] (matching [ErrNoDC]); when ctx
// ended, it wraps ctx's error too.
func DiscoverDCs(ctx context.Context, domain string, resolver *net.Resolver) ([]DC, error) {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	name := SRVName(domain)
	fail := func(reason string, err error) ([]DC, error) {
		var cause error = &NoDCError{Domain: domain, Name: name, Reason: reason, Err: err}
		if ctx.Err() != nil {
			cause = fmt.Errorf("%w (%w)", ctx.Err(), cause)
		}
		return nil, &Error{Op: "discover domain controllers", Err: cause,
			Hint: "name a domain controller with --server, or a DNS server that serves the domain with --dns-server"}
	}
	if domain == "" {
		return fail("no domain given", nil)
	}
	_, srvs, err := resolver.LookupSRV(ctx, "ldap", "tcp", "dc._msdcs."+domain)
	// With records whose targets are not valid names, LookupSRV returns the
	// valid ones together with an error: use those.
	if err != nil && len(srvs) == 0 {
		return fail(dnsReason(err), err)
	}
	var out []DC
	for _, s := range srvs {
		host := strings.TrimSuffix(s.Target, ".")
		if host == "" || s.Port == 0 {
			continue
		}
		dc := DC{Host: strings.ToLower(host), Port: int(s.Port)}
		if !slices.Contains(out, dc) {
			out = append(out, dc)
		}
	}
	if len(out) == 0 {
		return fail("no SRV records with a target", nil)
	}
	return out, nil
}

// dnsReason keeps a resolver error's point.
func dnsReason(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return "no such name"
		case de.IsTimeout:
			return "i/o timeout"
		}
		return de.Err
	}
	return err.Error()
}

// failoverAttempt bounds the dial (TCP, TLS handshake, StartTLS) of every
// DC but the last in [DialAny], so that one unreachable DC does not use up
// the caller's time.
const failoverAttempt = 10 * time.Second

// DialAny dials the DCs in order and returns the first connection made:
// scheme "ldap" dials each DC's port, "ldaps" port 636 (the SRV port is
// LDAP's). opt says how, as for [Dial]; opt.Server is ignored. The DC's
// name is checked in its TLS certificate and used for its service
// principal unless opt.ServerName is set. With a resolver, the DC names
// are resolved by it (the DNS server that named the DCs is the one that
// knows them), and each address is tried in turn; with nil, Dial resolves
// them with the system's resolver. Every attempt but the last is bounded
// by 10 seconds or opt.Timeout when shorter. When none connects, the
// [*Error] lists every address tried with its failure; it stops early
// when ctx ends.
func DialAny(ctx context.Context, dcs []DC, scheme string, resolver *net.Resolver, opt Options) (*Conn, error) {
	if scheme != "ldap" && scheme != "ldaps" {
		return nil, &Error{Op: "dial", Err: fmt.Errorf("scheme %q (want ldap or ldaps)", scheme)}
	}
	if len(dcs) == 0 {
		return nil, &Error{Op: "dial", Err: ErrNoDC}
	}
	type target struct{ url, addr, name string }
	var attempts []error
	// targets turns one DC into URLs to dial: one per address with a
	// resolver, else its name.
	targets := func(dc DC) []target {
		port := dc.Port
		if scheme == "ldaps" {
			port = 636
		}
		url := scheme + "://" + net.JoinHostPort(dc.Host, strconv.Itoa(port))
		if resolver == nil {
			return []target{{url: url, name: opt.ServerName}}
		}
		if _, err := netip.ParseAddr(dc.Host); err == nil {
			return []target{{url: url, name: opt.ServerName}}
		}
		ips, err := resolver.LookupNetIP(ctx, "ip", dc.Host)
		if err != nil || len(ips) == 0 {
			reason := "no address"
			if err != nil {
				reason = dnsReason(err)
			}
			attempts = append(attempts, fmt.Errorf("%s: resolve %s: %s", url, dc.Host, reason))
			return nil
		}
		name := opt.ServerName
		if name == "" {
			name = dc.Host
		}
		var ts []target
		for _, ip := range ips {
			ts = append(ts, target{url: scheme + "://" + net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(port)), name: name, addr: ip.Unmap().String()})
		}
		return ts
	}
	per := failoverAttempt
	if opt.Timeout > 0 && opt.Timeout < per {
		per = opt.Timeout
	}
	for i, dc := range dcs {
		ts := targets(dc)
		for j, t := range ts {
			if ctx.Err() != nil {
				break
			}
			o := opt
			o.Server, o.ServerName = t.url, t.name
			actx, cancel := ctx, context.CancelFunc(func() {})
			if i < len(dcs)-1 || j < len(ts)-1 {
				actx, cancel = context.WithTimeout(ctx, per)
			}
			c, err := Dial(actx, o)
			cancel()
			if err == nil {
				return c, nil
			}
			label := t.url
			if t.addr != "" {
				label = t.name + " (" + t.url + ")"
			}
			var de *Error
			if errors.As(err, &de) && de.Err != nil {
				err = de.Err
			}
			attempts = append(attempts, fmt.Errorf("%s: %w", label, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	cause := &dialErrors{errs: attempts}
	e := &Error{Op: "dial domain controllers in turn", Err: cause,
		Hint: "check that a DC is reachable, or name one with --server"}
	if err := ctx.Err(); err != nil {
		e.Err = fmt.Errorf("%w (%w)", err, cause)
	}
	return nil, e
}

// dialErrors are the failures of [DialAny], one per address tried.
type dialErrors struct{ errs []error }

func (e *dialErrors) Error() string {
	s := make([]string, len(e.errs))
	for i, err := range e.errs {
		s[i] = err.Error()
	}
	if len(s) == 0 {
		return "nothing dialled"
	}
	return strings.Join(s, "; ")
}

func (e *dialErrors) Unwrap() []error { return e.errs }
