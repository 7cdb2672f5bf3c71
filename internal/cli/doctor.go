package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/transport"
)

// Check names of `gmsa doctor`, in the order they are shown. They are the
// "name" of -o json and stable (docs/gmsa_doctor.md).
const (
	checkDNSLDAP       = "dns-ldap-srv"
	checkDNSKerberos   = "dns-kerberos-srv"
	checkReachKDC      = "reach-kdc"
	checkReachLDAP     = "reach-ldap"
	checkReachLDAPS    = "reach-ldaps"
	checkClock         = "clock-skew"
	checkLogin         = "kerberos-login"
	checkBind          = "ldap-bind"
	checkChannel       = "ldap-channel"
	checkPassword      = "gmsa-password"
	checkSPNs          = "gmsa-spns"
	checkSPNUnique     = "gmsa-spn-unique"
	checkEncTypes      = "gmsa-enctypes"
	checkCCache        = "ccache"
	checkTGT           = "tgt"
	checkServiceTicket = "service-ticket"
)

// Check statuses.
const (
	statusOK   = "ok"
	statusFail = "fail"
	statusSkip = "skip"
)

// maxClockSkew is Kerberos's default tolerance (MIT clockskew, the AD
// "Maximum tolerance for computer clock synchronization" policy): beyond it
// the KDC refuses pre-authentication and services refuse authenticators.
const maxClockSkew = 5 * time.Minute

// Bounds of the network checks: a TCP connect, a DNS lookup, and
// everything else (LDAP, Kerberos). A DC that does not answer costs at most
// these, not the defaults of the layers below.
const (
	doctorDialTimeout = 3 * time.Second
	doctorDNSTimeout  = 5 * time.Second
	doctorOpTimeout   = 15 * time.Second
)

// doctorCheck is one result of `gmsa doctor`. It never holds a password,
// key or ticket.
type doctorCheck struct {
	Name       string `json:"name"`
	Status     string `json:"status"` // ok, fail or skip
	Detail     string `json:"detail"`
	Hint       string `json:"hint"`
	DurationMS int64  `json:"duration_ms"`
}

// doctorReport is the whole output: a JSON array of checks, or a table.
type doctorReport []doctorCheck

func (r doctorReport) table(w io.Writer) {
	for _, c := range r {
		mark, detail := "✓", c.Detail
		switch c.Status {
		case statusFail:
			mark = "✗"
		case statusSkip:
			mark, detail = "–", "skipped: "+c.Detail
		}
		fmt.Fprintf(w, "%s\t%s\t%dms\t%s\n", mark, c.Name, c.DurationMS, detail)
		if c.Hint != "" {
			fmt.Fprintf(w, "\t\t\thint: %s\n", c.Hint)
		}
	}
}

// failed returns the names of the failed checks.
func (r doctorReport) failed() []string {
	var out []string
	for _, c := range r {
		if c.Status == statusFail {
			out = append(out, c.Name)
		}
	}
	return out
}

// outcome is what a check function returns.
type outcome struct{ status, detail, hint string }

func ok(format string, args ...any) outcome {
	return outcome{status: statusOK, detail: fmt.Sprintf(format, args...)}
}

func failed(detail, hint string) outcome {
	return outcome{status: statusFail, detail: detail, hint: hint}
}

func skipped(why string) outcome { return outcome{status: statusSkip, detail: why} }

// hintOf returns the hint an error carries: a CLI error's, a directory
// error's, a KDC error's.
func hintOf(err error) string {
	var ce *cliError
	if errors.As(err, &ce) && ce.hint != "" {
		return ce.hint
	}
	var de *directory.Error
	if errors.As(err, &de) && de.Hint != "" {
		return de.Hint
	}
	var kdcErr *client.KDCError
	if errors.As(err, &kdcErr) {
		return kdcErr.Hint()
	}
	var nce *client.NoCommonEncTypeError
	if errors.As(err, &nce) {
		return nce.Hint()
	}
	if errors.Is(err, transport.ErrNoKDC) {
		return "check the realm's kdc entries in KRB5_CONFIG (or DNS SRV _kerberos._tcp.REALM) and that the KDC is reachable on port 88"
	}
	return ""
}

const doctorExample = `  # On a container host joined to the domain (Kerberos with /etc/krb5.keytab),
  # finding the DCs in DNS:
  gmsa doctor --domain contoso.com --account WebApp01

  # Against one DC, with the host's keytab, as JSON:
  gmsa doctor --server ldap://dc1.contoso.com --keytab /etc/krb5.keytab --account WebApp01 -o json

  # Inside a container started with a credential spec (the nltest /sc_verify analogue):
  gmsa doctor --container`

const doctorLong = `Find out why a host or a container cannot use its gMSA. Each check is shown
as ✓ or ✗ (or skipped, with why) with its duration and, on failure, a hint a
person can act on. The exit status is 1 when any check fails.

On a container host (the default):
  dns-ldap-srv, dns-kerberos-srv   the DCs' and KDCs' DNS SRV records (skipped with --server)
  reach-kdc, reach-ldap, reach-ldaps   the DC answers on TCP 88, 389 and 636
  clock-skew        the DC's clock (rootDSE currentTime) is within ±5 minutes
  kerberos-login    the host's Kerberos credentials work (an AS exchange with a keytab)
  ldap-bind         the host's credentials bind to LDAP
  ldap-channel      the connection is confidential (TLS, or a sealed SASL layer)
With --account NAME, also:
  gmsa-password     the host may read the gMSA's password (Test-ADServiceAccount)
  gmsa-spns         host/NAME and host/<dNSHostName> are registered on the gMSA
  gmsa-spn-unique   its SPNs are on no other account of the domain (setspn -Q)
  gmsa-enctypes     msDS-SupportedEncryptionTypes includes AES

With --container, inside a container with a lease mounted:
  ccache            the cache KRB5CCNAME names is present and readable
  tgt               its TGT is valid, and for whom
  service-ticket    the KDC in KRB5_CONFIG issues a ticket for the gMSA's
                    host/ SPN (the nltest /sc_verify analogue)
and, when --server or --domain is given, the DNS, reachability and clock
checks.

No password, key or ticket is ever printed.`

func newDoctorCommand(e *env) *cobra.Command {
	var (
		conn      connectFlags
		account   string
		container bool
	)
	cmd := &cobra.Command{
		Use:     "doctor [--account NAME] [--container] [connection flags]",
		Short:   "Check what a host or container needs to use a gMSA, with a hint for each failure",
		Long:    doctorLong,
		Example: doctorExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{e: e, conn: &conn, cmd: cmd}
			if account != "" {
				ref, err := parseLocalGMSARef(account)
				if err != nil {
					return err
				}
				d.account = ref.name
			}
			var err error
			if container {
				err = d.runContainer(cmd.Context())
			} else {
				err = d.runHost(cmd.Context())
			}
			if err != nil {
				return err
			}
			if err := render(e, d.report); err != nil {
				return err
			}
			if f := d.report.failed(); len(f) > 0 {
				return dataError(fmt.Errorf("%d of %d checks failed: %s", len(f), len(d.report), strings.Join(f, ", ")), "")
			}
			return nil
		},
	}
	conn.register(cmd)
	cmd.Flags().StringVar(&account, "account", "", "also check the gMSA NAME: may this host read its password, its SPNs and encryption types")
	cmd.Flags().BoolVar(&container, "container", false, "check a container's lease instead: the ccache KRB5CCNAME names, its TGT, a service ticket via KRB5_CONFIG's KDC")
	return cmd
}

// doctor runs the checks and collects their results.
type doctor struct {
	e       *env
	conn    *connectFlags
	cmd     *cobra.Command
	account string // sAMAccountName, "" without --account
	report  doctorReport

	// What the network checks learn, for the later ones.
	dcHost              string // the DC's name or address
	ldapPort, ldapsPort int
	dialScheme          string // "ldap" or "ldaps": the port the LDAP connection uses
	kdcAddr             string // host:port
	kdcFrom             string // where kdcAddr comes from, for messages
	resolver            *net.Resolver
	realm               string
	unreachable         map[string]bool // check name → failed
	dcs                 []directory.DC
	kerberosSRV         []transport.KDC
	c                   *directory.Conn
	dialErr             error
	kc                  *client.Client
	tgt                 *client.Credentials
	bound               bool
	dialSkipReason      string
}

// check runs f and records its outcome and duration.
func (d *doctor) check(name string, f func() outcome) {
	start := time.Now()
	o := f()
	d.report = append(d.report, doctorCheck{Name: name, Status: o.status, Detail: o.detail, Hint: o.hint,
		DurationMS: time.Since(start).Milliseconds()})
}

// runHost runs the checks of a container host.
func (d *doctor) runHost(ctx context.Context) error {
	r, err := d.conn.resolve()
	if err != nil {
		return err // a wrong command line: exit 2, no checks
	}
	defer func() {
		if d.c != nil {
			d.c.Close()
		}
	}()
	d.network(ctx, r, true)
	d.credentials(ctx, r)
	if d.account != "" {
		d.accountChecks(ctx)
	}
	return nil
}

// runContainer runs the checks inside a container: the lease's ccache,
// its TGT, a service ticket; and the network checks when a DC is named.
func (d *doctor) runContainer(ctx context.Context) error {
	if orEnv(d.conn.server, "GMSA_SERVER") != "" || orEnv(d.conn.domain, "GMSA_DOMAIN") != "" {
		r, err := d.conn.resolve()
		if err != nil {
			return err
		}
		d.network(ctx, r, false) // no credentials: nothing to bind with
	}
	d.containerChecks(ctx)
	return nil
}

// network runs the DNS, reachability and clock checks and, when dial is
// set, leaves in d.c the unbound LDAP connection to bind on (or the reason
// there is none in d.dialErr or d.dialSkipReason).
func (d *doctor) network(ctx context.Context, r resolved, dial bool) {
	d.unreachable = map[string]bool{}
	if r.dnsServer != "" {
		d.resolver = transport.ResolverFor(r.dnsServer)
	}
	cfg, cfgErr := transport.LoadDefault()
	if cfgErr == nil {
		d.realm = cfg.LibDefaults.DefaultRealm
	}
	if d.realm == "" && r.domain != "" {
		d.realm = strings.ToUpper(r.domain)
	}
	d.dnsChecks(ctx, r)
	d.locateDC(r, cfg, cfgErr)
	d.reachChecks(ctx)
	d.clockCheck(ctx)
	if dial {
		d.dialForBind(ctx, r)
	}
}

// dnsChecks runs dns-ldap-srv and dns-kerberos-srv (skipped with
// --server), keeping what they find in d.dcs and d.kerberosSRV.
func (d *doctor) dnsChecks(ctx context.Context, r resolved) {
	if r.discover {
		d.check(checkDNSLDAP, func() outcome {
			ctx, cancel := context.WithTimeout(ctx, doctorDNSTimeout)
			defer cancel()
			dcs, err := directory.DiscoverDCs(ctx, r.domain, d.resolver)
			if err != nil {
				return failed(err.Error(), "register the DC's SRV records in the domain's DNS zone (a Windows DC does it through netlogon; Samba: samba_dnsupdate), or point --dns-server at a DNS server that serves "+r.domain)
			}
			d.dcs = dcs
			return ok("%s: %s", directory.SRVName(r.domain), dcList(dcs))
		})
		d.check(checkDNSKerberos, func() outcome {
			ctx, cancel := context.WithTimeout(ctx, doctorDNSTimeout)
			defer cancel()
			realm := strings.ToUpper(r.domain)
			// An empty configuration: only DNS is asked.
			tc := transport.New(nil, transport.Options{Resolver: d.resolver})
			kdcs, err := tc.Discover(ctx, realm)
			if err != nil {
				return failed(err.Error(), "register _kerberos._tcp."+r.domain+" and _kerberos._udp."+r.domain+" SRV records for the DCs, or name the KDCs in krb5.conf ([realms] "+realm+" kdc = …)")
			}
			d.kerberosSRV = kdcs
			names := make([]string, len(kdcs))
			for i, k := range kdcs {
				names[i] = k.Addr()
			}
			return ok("_kerberos._tcp/_udp.%s: %s", realm, strings.Join(names, ", "))
		})
	} else {
		for _, name := range []string{checkDNSLDAP, checkDNSKerberos} {
			d.check(name, func() outcome { return skipped("--server names the DC (DNS is not asked)") })
		}
	}
}

// locateDC settles which DC the checks look at, its LDAP and LDAPS ports,
// the port the bind connection uses, and its KDC: the SRV record of the
// DC's host, else krb5.conf's first kdc of the realm, else the DC's port 88.
func (d *doctor) locateDC(r resolved, cfg *transport.Config, cfgErr error) {
	switch {
	case !r.discover:
		u := r.server
		if !strings.Contains(u, "://") {
			u = "ldap://" + u
		}
		pu, err := url.Parse(u)
		if err == nil && pu.Hostname() != "" {
			d.dcHost = pu.Hostname()
			d.ldapPort, d.ldapsPort = 389, 636
			d.dialScheme = pu.Scheme
			if p, err := strconv.Atoi(pu.Port()); err == nil {
				if pu.Scheme == "ldaps" {
					d.ldapsPort = p
				} else {
					d.ldapPort = p
				}
			}
		}
	case len(d.dcs) > 0:
		d.dcHost, d.ldapPort, d.ldapsPort = d.dcs[0].Host, d.dcs[0].Port, 636
		d.dialScheme = "ldap"
		if r.user != "" && !r.startTLS {
			d.dialScheme = "ldaps"
		}
	}
	if r.startTLS {
		d.dialScheme = "ldap"
	}
	if d.dcHost != "" {
		d.kdcAddr, d.kdcFrom = net.JoinHostPort(d.dcHost, "88"), "the DC"
		for _, k := range d.kerberosSRV {
			if strings.EqualFold(k.Host, d.dcHost) {
				d.kdcAddr, d.kdcFrom = k.Addr(), "DNS SRV"
				break
			}
		}
		if d.kdcFrom == "the DC" && r.discover && len(d.kerberosSRV) > 0 {
			d.kdcAddr, d.kdcFrom = d.kerberosSRV[0].Addr(), "DNS SRV"
		}
		if d.kdcFrom == "the DC" && cfgErr == nil && d.realm != "" {
			if rc, found := cfg.Realm(d.realm); found && len(rc.KDC) > 0 {
				d.kdcAddr, d.kdcFrom = rc.KDC[0].Addr(), "krb5.conf"
			}
		}
	}
}

// reachChecks runs reach-kdc, reach-ldap and reach-ldaps: a TCP connect
// to each port, remembered in d.unreachable when it fails.
func (d *doctor) reachChecks(ctx context.Context) {
	reach := func(name, addr, what, from string) {
		d.check(name, func() outcome {
			if addr == "" {
				d.unreachable[name] = true
				return skipped("no domain controller found (" + checkDNSLDAP + ")")
			}
			remote, err := d.dialTCP(ctx, addr)
			if err != nil {
				d.unreachable[name] = true
				return failed(fmt.Sprintf("%s%s: TCP %s: %v", what, from, addr, err),
					fmt.Sprintf("check that the DC is running and that firewalls let this host reach TCP port %s of %s", portOf(addr), hostOf(addr)))
			}
			if remote != addr {
				return ok("%s%s: TCP %s (%s) answers", what, from, addr, remote)
			}
			return ok("%s%s: TCP %s answers", what, from, addr)
		})
	}
	hp := func(port int) string {
		if d.dcHost == "" {
			return ""
		}
		return net.JoinHostPort(d.dcHost, strconv.Itoa(port))
	}
	kdcFrom := ""
	if d.kdcFrom != "" {
		kdcFrom = " (from " + d.kdcFrom + ")"
	}
	reach(checkReachKDC, d.kdcAddr, "Kerberos KDC", kdcFrom)
	reach(checkReachLDAP, hp(d.ldapPort), "LDAP", "")
	reach(checkReachLDAPS, hp(d.ldapsPort), "LDAPS", "")
}

// clockCheck runs clock-skew over a connection of its own: plain ldap://
// and anonymous, as the rootDSE needs no bind, so that a certificate the
// host does not trust (or one not yet valid by a skewed clock) does not
// hide the skew. It learns the realm from the DC when nothing named it.
func (d *doctor) clockCheck(ctx context.Context) {
	d.check(checkClock, func() outcome {
		switch {
		case d.dcHost == "":
			return skipped("no domain controller found (" + checkDNSLDAP + ")")
		case d.unreachable[checkReachLDAP]:
			return skipped("the DC does not answer on LDAP (" + checkReachLDAP + ")")
		}
		ctx, cancel := context.WithTimeout(ctx, doctorOpTimeout)
		defer cancel()
		c, err := directory.DialAny(ctx, []directory.DC{{Host: d.dcHost, Port: d.ldapPort}}, "ldap", d.resolver,
			directory.Options{Timeout: doctorOpTimeout})
		if err != nil {
			return failed(err.Error(), hintOf(err))
		}
		defer c.Close()
		before := d.e.now()
		dse, err := c.RootDSE(ctx)
		after := d.e.now()
		if err != nil {
			return failed(err.Error(), hintOf(err))
		}
		if d.realm == "" {
			d.realm = realmOfDN(dse.DefaultNamingContext)
		}
		if dse.CurrentTime.IsZero() {
			return failed("the DC's rootDSE has no currentTime", "is this an Active Directory DC?")
		}
		// currentTime is whole seconds: compare with the middle of the
		// exchange, truncated likewise.
		local := before.Add(after.Sub(before) / 2)
		skew := dse.CurrentTime.Sub(local.Truncate(time.Second))
		who := dse.DNSHostName
		if who == "" {
			who = "the DC"
		}
		desc := describeSkew(who, skew)
		if skew.Abs() > maxClockSkew {
			return failed(desc+" (Kerberos tolerates ±5m0s)",
				"synchronize this host's clock with the domain: point chrony, ntpd or systemd-timesyncd at the DC (a Windows DC serves NTP), or fix the DC's time source")
		}
		return ok("%s (within ±5m0s)", desc)
	})
}

// dialForBind makes the connection to bind on, as every AD verb makes it
// (connectFlags.dial), unless the DC's LDAP port did not answer.
func (d *doctor) dialForBind(ctx context.Context, r resolved) {
	portCheck := checkReachLDAP
	if d.dialScheme == "ldaps" {
		portCheck = checkReachLDAPS
	}
	switch {
	case d.dcHost == "":
		d.dialSkipReason = "no domain controller found (" + checkDNSLDAP + ")"
	case d.unreachable[portCheck]:
		d.dialSkipReason = "the DC does not answer on LDAP (" + portCheck + ")"
	default:
		dctx, cancel := context.WithTimeout(ctx, doctorOpTimeout)
		opts := directory.Options{StartTLS: r.startTLS, CAFile: r.caFile, Timeout: doctorOpTimeout}
		if r.discover {
			d.c, d.dialErr = directory.DialAny(dctx, d.dcs, d.dialScheme, d.resolver, opts)
		} else {
			opts.Server = r.server
			d.c, d.dialErr = directory.Dial(dctx, opts)
		}
		cancel()
	}
}

// describeSkew says how far the DC's clock is from this host's.
func describeSkew(who string, skew time.Duration) string {
	s := skew.Abs().Round(time.Second)
	switch {
	case s == 0:
		return who + "'s clock agrees with this host's"
	case skew > 0:
		return fmt.Sprintf("%s's clock is %s ahead of this host's", who, s)
	}
	return fmt.Sprintf("%s's clock is %s behind this host's", who, s)
}

// credentials runs kerberos-login, ldap-bind and ldap-channel.
func (d *doctor) credentials(ctx context.Context, r resolved) {
	d.check(checkLogin, func() outcome {
		if r.user != "" {
			return skipped("--user binds with a password over TLS, not with Kerberos")
		}
		ctx, cancel := context.WithTimeout(ctx, doctorOpTimeout)
		defer cancel()
		domain := r.domain
		if domain == "" {
			domain = strings.ToLower(d.realm) // from krb5.conf or the rootDSE
		}
		source := d.credentialSource()
		kc, tgt, err := d.conn.kerberosTGT(ctx, domain)
		if err != nil {
			return failed(fmt.Sprintf("%s: %v", source, err), hintOf(err))
		}
		d.kc, d.tgt = kc, tgt
		now := d.e.now().Add(tgt.KDCOffset)
		if !now.Before(tgt.EndTime) {
			return failed(fmt.Sprintf("%s: the TGT of %s expired at %s", source, tgt.ClientName(), rfc3339(tgt.EndTime)),
				"get a new one: gmsa kinit -k (or kinit -k) with the host's keytab")
		}
		detail := fmt.Sprintf("%s: TGT for %s until %s (%s)", source, tgt.ClientName(), rfc3339(tgt.EndTime), tgt.SessionKey.Type)
		if tgt.KDCOffset.Abs() >= time.Second {
			detail += "; " + describeSkew("the KDC", tgt.KDCOffset) + " (the client compensates, as MIT's kdc_timesync does; services may not)"
		}
		return ok("%s", detail)
	})
	d.check(checkBind, func() outcome {
		if d.c == nil {
			if d.dialErr != nil {
				return failed("connect: "+d.dialErr.Error(), connectHint(d.dialErr))
			}
			return skipped(d.dialSkipReason)
		}
		ctx, cancel := context.WithTimeout(ctx, doctorOpTimeout)
		defer cancel()
		if r.user != "" {
			password, err := readPasswordFile(r.passwordFile)
			if err != nil {
				return failed(err.Error(), hintOf(err))
			}
			if err := d.c.BindSimple(ctx, r.user, password); err != nil {
				return failed(err.Error(), hintOf(err))
			}
			d.conn.boundAs, d.bound = r.user, true
			return ok("simple bind over TLS as %s", r.user)
		}
		if d.tgt == nil {
			return skipped("no Kerberos credentials (" + checkLogin + ")")
		}
		c, err := d.conn.bindKerberos(ctx, d.c, d.kc, d.tgt)
		if err != nil {
			d.c = nil // bindKerberos closed it
			return failed(err.Error(), hintOf(err))
		}
		d.c, d.bound = c, true
		return ok("SASL GSSAPI (Kerberos) as %s", d.conn.boundAs)
	})
	d.check(checkChannel, func() outcome {
		if !d.bound {
			return skipped("not bound (" + checkBind + ")")
		}
		if st, isTLS := d.c.TLSConnectionState(); isTLS {
			return ok("TLS %s, %s", tlsVersion(st.Version), tls.CipherSuiteName(st.CipherSuite))
		}
		if d.c.Confidential() {
			return ok("SASL GSSAPI security layer with confidentiality (sealed)")
		}
		return failed("the connection is neither TLS nor sealed: the DC withholds msDS-ManagedPassword on it",
			"connect with ldaps:// or --start-tls, or bind with Kerberos over ldap:// (which seals)")
	})
}

// connectHint is the hint for a failed LDAP connection: a certificate the
// host does not trust is the usual one once the ports answer.
func connectHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return "the DC's certificate is signed by a CA this host does not trust: give it with --ca-file (GMSA_CA_FILE), e.g. the lab's DIR/ca.pem or your enterprise CA"
	case errors.As(err, &host):
		return "the DC's certificate does not name the host dialled: use the DC's DNS name (as in its certificate) in --server"
	case errors.As(err, &invalid):
		return "the DC's certificate is not valid now (expired, or this host's clock is off): renew it or fix the clock"
	}
	return hintOf(err)
}

// credentialSource describes where the Kerberos credentials come from, in
// kerberosTGT's order.
func (d *doctor) credentialSource() string {
	kt := orEnv(d.conn.keytab, "GMSA_KEYTAB")
	switch {
	case kt != "":
		return "AS exchange with keytab " + kt
	case d.conn.ccache != "":
		return "ccache " + d.conn.ccache
	case os.Getenv("KRB5CCNAME") != "":
		return "ccache " + os.Getenv("KRB5CCNAME")
	}
	return "AS exchange with keytab /etc/krb5.keytab"
}

// accountChecks runs the --account checks on the bound connection.
func (d *doctor) accountChecks(ctx context.Context) {
	names := []string{checkPassword, checkSPNs, checkSPNUnique, checkEncTypes}
	if !d.bound {
		for _, n := range names {
			d.check(n, func() outcome { return skipped("not bound to LDAP (" + checkBind + ")") })
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 4*doctorOpTimeout)
	defer cancel()
	var acct *directory.Account
	d.check(checkPassword, func() outcome {
		r := accountTestResult{Account: d.account, Identity: d.conn.boundAs}
		// Each LDAP operation is bounded by the connection's timeout
		// (doctorOpTimeout).
		if err := testAccount(d.cmd, d.c, d.account, &r); err != nil {
			return failed(err.Error(), hintOf(err))
		}
		if a, err := d.c.FindAccount(ctx, d.account); err == nil && a.IsGMSA() {
			acct = a
		}
		if !r.Result {
			hint := r.hint
			if r.denied {
				hint = d.joinHint(ctx, r.Account, r.Identity, hint)
			}
			return failed("Test-ADServiceAccount "+strings.TrimSuffix(r.Account, "$")+": False: "+r.Reason, hint)
		}
		return ok("Test-ADServiceAccount %s: True for %s (the password changes in %s)", strings.TrimSuffix(r.Account, "$"), r.Identity, r.QueryInterval)
	})
	noAccount := skipped("no gMSA to look at (" + checkPassword + ")")
	d.check(checkSPNs, func() outcome {
		if acct == nil {
			return noAccount
		}
		missing := missingSPNs(acct)
		if len(missing) > 0 {
			have := "none"
			if len(acct.SPNs) > 0 {
				have = strings.Join(acct.SPNs, ", ")
			}
			short := strings.TrimSuffix(acct.SAMAccountName, "$")
			return failed(fmt.Sprintf("%s has no SPN %s (registered: %s)", acct.SAMAccountName, strings.Join(missing, ", "), have),
				fmt.Sprintf("register it: Set-ADServiceAccount %s -ServicePrincipalNames @{Add='%s'} (or setspn -S %s %s); containers ask tickets for the gMSA's host/ SPN",
					short, strings.Join(missing, "','"), missing[0], acct.SAMAccountName))
		}
		return ok("%s has %s", acct.SAMAccountName, strings.Join(acct.SPNs, ", "))
	})
	d.check(checkSPNUnique, func() outcome {
		if acct == nil {
			return noAccount
		}
		if len(acct.SPNs) == 0 {
			return skipped(acct.SAMAccountName + " has no SPNs")
		}
		for _, spn := range acct.SPNs {
			holders, err := d.c.SPNHolders(ctx, spn)
			if err != nil {
				return failed(err.Error(), hintOf(err))
			}
			for _, h := range holders {
				if strings.EqualFold(h.DN, acct.DN) {
					continue
				}
				return failed(fmt.Sprintf("%s of %s is also registered on %s", spn, acct.SAMAccountName, h.SAMAccountName),
					fmt.Sprintf("an SPN may be on one account only, or the KDC cannot tell which key to use: remove it from %s (setspn -D %s %s)", h.SAMAccountName, spn, h.SAMAccountName))
			}
		}
		return ok("none of %d SPNs is on another account of the domain", len(acct.SPNs))
	})
	d.check(checkEncTypes, func() outcome {
		if acct == nil {
			return noAccount
		}
		return encTypesOutcome(acct)
	})
}

// joinHint names the groups (and accounts) msDS-GroupMSAMembership
// allows, so that the hint says which one to join.
func (d *doctor) joinHint(ctx context.Context, account, identity, fallback string) string {
	sa, err := d.c.FindGMSA(ctx, account)
	if err != nil || len(sa.Allowed) == 0 {
		return fallback
	}
	var names []string
	for _, sid := range sa.Allowed {
		n, err := d.c.NameOfSID(ctx, sid)
		if err != nil || n == "" {
			n = sid.String()
		}
		names = append(names, n)
	}
	host := principalName(identity)
	short := strings.TrimSuffix(sa.SAMAccountName, "$")
	return fmt.Sprintf("join %s to a group allowed to read the password of %s — allowed: %s — e.g. gmsa group add-member %s %s (Add-ADGroupMember), then get the host a new TGT (its groups are in the ticket); or add %s to PrincipalsAllowedToRetrieveManagedPassword of %s",
		host, short, strings.Join(names, ", "), names[0], host, host, short)
}

// missingSPNs returns the host/ SPNs a gMSA should have and lacks:
// host/NAME and host/<dNSHostName>.
func missingSPNs(a *directory.Account) []string {
	want := []string{"host/" + strings.TrimSuffix(a.SAMAccountName, "$")}
	if a.DNSHostName != "" {
		want = append(want, "host/"+a.DNSHostName)
	}
	var missing []string
	for _, w := range want {
		if !slices.ContainsFunc(a.SPNs, func(s string) bool { return strings.EqualFold(s, w) }) {
			missing = append(missing, w)
		}
	}
	return missing
}

// Bits of msDS-SupportedEncryptionTypes ([MS-KILE] 2.2.7).
const (
	encDESCRC = 0x1
	encDESMD5 = 0x2
	encRC4    = 0x4
	encAES128 = 0x8
	encAES256 = 0x10
)

// encTypesOutcome judges msDS-SupportedEncryptionTypes: AES must be in it.
func encTypesOutcome(a *directory.Account) outcome {
	v := a.SupportedEncryptionTypes
	short := strings.TrimSuffix(a.SAMAccountName, "$")
	hint := fmt.Sprintf("Set-ADServiceAccount %s -KerberosEncryptionType AES128,AES256 (or create it with gmsa account create --enctypes aes256,aes128)", short)
	if v == 0 {
		return failed(fmt.Sprintf("%s has no msDS-SupportedEncryptionTypes: the KDC assumes RC4 for its tickets", a.SAMAccountName), hint)
	}
	var names []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{encAES256, "AES256"}, {encAES128, "AES128"}, {encRC4, "RC4"}, {encDESMD5, "DES-MD5"}, {encDESCRC, "DES-CRC"}} {
		if v&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	list := strings.Join(names, ", ")
	if v&(encAES128|encAES256) == 0 {
		return failed(fmt.Sprintf("%s supports %s only (msDS-SupportedEncryptionTypes %d): no AES", a.SAMAccountName, list, v), hint)
	}
	return ok("%s (msDS-SupportedEncryptionTypes %d)", list, v)
}

// containerChecks runs ccache, tgt and service-ticket.
func (d *doctor) containerChecks(ctx context.Context) {
	var (
		cache *ccache.Cache
		tgt   *client.Credentials
		path  string
	)
	d.check(checkCCache, func() outcome {
		name := d.conn.ccache
		if name == "" {
			name = os.Getenv("KRB5CCNAME")
		}
		if name == "" {
			return failed("KRB5CCNAME is not set",
				"run the container with its credential spec (gmsa run --credential-spec …), which mounts the lease at /var/run/gmsa and sets KRB5CCNAME=FILE:/var/run/gmsa/krb5cc")
		}
		p, err := ccachePath(name)
		if err != nil {
			return failed(err.Error(), hintOf(err))
		}
		path = p
		b, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return failed(fmt.Sprintf("%s (KRB5CCNAME %s) does not exist", p, name),
				"the lease directory is not mounted, or gmsad has not written it yet: check the container's mounts and gmsad's log")
		case errors.Is(err, fs.ErrPermission):
			return failed(fmt.Sprintf("%s is not readable by uid %d", p, os.Getuid()),
				"the lease is readable by its owner only: run the workload as the user the lease was made for")
		case err != nil:
			return failed(err.Error(), "")
		}
		c, err := ccache.Parse(b)
		if err != nil {
			return failed(fmt.Sprintf("%s: %v", p, err), "the file is not an MIT ccache (v4); gmsad rewrites it at the next renewal")
		}
		cache = c
		return ok("FILE:%s: %d credential(s), default principal %s", p, len(c.Credentials), c.DefaultPrincipal)
	})
	d.check(checkTGT, func() outcome {
		if cache == nil {
			return skipped("no credential cache (" + checkCCache + ")")
		}
		cr, err := cache.TGT(cache.DefaultPrincipal.Realm)
		if err != nil {
			return failed(fmt.Sprintf("%s: %v", path, err), "gmsad writes the TGT into the lease: check that it runs and its log")
		}
		var off time.Duration
		if cache.KDCOffset != nil {
			off = *cache.KDCOffset
		}
		t, err := client.FromCCache(cr, off)
		if err != nil {
			return failed(err.Error(), "")
		}
		now := d.e.now().Add(off)
		if !now.Before(t.EndTime) {
			return failed(fmt.Sprintf("the TGT of %s (%s) expired at %s", t.ClientName(), t.ServerName(), rfc3339(t.EndTime)),
				"gmsad renews the lease's tickets before they expire: check that it runs (systemctl status gmsad) and its log")
		}
		tgt = t
		detail := fmt.Sprintf("%s, for %s, valid until %s (%s left)", t.ClientName(), t.ServerName(), rfc3339(t.EndTime), t.EndTime.Sub(now).Round(time.Minute))
		if !t.RenewTill.IsZero() {
			detail += ", renewable until " + rfc3339(t.RenewTill)
		}
		return ok("%s", detail)
	})
	d.check(checkServiceTicket, func() outcome {
		if tgt == nil {
			return skipped("no valid TGT (" + checkTGT + ")")
		}
		name := d.account
		if name == "" {
			name = tgt.Client.NameString[len(tgt.Client.NameString)-1]
		}
		spn := "host/" + strings.TrimSuffix(name, "$")
		kc, _, err := kerberos(d.e)
		if err != nil {
			return failed(err.Error(), hintOf(err))
		}
		ctx, cancel := context.WithTimeout(ctx, doctorOpTimeout)
		defer cancel()
		st, err := kc.ServiceTicket(ctx, tgt, spn, client.TGSOptions{})
		if err != nil {
			hint := hintOf(err)
			if errors.Is(err, client.ErrPrincipalUnknown) {
				hint = fmt.Sprintf("register %s on %s: Set-ADServiceAccount %s -ServicePrincipalNames @{Add='%s'} (or setspn -S %s %s)",
					spn, strings.TrimSuffix(name, "$")+"$", strings.TrimSuffix(name, "$"), spn, spn, strings.TrimSuffix(name, "$")+"$")
			}
			return failed(fmt.Sprintf("TGS exchange for %s: %v", spn, err), hint)
		}
		detail := fmt.Sprintf("%s from the KDC in KRB5_CONFIG", st.ServerName())
		if tkt, err := msg.ParseTicket(st.Ticket); err == nil {
			kvno := ""
			if tkt.EncPart.KVNO != nil {
				kvno = fmt.Sprintf("kvno %d, ", *tkt.EncPart.KVNO)
			}
			detail += fmt.Sprintf(": %s%s, until %s", kvno, tkt.EncPart.EType, rfc3339(st.EndTime))
		}
		return ok("%s", detail)
	})
}

// dialTCP connects to addr and hangs up: the reachability check. Names
// are resolved with --dns-server when set.
func (d *doctor) dialTCP(ctx context.Context, addr string) (string, error) {
	dl := net.Dialer{Timeout: doctorDialTimeout, Resolver: d.resolver}
	c, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			return "", oe.Err
		}
		return "", err
	}
	remote := c.RemoteAddr().String()
	c.Close()
	return remote, nil
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "?"
	}
	return p
}

// dcList prints the DCs as host:port, in order.
func dcList(dcs []directory.DC) string {
	s := make([]string, len(dcs))
	for i, dc := range dcs {
		s[i] = net.JoinHostPort(dc.Host, strconv.Itoa(dc.Port))
	}
	return strings.Join(s, ", ")
}

// realmOfDN turns DC=contoso,DC=com into CONTOSO.COM.
func realmOfDN(dn string) string {
	var labels []string
	for _, rdn := range strings.Split(dn, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(rdn), "=")
		if found && strings.EqualFold(k, "DC") {
			labels = append(labels, v)
		}
	}
	return strings.ToUpper(strings.Join(labels, "."))
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}
