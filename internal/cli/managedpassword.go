package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opengmsa/gmsa/internal/managedpassword"
)

func newManagedPasswordCommand(e *env) *cobra.Command {
	cmd := groupCommand("managed-password", "Work with msDS-ManagedPassword values (MSDS-MANAGEDPASSWORD_BLOB)")
	cmd.AddCommand(newDecodeCommand(e))
	return cmd
}

// decodeResult is the output of `gmsa managed-password decode`.
type decodeResult struct {
	Version                 int          `json:"version"`
	Length                  int          `json:"length"`
	Offsets                 blobOffsets  `json:"offsets"`
	QueryInterval           string       `json:"query_interval"`
	QueryInterval100ns      uint64       `json:"query_interval_100ns"`
	UnchangedInterval       string       `json:"unchanged_interval"`
	UnchangedInterval100ns  uint64       `json:"unchanged_interval_100ns"`
	PreviousPasswordPresent bool         `json:"previous_password_present"`
	Account                 string       `json:"account,omitempty"`
	Domain                  string       `json:"domain,omitempty"`
	Current                 passwordOut  `json:"current"`
	Previous                *passwordOut `json:"previous,omitempty"`
}

type blobOffsets struct {
	CurrentPassword   int `json:"current_password"`
	PreviousPassword  int `json:"previous_password"`
	QueryInterval     int `json:"query_password_interval"`
	UnchangedInterval int `json:"unchanged_password_interval"`
}

func (r decodeResult) table(w io.Writer) {
	rows(w, "Version", fmt.Sprint(r.Version), "Length", fmt.Sprint(r.Length),
		"Offsets", fmt.Sprintf("current %d, previous %d, query %d, unchanged %d",
			r.Offsets.CurrentPassword, r.Offsets.PreviousPassword, r.Offsets.QueryInterval, r.Offsets.UnchangedInterval),
		"Query interval", r.QueryInterval, "Unchanged interval", r.UnchangedInterval,
		"Previous password", map[bool]string{true: "present", false: "absent"}[r.PreviousPasswordPresent],
		"Account", r.Account, "Domain", r.Domain)
	fmt.Fprintln(w, "Current password:\t")
	r.Current.table(w, "  ")
	if r.Previous != nil {
		fmt.Fprintln(w, "Previous password:\t")
		r.Previous.table(w, "  ")
	}
}

const decodeExample = `  # A blob saved from ldapsearch (the base64 after "msDS-ManagedPassword::"):
  ldapsearch -LLL -H ldaps://dc1.contoso.com -b 'CN=webapp01,CN=Managed Service Accounts,DC=contoso,DC=com' \
    msDS-ManagedPassword | gmsa managed-password decode --base64 --account 'webapp01$' --domain contoso.com

  # A raw blob, keys in full, as JSON:
  gmsa managed-password decode blob.bin --account 'webapp01$' --domain contoso.com --show-keys -o json`

func newDecodeCommand(e *env) *cobra.Command {
	var (
		asBase64, showPassword, showKeys bool
		acct                             accountFlags
	)
	cmd := &cobra.Command{
		Use:   "decode [FILE|-]",
		Short: "Decode an msDS-ManagedPassword blob: intervals, NT hashes, Kerberos keys",
		Long: `Decode the value of msDS-ManagedPassword (MSDS-MANAGEDPASSWORD_BLOB,
[MS-ADTS] 2.2.19) read from FILE or standard input: version, length, offsets,
how long the current password stays current (query interval) and may not
change (unchanged interval), whether a previous password is present, and the
NT hash of each password — with --account and --domain also the salt and AES
keys. Keys appear as fingerprints unless --show-keys is given; passwords only
with --show-password.

With --base64 the input is base64 text; an LDIF line such as
"msDS-ManagedPassword:: AQAA…" (with continuation lines) is accepted as is.`,
		Example: decodeExample,
		Args:    maxArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := acct.check(); err != nil {
				return err
			}
			raw, err := readBlobInput(e, args, asBase64)
			if err != nil {
				return err
			}
			blob, err := managedpassword.ParseBlob(raw)
			if err != nil {
				hint := ""
				if !asBase64 && looksBase64(raw) {
					hint = "the input looks like base64 text: add --base64"
				}
				return dataError(err, hint)
			}
			out := decodeResult{
				Version: 1, Length: len(raw),
				Offsets: blobOffsets{
					CurrentPassword:   int(binary.LittleEndian.Uint16(raw[8:])),
					PreviousPassword:  int(binary.LittleEndian.Uint16(raw[10:])),
					QueryInterval:     int(binary.LittleEndian.Uint16(raw[12:])),
					UnchangedInterval: int(binary.LittleEndian.Uint16(raw[14:])),
				},
				QueryInterval:           roundDuration(blob.Query()),
				QueryInterval100ns:      blob.QueryInterval,
				UnchangedInterval:       roundDuration(blob.Unchanged()),
				UnchangedInterval100ns:  blob.UnchangedInterval,
				PreviousPasswordPresent: blob.Previous != nil,
				Account:                 acct.account,
				Domain:                  acct.domain,
			}
			if out.Current, err = describePassword(&blob.Current, acct, showKeys, showPassword); err != nil {
				return err
			}
			if blob.Previous != nil {
				prev, err := describePassword(blob.Previous, acct, showKeys, showPassword)
				if err != nil {
					return err
				}
				out.Previous = &prev
			}
			return render(e, out)
		},
	}
	cmd.Flags().BoolVar(&asBase64, "base64", false, "the input is base64 text (as ldapsearch prints it)")
	cmd.Flags().BoolVar(&showPassword, "show-password", false, "print the passwords (UTF-16LE, hex)")
	cmd.Flags().BoolVar(&showKeys, "show-keys", false, "print the keys instead of their fingerprints")
	acct.register(cmd)
	return cmd
}

// maxBlobInput bounds what decode reads: a blob is at most 548 bytes, its
// base64 LDIF form well under a kilobyte.
const maxBlobInput = 1 << 16

func readBlobInput(e *env, args []string, asBase64 bool) ([]byte, error) {
	var r io.Reader = e.In
	name := "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, usageError("", "%v", err)
		}
		defer f.Close()
		r, name = f, args[0]
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxBlobInput+1))
	if err != nil {
		return nil, dataError(fmt.Errorf("reading %s: %w", name, err), "")
	}
	if len(raw) > maxBlobInput {
		return nil, dataError(fmt.Errorf("%s: more than %d bytes; an msDS-ManagedPassword value is at most 548", name, maxBlobInput), "")
	}
	if !asBase64 {
		return raw, nil
	}
	text := unfoldLDIF(string(raw))
	if _, v, ok := strings.Cut(text, "::"); ok && strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "msds-managedpassword") {
		text = v
	}
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, dataError(fmt.Errorf("%s: not base64: %w", name, errors.Unwrap(err)), "give the value after \"msDS-ManagedPassword::\", or the whole LDIF line")
	}
	return b, nil
}

// unfoldLDIF joins LDIF continuation lines (a newline followed by one space)
// and keeps only the msDS-ManagedPassword line when the input holds a whole
// entry.
func unfoldLDIF(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", "")
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.ToLower(line), "msds-managedpassword::") {
			return line
		}
	}
	return s
}

func looksBase64(b []byte) bool {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return false
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ':' || c == ' ' || c == '-') {
			return false
		}
	}
	return true
}

func roundDuration(d time.Duration) string { return d.Round(time.Second).String() }
