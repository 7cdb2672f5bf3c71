package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/opengmsa/gmsa/credspec"
)

// credspecsDir is the CredentialSpecs directory: --credspecs-dir, else
// GMSA_CREDSPECS_DIR, else the platform default (architecture.md, Files).
func credspecsDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv("GMSA_CREDSPECS_DIR"); d != "" {
		return d
	}
	if runtime.GOOS == "windows" {
		return `C:\ProgramData\docker\CredentialSpecs`
	}
	return "/var/lib/gmsa/credentialspecs"
}

func newCredspecCommand(e *env) *cobra.Command {
	var dir string
	cmd := groupCommand("credspec", "Credential specs: new (from AD over LDAP), list, show, validate, remove, export to Kubernetes/Compose/Swarm/Docker, import")
	cmd.PersistentFlags().StringVar(&dir, "credspecs-dir", "", "the CredentialSpecs directory (default GMSA_CREDSPECS_DIR, else /var/lib/gmsa/credentialspecs)")
	d := func() string { return credspecsDir(dir) }
	cmd.AddCommand(newCredspecListCommand(e, d), newCredspecShowCommand(e, d), newCredspecValidateCommand(e, d),
		newCredspecRemoveCommand(e, d), newCredspecExportCommand(e, d), newCredspecImportCommand(e, d), newCredspecNewCommand(e, d))
	return cmd
}

// specPath turns NAME (a file in the directory, with or without .json) or a
// path into a file path. Names may not leave the directory.
func specPath(dir, name string) (string, error) {
	if strings.ContainsAny(name, `/\`) {
		return name, nil // a path given by the user
	}
	if !strings.HasSuffix(strings.ToLower(name), ".json") {
		name += ".json"
	}
	if _, err := credspec.ParseReference("file://" + name); err != nil {
		return "", usageError("", "%v", err)
	}
	return filepath.Join(dir, name), nil
}

func loadSpec(path string) (*credspec.Spec, []credspec.Finding, []byte, error) {
	b, err := readInput("credential spec", path)
	if err != nil {
		return nil, nil, nil, err
	}
	s, findings, err := credspec.Parse(b)
	if err != nil {
		return nil, nil, nil, dataError(fmt.Errorf("%s: %w", path, err), "")
	}
	return s, findings, b, nil
}

type specRow struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Account string `json:"account,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Error   string `json:"error,omitempty"`
}

type specList struct {
	Dir   string    `json:"dir"`
	Specs []specRow `json:"specs"`
}

func (l specList) table(w io.Writer) {
	fmt.Fprintln(w, "NAME\tACCOUNT\tDOMAIN\tPATH")
	for _, s := range l.Specs {
		acct := s.Account
		if s.Error != "" {
			acct = "(unreadable: " + s.Error + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Name, acct, s.Domain, s.Path)
	}
}

func newCredspecListCommand(e *env, dir func() string) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the credential specs in the CredentialSpecs directory (Get-CredentialSpec)",
		Example: "  gmsa credspec list\n  gmsa credspec list --credspecs-dir ./specs -o json",
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			d := dir()
			entries, err := os.ReadDir(d)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return dataError(err, "")
			}
			out := specList{Dir: d, Specs: []specRow{}}
			for _, en := range entries {
				if en.IsDir() || !strings.EqualFold(filepath.Ext(en.Name()), ".json") {
					continue
				}
				row := specRow{Name: en.Name(), Path: filepath.Join(d, en.Name())}
				if b, err := os.ReadFile(row.Path); err != nil {
					row.Error = err.Error()
				} else if s, _, err := credspec.Parse(b); err != nil {
					row.Error = err.Error()
				} else {
					row.Account, row.Domain = s.DomainJoinConfig.MachineAccountName, s.DomainJoinConfig.DnsName
				}
				out.Specs = append(out.Specs, row)
			}
			sort.Slice(out.Specs, func(i, j int) bool { return out.Specs[i].Name < out.Specs[j].Name })
			return render(e, out)
		},
	}
}

type specShow struct {
	Path     string          `json:"path"`
	Spec     json.RawMessage `json:"spec"`
	Findings []string        `json:"findings"`

	spec *credspec.Spec
}

func (s specShow) table(w io.Writer) {
	d := s.spec.DomainJoinConfig
	rows(w, "Path", s.Path, "Account", d.MachineAccountName, "Domain", d.DnsName, "Forest", d.DnsTreeName,
		"NetBIOS", d.NetBiosName, "Domain SID", d.Sid, "Domain GUID", d.Guid)
	for _, a := range s.spec.ActiveDirectoryConfig.GroupManagedServiceAccounts {
		rows(w, "gMSA", a.Name+" (scope "+a.Scope+")")
	}
	if h := s.spec.ActiveDirectoryConfig.HostAccountConfig; h != nil {
		rows(w, "Plugin", h.PluginGUID)
	}
	for _, f := range s.Findings {
		rows(w, "Finding", f)
	}
}

func newCredspecShowCommand(e *env, dir func() string) *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME|PATH",
		Short:   "Show a credential spec and what Validate finds in it",
		Example: "  gmsa credspec show contoso_webapp01.json\n  gmsa credspec show ./spec.json -o json",
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path, err := specPath(dir(), args[0])
			if err != nil {
				return err
			}
			s, findings, _, err := loadSpec(path)
			if err != nil {
				return err
			}
			canon, err := credspec.Marshal(s)
			if err != nil {
				return dataError(err, "")
			}
			out := specShow{Path: path, Spec: canon, Findings: []string{}, spec: s}
			for _, f := range append(findings, credspec.Validate(s)...) {
				out.Findings = append(out.Findings, f.String())
			}
			return render(e, out)
		},
	}
}

type validateResult struct {
	Files []validateFile `json:"files"`
}

type validateFile struct {
	Path     string             `json:"path"`
	Valid    bool               `json:"valid"`
	Findings []credspec.Finding `json:"findings"`
}

func (r validateResult) table(w io.Writer) {
	for _, f := range r.Files {
		verdict := "valid"
		if !f.Valid {
			verdict = "INVALID"
		}
		fmt.Fprintf(w, "%s: %s\n", f.Path, verdict)
		for _, fd := range f.Findings {
			fmt.Fprintf(w, "  %s\n", fd)
		}
	}
}

func newCredspecValidateCommand(e *env, dir func() string) *cobra.Command {
	return &cobra.Command{
		Use:   "validate NAME|PATH...",
		Short: "Check credential specs; exit 1 when any has an error (warnings are listed)",
		Long: `Check credential specs for the mistakes seen in practice: the gMSA's SID where
the domain's belongs, a MachineAccountName missing from
GroupManagedServiceAccounts or listed with one scope only, a NetBIOS name
longer than 15 characters, a PluginGUID that is not a braced GUID (the one in
Microsoft's own example is not), a PluginInput the named plugin cannot read.
docs/credspec.md lists every finding.`,
		Example: "  gmsa credspec validate contoso_webapp01.json\n  gmsa credspec validate ./a.json ./b.json -o json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("", "validate needs at least one spec")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			var out validateResult
			bad := 0
			for _, a := range args {
				path, err := specPath(dir(), a)
				if err != nil {
					return err
				}
				s, findings, _, err := loadSpec(path)
				if err != nil {
					return err
				}
				vf := validateFile{Path: path, Valid: true, Findings: append(findings, credspec.Validate(s)...)}
				for _, f := range vf.Findings {
					if f.Severity == credspec.SeverityError {
						vf.Valid = false
					}
				}
				if vf.Findings == nil {
					vf.Findings = []credspec.Finding{}
				}
				if !vf.Valid {
					bad++
				}
				out.Files = append(out.Files, vf)
			}
			if err := render(e, out); err != nil {
				return err
			}
			if bad > 0 {
				return dataError(fmt.Errorf("%d of %d credential specs have errors", bad, len(args)), "")
			}
			return nil
		},
	}
}

type removeResult struct {
	Removed string `json:"removed"`
}

func (r removeResult) table(w io.Writer) { fmt.Fprintf(w, "removed %s\n", r.Removed) }

func newCredspecRemoveCommand(e *env, dir func() string) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Short:   "Remove a credential spec from the CredentialSpecs directory",
		Example: "  gmsa credspec remove contoso_webapp01.json",
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if strings.ContainsAny(args[0], `/\`) {
				return usageError("give the name of a spec in the CredentialSpecs directory", "remove takes a name, not a path: %q", args[0])
			}
			path, err := specPath(dir(), args[0])
			if err != nil {
				return err
			}
			if err := os.Remove(path); err != nil {
				return dataError(err, "gmsa credspec list shows the names")
			}
			return render(e, removeResult{Removed: path})
		},
	}
}

type exportResult struct {
	Format string `json:"format"`
	Text   string `json:"text"`
}

func (r exportResult) verbatim()         {}
func (r exportResult) table(w io.Writer) { io.WriteString(w, r.Text) }

var notDNS1123 = regexp.MustCompile(`[^a-z0-9-]+`)

// resourceName derives a DNS-1123 name for a GMSACredentialSpec from the
// account: lower case, runs of other characters to '-', trimmed, ≤ 253.
func resourceName(account string) string {
	n := strings.Trim(notDNS1123.ReplaceAllString(strings.ToLower(strings.TrimSuffix(account, "$")), "-"), "-")
	if n == "" {
		n = "gmsa"
	}
	if len(n) > 253 {
		n = strings.TrimRight(n[:253], "-")
	}
	return n
}

func newCredspecExportCommand(e *env, dir func() string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export NAME --format k8s|compose|swarm|docker-args",
		Short: "Print a credential spec for an orchestrator: a Kubernetes GMSACredentialSpec, Compose, Swarm or docker run",
		Long: `Print what an orchestrator needs to use a credential spec:

  k8s          a GMSACredentialSpec resource (windows.k8s.io/v1) holding the spec,
               named after the account (DNS-1123)
  compose      the credential_spec section of a Compose service
  swarm        the docker config create and docker service create commands
  docker-args  the --security-opt argument for docker run`,
		Example: "  gmsa credspec export contoso_webapp01.json --format k8s | kubectl apply -f -\n  gmsa credspec export contoso_webapp01.json --format docker-args",
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path, err := specPath(dir(), args[0])
			if err != nil {
				return err
			}
			s, _, _, err := loadSpec(path)
			if err != nil {
				return err
			}
			file := filepath.Base(path)
			name := resourceName(s.DomainJoinConfig.MachineAccountName)
			var text string
			switch format {
			case "k8s":
				canon, err := credspec.Marshal(s)
				if err != nil {
					return dataError(err, "")
				}
				var spec yaml.Node
				if err := yaml.Unmarshal(canon, &spec); err != nil {
					return dataError(err, "")
				}
				blockStyle(&spec)
				doc := map[string]any{
					"apiVersion": "windows.k8s.io/v1",
					"kind":       "GMSACredentialSpec",
					"metadata":   map[string]any{"name": name},
					"credspec":   spec.Content[0],
				}
				var b strings.Builder
				enc := yaml.NewEncoder(&b)
				enc.SetIndent(2)
				if err := enc.Encode(orderedCR(doc)); err != nil {
					return dataError(err, "")
				}
				enc.Close()
				text = b.String()
			case "compose":
				text = fmt.Sprintf("    credential_spec:\n      file: %s\n", file)
			case "swarm":
				text = fmt.Sprintf("docker config create credspec-%s %s\ndocker service create --credential-spec=\"config://credspec-%s\" …\n", name, shellQuote(path), name)
			case "docker-args":
				text = fmt.Sprintf("--security-opt \"credentialspec=file://%s\"\n", file)
			default:
				return usageError("k8s, compose, swarm or docker-args", "--format %q: unknown format", format)
			}
			return render(e, exportResult{Format: format, Text: text})
		},
	}
	cmd.Flags().StringVar(&format, "format", "k8s", "k8s, compose, swarm or docker-args")
	return cmd
}

// orderedCR gives the resource its conventional key order.
func orderedCR(m map[string]any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range []string{"apiVersion", "kind", "metadata", "credspec"} {
		var v yaml.Node
		switch x := m[k].(type) {
		case *yaml.Node:
			v = *x
		default:
			if err := v.Encode(x); err != nil {
				panic(err)
			}
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &v)
	}
	return n
}

func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./:-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type importResult struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

func (r importResult) table(w io.Writer) { rows(w, "Name", r.Name, "Path", r.Path) }

func newCredspecImportCommand(e *env, dir func() string) *cobra.Command {
	var name string
	var noClobber bool
	cmd := &cobra.Command{
		Use:     "import FILE.yaml [--name NAME] [--no-clobber]",
		Short:   "Turn a GMSACredentialSpec resource back into a credential spec file",
		Example: "  kubectl get gmsacredentialspec webapp01 -o yaml > cr.yaml && gmsa credspec import cr.yaml",
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			b, err := readInput("resource", args[0])
			if err != nil {
				return err
			}
			var cr struct {
				APIVersion string         `yaml:"apiVersion"`
				Kind       string         `yaml:"kind"`
				Credspec   map[string]any `yaml:"credspec"`
			}
			if err := yaml.Unmarshal(b, &cr); err != nil {
				return dataError(fmt.Errorf("%s: %w", args[0], err), "")
			}
			if cr.Kind != "GMSACredentialSpec" || !strings.HasPrefix(cr.APIVersion, "windows.k8s.io/") || cr.Credspec == nil {
				return dataError(fmt.Errorf("%s: kind %q, apiVersion %q: not a GMSACredentialSpec with a credspec", args[0], cr.Kind, cr.APIVersion), "")
			}
			raw, err := json.Marshal(cr.Credspec)
			if err != nil {
				return dataError(err, "")
			}
			s, _, err := credspec.Parse(raw)
			if err != nil {
				return dataError(fmt.Errorf("%s: credspec: %w", args[0], err), "")
			}
			out, err := credspec.Marshal(s)
			if err != nil {
				return dataError(err, "")
			}
			if name == "" {
				name = credspec.DefaultFileName(s.DomainJoinConfig.NetBiosName, s.DomainJoinConfig.MachineAccountName)
			}
			path, err := specPath(dir(), name)
			if err != nil {
				return err
			}
			if noClobber {
				if _, err := os.Stat(path); err == nil {
					return dataError(fmt.Errorf("%s exists", path), "drop --no-clobber to replace it, or give --name")
				}
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return dataError(err, "")
			}
			if err := writeFileAtomic(path, out, 0o644); err != nil {
				return dataError(err, "")
			}
			return render(e, importResult{Name: filepath.Base(path), Path: path})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "file name in the CredentialSpecs directory (default <netbios>_<account>.json)")
	cmd.Flags().BoolVar(&noClobber, "no-clobber", false, "fail rather than replace an existing file")
	return cmd
}

// exactArgs requires exactly n positional arguments.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("run '"+cmd.CommandPath()+" --help' for usage", "%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}
