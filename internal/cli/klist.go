package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// mitTime is the date layout MIT klist prints in the C locale (local time).
const mitTime = "01/02/06 15:04:05"

type klistTicket struct {
	Server        string `json:"server"`
	Start         string `json:"start"`
	End           string `json:"end"`
	RenewTill     string `json:"renew_till,omitempty"`
	Flags         string `json:"flags"`
	EncType       string `json:"enctype"`
	TicketEncType string `json:"ticket_enctype,omitempty"`
	Expired       bool   `json:"expired"`

	start, end, renew time.Time
}

type klistCacheResult struct {
	Cache            string        `json:"cache"`
	Client           string        `json:"client"`
	KDCOffsetSeconds *float64      `json:"kdc_offset_seconds,omitempty"`
	Tickets          []klistTicket `json:"tickets"`

	showEnc, showFlags bool
}

func (klistCacheResult) verbatim()  {}
func (klistKeytabResult) verbatim() {}

func (r klistCacheResult) table(w io.Writer) {
	fmt.Fprintf(w, "Ticket cache: FILE:%s\n", r.Cache)
	fmt.Fprintf(w, "Default principal: %s\n\n", r.Client)
	fmt.Fprintf(w, "Valid starting     Expires            Service principal\n")
	for _, t := range r.Tickets {
		fmt.Fprintf(w, "%s  %s  %s\n", t.start.Local().Format(mitTime), t.end.Local().Format(mitTime), t.Server)
		// MIT klist's show_credential: renew-till counts as two fields,
		// flags as one; more than two end the line before the etypes.
		extra := 0
		sep := func() string {
			if extra > 0 {
				return ", "
			}
			return "\t"
		}
		if !t.renew.IsZero() {
			fmt.Fprintf(w, "%srenew until %s", sep(), t.renew.Local().Format(mitTime))
			extra += 2
		}
		if r.showFlags && t.Flags != "" {
			fmt.Fprintf(w, "%sFlags: %s", sep(), t.Flags)
			extra++
		}
		if extra > 2 {
			fmt.Fprintln(w)
			extra = 0
		}
		if r.showEnc {
			fmt.Fprintf(w, "%sEtype (skey, tkt): %s, %s ", sep(), t.EncType, t.TicketEncType) // MIT's trailing space
			extra++
		}
		if extra > 0 {
			fmt.Fprintln(w)
		}
	}
}

type klistKey struct {
	KVNO      uint32 `json:"kvno"`
	Timestamp string `json:"timestamp,omitempty"`
	Principal string `json:"principal"`
	EncType   string `json:"enctype"`
	Key       string `json:"key,omitempty"`
}

type klistKeytabResult struct {
	Keytab  string     `json:"keytab"`
	Entries []klistKey `json:"entries"`

	showEnc, showTime bool
}

func (r klistKeytabResult) table(w io.Writer) {
	fmt.Fprintf(w, "Keytab name: FILE:%s\n", r.Keytab)
	if r.showTime {
		fmt.Fprintf(w, "KVNO Timestamp         Principal\n---- ----------------- --------------------------------------------------------\n")
	} else {
		fmt.Fprintf(w, "KVNO Principal\n---- --------------------------------------------------------------------------\n")
	}
	for _, e := range r.Entries {
		line := fmt.Sprintf("%4d ", e.KVNO)
		if r.showTime {
			line += e.Timestamp + " "
		}
		line += e.Principal
		if r.showEnc {
			line += " (" + e.EncType + ") " // MIT's trailing space
		}
		if e.Key != "" {
			line += " (0x" + e.Key + ")"
		}
		fmt.Fprintln(w, line)
	}
}

const klistExample = `  # The tickets in the default cache (KRB5CCNAME, else FILE:/tmp/krb5cc_<uid>):
  gmsa klist

  # A lease's cache, with flags and enctypes, as JSON:
  gmsa klist -c /var/run/gmsa/krb5cc -f -e -o json

  # The keys of a keytab (KRB5_KTNAME, else /etc/krb5.keytab), with timestamps:
  gmsa klist -k -t -e /etc/krb5.keytab`

func newKlistCommand(e *env) *cobra.Command {
	var (
		cache                      string
		keytabMode, showEnc, flags bool
		showTime, showKeys         bool
	)
	cmd := &cobra.Command{
		Use:   "klist [-c CACHE | -k [KEYTAB]] [-e] [-f] [-t] [-K]",
		Short: "List the tickets in a credential cache or the keys in a keytab, like MIT klist",
		Long: `List the tickets in a credential cache, or with -k the entries of a keytab,
in MIT klist's layout — for containers that have no MIT tools.

The cache is -c CACHE or the positional name, else KRB5CCNAME, else
FILE:/tmp/krb5cc_<uid>. The keytab (-k) is the positional name, else
KRB5_KTNAME, else /etc/krb5.keytab. Only FILE: caches and keytabs are
supported. Configuration entries (X-CACHECONF) are not listed.

Exit status 1 when the cache or keytab cannot be read; expired tickets are
listed (and marked "expired": true in JSON), as MIT lists them.`,
		Example: klistExample,
		Args:    maxArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := cache
			if len(args) == 1 {
				if cache != "" {
					return usageError("", "give the cache either with -c or as an argument, not both")
				}
				name = args[0]
			}
			if keytabMode {
				if cache != "" {
					return usageError("", "-c names a credential cache; with -k give the keytab as the argument")
				}
				return klistKeytab(e, name, showEnc, showTime, showKeys)
			}
			if showKeys || showTime {
				return usageError("-t and -K apply to keytabs: add -k", "-t and -K need -k")
			}
			return klistCache(e, name, showEnc, flags)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&cache, "cache", "c", "", "credential cache (FILE:path or path)")
	fl.BoolVarP(&keytabMode, "keytab", "k", false, "list a keytab instead of a credential cache")
	fl.BoolVarP(&showEnc, "enctypes", "e", false, "show encryption types")
	fl.BoolVarP(&flags, "flags", "f", false, "show ticket flags")
	fl.BoolVarP(&showTime, "timestamps", "t", false, "with -k: show entry timestamps")
	fl.BoolVarP(&showKeys, "keys", "K", false, "with -k: show the keys themselves (secret)")
	return cmd
}

func readInput(what, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, dataError(fmt.Errorf("%s %s not found", what, path), "")
	}
	if err != nil {
		return nil, dataError(err, "")
	}
	return b, nil
}

func klistCache(e *env, name string, showEnc, showFlags bool) error {
	path, err := ccachePath(name)
	if err != nil {
		return err
	}
	b, err := readInput("credential cache", path)
	if err != nil {
		return err
	}
	c, err := ccache.Parse(b)
	if err != nil {
		return dataError(fmt.Errorf("%s: %w", path, err), "")
	}
	now := e.now()
	out := klistCacheResult{Cache: path, Client: c.DefaultPrincipal.String(), Tickets: []klistTicket{}, showEnc: showEnc, showFlags: showFlags}
	if c.KDCOffset != nil {
		s := c.KDCOffset.Seconds()
		out.KDCOffsetSeconds = &s
	}
	for _, cr := range c.Credentials {
		if cr.IsConfig() {
			continue
		}
		start := cr.StartTime
		if start.IsZero() {
			start = cr.AuthTime
		}
		t := klistTicket{
			Server: cr.Server.String(), Start: rfc3339(start), End: rfc3339(cr.EndTime),
			Flags: cr.Flags.String(), EncType: cr.Key.Type.String(), Expired: !cr.EndTime.After(now),
			start: start, end: cr.EndTime, renew: cr.RenewTill,
		}
		if !cr.RenewTill.IsZero() {
			t.RenewTill = rfc3339(cr.RenewTill)
		}
		if tkt, err := msg.ParseTicket(cr.Ticket); err == nil {
			t.TicketEncType = tkt.EncPart.EType.String()
		}
		out.Tickets = append(out.Tickets, t)
	}
	return render(e, out)
}

func klistKeytab(e *env, name string, showEnc, showTime, showKeys bool) error {
	path, err := keytabPath(name)
	if err != nil {
		return err
	}
	b, err := readInput("keytab", path)
	if err != nil {
		return err
	}
	kt, err := keytab.Parse(b)
	if err != nil {
		return dataError(fmt.Errorf("%s: %w", path, err), "")
	}
	out := klistKeytabResult{Keytab: path, Entries: []klistKey{}, showEnc: showEnc, showTime: showTime}
	for _, en := range kt.Entries {
		k := klistKey{KVNO: en.KVNO, Principal: en.Principal.String(), EncType: en.Key.Type.String()}
		if !en.Timestamp.IsZero() {
			k.Timestamp = en.Timestamp.Local().Format(mitTime)
		}
		if showKeys {
			k.Key = hex.EncodeToString(en.Key.Bytes())
		}
		out.Entries = append(out.Entries, k)
	}
	return render(e, out)
}
