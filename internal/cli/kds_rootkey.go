package cli

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/directory"
)

const (
	// rootKeyDefaultDelay is Add-KdsRootKey's default effective time: ten
	// days after now.
	rootKeyDefaultDelay = 10 * 24 * time.Hour
	// rootKeyNewGMSADelay is how long after its use-start time a DC waits
	// before it uses a root key for new gMSAs (gmsa-protocol-notes.md §1).
	rootKeyNewGMSADelay = 10*time.Hour + 5*time.Minute
)

const rootKeyNote = "domain controllers use a root key for new gMSAs only 10h05m after it takes effect"

// rootKeyOut describes a KDS root key; never its msKds-RootKeyData.
type rootKeyOut struct {
	ID                    string `json:"id"`
	Created               string `json:"created"`
	UseStart              string `json:"use_start"`
	UsableForNewGMSAs     bool   `json:"usable_for_new_gmsas"`
	UsableForNewGMSAsFrom string `json:"usable_for_new_gmsas_from"`
	KDFHash               string `json:"kdf_hash"`
	Version               uint32 `json:"version"`
}

func describeRootKey(p *directory.ProvRootKey, now time.Time) rootKeyOut {
	k := p.Key
	from := k.UseStart.Time().Add(rootKeyNewGMSADelay)
	return rootKeyOut{
		ID:                    k.ID.String(),
		Created:               rfc3339(k.Created.Time()),
		UseStart:              rfc3339(k.UseStart.Time()),
		UsableForNewGMSAs:     !from.After(now),
		UsableForNewGMSAsFrom: rfc3339(from),
		KDFHash:               k.Hash.String(),
		Version:               k.Version,
	}
}

// forNew is the FOR NEW GMSAS value: yes, or from when.
func (r rootKeyOut) forNew() string {
	if r.UsableForNewGMSAs {
		return "yes"
	}
	return "from " + r.UsableForNewGMSAsFrom
}

type rootKeyAddOut struct {
	rootKeyOut
	Note string `json:"note"`
}

func (r rootKeyAddOut) table(w io.Writer) {
	rows(w, "ID", r.ID, "Created", r.Created, "Usable from", r.UseStart, "For new gMSAs", r.forNew(), "Note", r.Note)
}

type rootKeyListOut struct {
	Keys []rootKeyOut `json:"keys"`
}

func (l rootKeyListOut) table(w io.Writer) {
	fmt.Fprintln(w, "ID\tCREATED\tUSABLE FROM\tFOR NEW GMSAS\tKDF")
	for _, k := range l.Keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Created, k.UseStart, k.forNew(), k.KDFHash)
	}
}

func newRootKeyCommand(e *env) *cobra.Command {
	cmd := groupCommand("root-key", "KDS root keys: create and list them (Add-KdsRootKey, Get-KdsRootKey)")
	cmd.AddCommand(newRootKeyAddCommand(e), newRootKeyListCommand(e))
	return cmd
}

func newRootKeyAddCommand(e *env) *cobra.Command {
	var (
		conn          connectFlags
		immediately   bool
		effectiveTime string
	)
	cmd := &cobra.Command{
		Use:   "add [--effective-immediately | --effective-time T]",
		Short: "Create a KDS root key (Add-KdsRootKey)",
		Long: `Create a KDS root key in the forest, with every attribute Windows writes, and
print its ID, creation time, the time it takes effect and whether new gMSAs
may use it yet. The key data is never printed.

By default the key takes effect 10 days after now, as Add-KdsRootKey's does;
--effective-immediately makes it take effect now, --effective-time T at T
(RFC 3339, a FILETIME integer, or a signed duration such as -10h).
Domain controllers use a key for new gMSAs only 10h05m after it takes effect,
so even --effective-immediately leaves new gMSAs waiting; in a lab,
--effective-time -10h (plus five minutes' wait) avoids that.

Needs Domain Admins (Enterprise Admins in a multi-domain forest).`,
		Example: `  gmsa kds root-key add --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw
  # A lab: usable for new gMSAs five minutes from now
  gmsa kds root-key add --effective-time -10h --server ldaps://dc1.contoso.com --ca-file ca.pem \
      --user admin@contoso.com --password-file pw`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now := e.now().UTC()
			useStart := now.Add(rootKeyDefaultDelay)
			switch {
			case immediately && cmd.Flags().Changed("effective-time"):
				return usageError("", "--effective-immediately and --effective-time exclude each other")
			case immediately:
				useStart = now
			case cmd.Flags().Changed("effective-time"):
				t, err := parseTime("effective-time", effectiveTime, now)
				if err != nil {
					return err
				}
				if _, err := fileTime("effective-time", t); err != nil {
					return err
				}
				useStart = t
			}
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			p, err := c.AddRootKey(ctx, directory.RootKeyOptions{UseStart: useStart, Now: now})
			if err != nil {
				return directoryError(err)
			}
			return render(e, rootKeyAddOut{rootKeyOut: describeRootKey(p, now), Note: rootKeyNote})
		},
	}
	conn.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&immediately, "effective-immediately", false, "the key takes effect now (new gMSAs may use it 10h05m later)")
	f.StringVar(&effectiveTime, "effective-time", "", "the key takes effect at this time: RFC 3339, FILETIME or a signed duration such as -10h (default now + 10 days, as Add-KdsRootKey)")
	return cmd
}

func newRootKeyListCommand(e *env) *cobra.Command {
	var conn connectFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the forest's KDS root keys (Get-KdsRootKey)",
		Long: `List the forest's KDS root keys: ID, creation time, the time each takes
effect (msKds-UseStartTime), whether domain controllers use it for new gMSAs
yet (10h05m after it takes effect) and its KDF hash. The key data is never
printed.

The keys are visible to Domain Admins, Enterprise Admins and the DCs only;
for other identities the directory shows none, and the command exits 1.`,
		Example: `  gmsa kds root-key list --server ldaps://dc1.contoso.com --user admin@contoso.com --password-file ~/.pw
  gmsa kds root-key list --server ldaps://dc1.contoso.com --ca-file ca.pem --keytab /etc/krb5.keytab -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, _, err := conn.dialDomain(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			prov, err := c.ProvRootKeys(ctx)
			if err != nil {
				return directoryError(err)
			}
			if len(prov) == 0 {
				// RootKeys says why none is visible, with its hint.
				if _, err := c.RootKeys(ctx); err != nil {
					return directoryError(err)
				}
			}
			now := e.now().UTC()
			out := rootKeyListOut{Keys: []rootKeyOut{}}
			for _, p := range prov {
				out.Keys = append(out.Keys, describeRootKey(p, now))
			}
			sort.SliceStable(out.Keys, func(i, j int) bool {
				if out.Keys[i].Created != out.Keys[j].Created {
					return out.Keys[i].Created < out.Keys[j].Created
				}
				return out.Keys[i].ID < out.Keys[j].ID
			})
			return render(e, out)
		},
	}
	conn.register(cmd)
	return cmd
}
