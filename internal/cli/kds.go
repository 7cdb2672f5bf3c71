package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/managedpassword"
)

func newKDSCommand(e *env) *cobra.Command {
	cmd := groupCommand("kds", "Key Distribution Service: root keys, key identifiers, gMSA password derivation")
	cmd.AddCommand(newKDSPasswordCommand(e), newKDSGKIDCommand(e), newRootKeyCommand(e))
	return cmd
}

// gkidOut describes a group key identifier and the period it names.
type gkidOut struct {
	GKID          string `json:"gkid"`
	L0            int32  `json:"l0"`
	L1            int32  `json:"l1"`
	L2            int32  `json:"l2"`
	Type          string `json:"type"`
	Start         string `json:"start"`
	End           string `json:"end"`
	StartFileTime uint64 `json:"start_filetime"`
}

func describeGKID(g gkdi.GKID) (gkidOut, error) {
	out := gkidOut{GKID: g.String(), L0: g.L0, L1: g.L1, L2: g.L2, Type: g.Type().String()}
	first, span := g, int64(1)
	switch g.Type() {
	case gkdi.KeyL1:
		first, span = gkdi.GKID{L0: g.L0, L1: g.L1, L2: 0}, gkdi.L2KeyIteration
	case gkdi.KeyL0:
		first, span = gkdi.GKID{L0: g.L0, L1: 0, L2: 0}, gkdi.L1KeyIteration*gkdi.L2KeyIteration
	case gkdi.KeyDefault:
		return out, usageError("give L0,L1,L2 with L0 ≥ 0", "GKID %s names no key period", g)
	}
	start, err := first.Start()
	if err != nil {
		return out, usageError("", "%v", err)
	}
	out.Start, out.StartFileTime = rfc3339(start.Time()), uint64(start)
	if last, ok := first.Add(span); ok {
		if end, err := last.Start(); err == nil {
			out.End = rfc3339(end.Time())
		}
	}
	return out, nil
}

func (g gkidOut) table(w io.Writer) {
	rows(w, "GKID", g.GKID, "Type", g.Type, "Start", g.Start, "End", g.End, "Start (FILETIME)", fmt.Sprint(g.StartFileTime))
}

const kdsGKIDExample = `  # Which key interval was current at a moment?
  gmsa kds gkid --time 2023-09-09T15:02:06Z

  # When does GKID (361,26,24) start and end?
  gmsa kds gkid --gkid 361,26,24 -o json

  # The interval ten hours ago
  gmsa kds gkid --time -10h`

func newKDSGKIDCommand(e *env) *cobra.Command {
	var at, id string
	cmd := &cobra.Command{
		Use:   "gkid (--time T | --gkid L0,L1,L2)",
		Short: "Convert between times and group key identifiers (GKIDs)",
		Long: `Convert between times and MS-GKDI group key identifiers.

Every 10 hours the KDS moves to a new L2 key: a GKID (L0,L1,L2) names one
such interval (L2 = -1 names a 320-hour L1 period, L1 = -1 a 10240-hour L0
period). gMSA passwords are derived from L2 keys.`,
		Example: kdsGKIDExample,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			if (at == "") == (id == "") {
				return usageError("give exactly one of --time and --gkid", "need --time or --gkid")
			}
			var g gkdi.GKID
			if at != "" {
				t, err := parseTime("time", at, e.now())
				if err != nil {
					return err
				}
				ft, err := fileTime("time", t)
				if err != nil {
					return err
				}
				g = gkdi.GKIDAt(ft)
			} else {
				var err error
				if g, err = gkdi.ParseGKID(id); err != nil {
					return usageError("a GKID is L0,L1,L2 with 0 ≤ L1, L2 ≤ 31 (or -1)", "--gkid: %v", err)
				}
			}
			out, err := describeGKID(g)
			if err != nil {
				return err
			}
			return render(e, out)
		},
	}
	cmd.Flags().StringVar(&at, "time", "", "a time: RFC 3339, FILETIME, or a signed duration from now")
	cmd.Flags().StringVar(&id, "gkid", "", "a group key identifier L0,L1,L2")
	return cmd
}

// passwordResult is the output of `gmsa kds password`.
type passwordResult struct {
	RootKeyID string       `json:"root_key_id"`
	KDFHash   string       `json:"kdf_hash"`
	SID       string       `json:"sid"`
	GKID      gkidOut      `json:"gkid"`
	Schedule  *scheduleOut `json:"schedule,omitempty"`
	Account   string       `json:"account,omitempty"`
	Domain    string       `json:"domain,omitempty"`
	passwordOut
}

// scheduleOut is the rollover state at --time for an account created at
// --created.
type scheduleOut struct {
	Created      string `json:"created"`
	At           string `json:"at"`
	IntervalDays int64  `json:"interval_days"`
	Rollover     string `json:"rollover"`
	PeriodStart  string `json:"period_start"`
	PeriodEnd    string `json:"period_end"`
	LookAhead    bool   `json:"look_ahead"`
	Previous     string `json:"previous_gkid,omitempty"`
}

func (r passwordResult) table(w io.Writer) {
	rows(w, "Root key", r.RootKeyID, "KDF hash", r.KDFHash, "SID", r.SID,
		"GKID", fmt.Sprintf("%s (%s – %s)", r.GKID.GKID, r.GKID.Start, r.GKID.End))
	if s := r.Schedule; s != nil {
		rows(w, "Created", s.Created, "At", s.At, "Rollover", fmt.Sprintf("%s (%d days)", s.Rollover, s.IntervalDays),
			"Current period", s.PeriodStart+" – "+s.PeriodEnd, "Previous GKID", s.Previous)
		if s.LookAhead {
			rows(w, "Note", "in the last 5 minutes of a period a DC already serves the next password, shown here")
		}
	}
	rows(w, "Account", r.Account, "Domain", r.Domain)
	r.passwordOut.table(w, "")
}

const kdsPasswordExample = `  # The password for one key identifier (Samba's test vector):
  gmsa kds password --root-key-id 0170e972-a035-af4c-993b-e052d5bd1216 \
    --root-key-data-file rootkey.hex --sid S-1-5-21-4119591868-3001629103-3445594911-48026 \
    --gkid 362,0,23 --show-password

  # The keys a DC holds now for webapp01$, created on 2024-01-15 with a 30-day interval:
  gmsa kds password --root-key-id $ID --root-key-data-file rootkey.hex --sid $SID \
    --time -0s --created 2024-01-15T09:30:00Z --interval-days 30 \
    --account webapp01$ --domain contoso.com --show-keys -o json`

type kdsPasswordFlags struct {
	rootID, rootData, rootDataFile, hash, useStart string
	sid, gkid, at, created                         string
	intervalDays                                   int64
	showPassword, showKeys                         bool
	acct                                           accountFlags
}

func newKDSPasswordCommand(e *env) *cobra.Command {
	var f kdsPasswordFlags
	cmd := &cobra.Command{
		Use:   "password --root-key-id GUID (--root-key-data HEX | --root-key-data-file F) --sid SID (--gkid L0,L1,L2 | --time T [--created T])",
		Short: "Derive a gMSA password and its Kerberos keys from a KDS root key, offline",
		Long: `Derive a gMSA password exactly as a domain controller does, from the KDS root
key (msKds-RootKeyData of the msKds-ProvRootKey object), the gMSA's objectSid
and a group key identifier — or a time, from which the GKID follows.

With --time alone the GKID is the 10-hour interval containing the time. With
--time and --created the rollover rules apply: password periods of
--interval-days (rounded down to whole 10-hour cycles) anchored on the
interval in which the account was created, the next password served in the
last 5 minutes of a period.

It prints the GKID, the NT hash and — with --account and --domain — the salt
and AES keys. Keys appear as fingerprints unless --show-keys is given; the
password (UTF-16LE, hex) only with --show-password. Prefer
--root-key-data-file to --root-key-data: command lines are visible to every
user of the machine.`,
		Example: kdsPasswordExample,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			out, err := kdsPassword(e, &f)
			if err != nil {
				return err
			}
			return render(e, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rootID, "root-key-id", "", "root key GUID (the cn of the msKds-ProvRootKey object)")
	fl.StringVar(&f.rootData, "root-key-data", "", "msKds-RootKeyData, 64 bytes in hex (visible in the process list: prefer --root-key-data-file)")
	fl.StringVar(&f.rootDataFile, "root-key-data-file", "", "file holding msKds-RootKeyData as hex or 64 raw bytes; - for standard input")
	fl.StringVar(&f.hash, "kdf-hash", "sha512", "KDF hash of the root key (msKds-KDFParam): sha1, sha256, sha384, sha512")
	fl.StringVar(&f.useStart, "root-key-use-start", "", "msKds-UseStartTime of the root key; a --time before it is refused")
	fl.StringVar(&f.sid, "sid", "", "objectSid of the gMSA")
	fl.StringVar(&f.gkid, "gkid", "", "group key identifier L0,L1,L2")
	fl.StringVar(&f.at, "time", "", "derive the password current at this time")
	fl.StringVar(&f.created, "created", "", "whenCreated of the gMSA: apply the rollover rules (with --time)")
	fl.Int64Var(&f.intervalDays, "interval-days", managedpassword.DefaultIntervalDays, "msDS-ManagedPasswordInterval of the gMSA (with --created)")
	fl.BoolVar(&f.showPassword, "show-password", false, "print the password itself (UTF-16LE, hex)")
	fl.BoolVar(&f.showKeys, "show-keys", false, "print the keys instead of their fingerprints")
	f.acct.register(cmd)
	return cmd
}

func kdsPassword(e *env, f *kdsPasswordFlags) (*passwordResult, error) {
	if err := f.acct.check(); err != nil {
		return nil, err
	}
	root, err := rootKeyFromFlags(e, f)
	if err != nil {
		return nil, err
	}
	if f.sid == "" {
		return nil, usageError("the gMSA's objectSid, e.g. S-1-5-21-…-1104", "--sid is required")
	}
	sid, err := adtypes.ParseSID(f.sid)
	if err != nil {
		return nil, usageError("", "--sid: %v", err)
	}
	if (f.gkid == "") == (f.at == "") {
		return nil, usageError("give --gkid L0,L1,L2, or --time T (with --created for the rollover rules)", "need exactly one of --gkid and --time")
	}
	if f.created != "" && f.at == "" {
		return nil, usageError("", "--created needs --time")
	}
	res := &passwordResult{RootKeyID: root.ID.String(), KDFHash: root.Hash.String(), SID: sid.String(), Account: f.acct.account, Domain: f.acct.domain}
	d := managedpassword.NewDeriver(64)
	var p managedpassword.Password
	var g gkdi.GKID
	switch {
	case f.gkid != "":
		if g, err = gkdi.ParseGKID(f.gkid); err != nil {
			return nil, usageError("a GKID is L0,L1,L2 with 0 ≤ L1, L2 ≤ 31", "--gkid: %v", err)
		}
		if g.Type() != gkdi.KeyL2 {
			return nil, usageError("gMSA passwords come from L2 keys: all three indexes ≥ 0", "--gkid %s is an %s key identifier", g, g.Type())
		}
		if p, err = d.Password(root, sid, g); err != nil {
			return nil, dataError(err, "")
		}
	default:
		at, err := parseTime("time", f.at, e.now())
		if err != nil {
			return nil, err
		}
		atFT, err := fileTime("time", at)
		if err != nil {
			return nil, err
		}
		ref := managedpassword.KeyRef{RootKey: root, GKID: gkdi.GKIDAt(atFT)}
		if f.created != "" {
			sch, err := schedule(e, f, root, sid, at, atFT)
			if err != nil {
				return nil, err
			}
			res.Schedule = sch.out
			ref = sch.current
		}
		g = ref.GKID
		if p, err = d.PasswordAt(atFT, ref, sid); err != nil {
			return nil, dataError(err, "the root key cannot produce a password at this time: check --root-key-use-start and --time")
		}
	}
	if res.GKID, err = describeGKID(g); err != nil {
		return nil, err
	}
	if res.passwordOut, err = describePassword(&p, f.acct, f.showKeys, f.showPassword); err != nil {
		return nil, err
	}
	return res, nil
}

type scheduled struct {
	out     *scheduleOut
	current managedpassword.KeyRef
}

func schedule(e *env, f *kdsPasswordFlags, root *gkdi.RootKey, sid adtypes.SID, at time.Time, atFT adtypes.FileTime) (*scheduled, error) {
	created, err := parseTime("created", f.created, e.now())
	if err != nil {
		return nil, err
	}
	createdFT, err := fileTime("created", created)
	if err != nil {
		return nil, err
	}
	if createdFT > atFT {
		return nil, usageError("", "--created %s is after --time %s", rfc3339(created), rfc3339(at))
	}
	if createdFT < root.UseStart {
		return nil, dataError(fmt.Errorf("--created %s is before the root key's use-start time %s: no DC would have derived this account's password from it",
			rfc3339(created), rfc3339(root.UseStart.Time())), "")
	}
	acct := managedpassword.NewAccount(sid, createdFT, f.intervalDays, root, "", "")
	sch, err := managedpassword.PlanAt(atFT, acct, []*gkdi.RootKey{root})
	if err != nil {
		return nil, usageError("", "%v", err)
	}
	out := &scheduleOut{
		Created: rfc3339(created), At: rfc3339(at), IntervalDays: f.intervalDays,
		Rollover:    (time.Duration(sch.Rollover/36000000000) * time.Hour).String(),
		PeriodStart: rfc3339(sch.CurrentStart.Time()), PeriodEnd: rfc3339(sch.CurrentEnd.Time()),
		LookAhead: sch.LookAhead,
	}
	if sch.Previous != nil {
		out.Previous = sch.Previous.GKID.String()
	}
	return &scheduled{out: out, current: sch.Current}, nil
}

// rootKeyFromFlags builds the root key; its data never appears in an error.
func rootKeyFromFlags(e *env, f *kdsPasswordFlags) (*gkdi.RootKey, error) {
	if f.rootID == "" {
		return nil, usageError("the cn of the msKds-ProvRootKey object", "--root-key-id is required")
	}
	id, err := adtypes.ParseGUID(f.rootID)
	if err != nil {
		return nil, usageError("", "--root-key-id: %v", err)
	}
	h, err := gkdi.ParseHash(f.hash)
	if err != nil {
		return nil, usageError("", "--kdf-hash: %v", err)
	}
	var raw []byte
	switch {
	case f.rootData != "" && f.rootDataFile != "":
		return nil, usageError("", "give --root-key-data or --root-key-data-file, not both")
	case f.rootData != "":
		if raw, err = decodeKeyHex("--root-key-data", f.rootData); err != nil {
			return nil, err
		}
	case f.rootDataFile != "":
		if raw, err = readRootKeyFile(e, f.rootDataFile); err != nil {
			return nil, err
		}
	default:
		return nil, usageError("msKds-RootKeyData, 64 bytes: --root-key-data-file F (hex or raw) or --root-key-data HEX", "the root key data is required")
	}
	if len(raw) != gkdi.RootKeyDataLen {
		return nil, usageError("", "root key data is %d bytes, want %d", len(raw), gkdi.RootKeyDataLen)
	}
	root := &gkdi.RootKey{ID: id, Version: gkdi.SupportedRootKeyVersion, Data: raw, Hash: h}
	if f.useStart != "" {
		t, err := parseTime("root-key-use-start", f.useStart, e.now())
		if err != nil {
			return nil, err
		}
		if root.UseStart, err = fileTime("root-key-use-start", t); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// decodeKeyHex decodes hex key material, ignoring whitespace. The error says
// where the input went wrong, never what it contains.
func decodeKeyHex(what, s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usageError("give the 64 bytes as 128 hexadecimal digits", "%s: not hexadecimal (%d characters)", what, len(s))
	}
	return b, nil
}

func readRootKeyFile(e *env, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(e.In, 1<<16))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageError("", "--root-key-data-file: %v", err)
	}
	if len(b) == gkdi.RootKeyDataLen {
		return b, nil // raw bytes
	}
	return decodeKeyHex("--root-key-data-file "+name, string(b))
}
