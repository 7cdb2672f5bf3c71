package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/config"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestQuickstart: the walkthrough runs end to end against the lab it
// starts; -o json gives one object per step, all ok, in the walkthrough's
// order; --keep leaves the lab, the specs and the host keytab behind.
func TestQuickstart(t *testing.T) {
	for _, k := range []string{"GMSA_SERVER", "GMSA_DOMAIN", "GMSA_CA_FILE", "GMSA_USER", "GMSA_PASSWORD_FILE", "GMSA_KEYTAB", "KRB5_CONFIG", "KRB5CCNAME"} {
		t.Setenv(k, "")
	}
	keep := filepath.Join(t.TempDir(), "demo")
	stdout, stderr, code := runCLI(t, "", "quickstart", "--keep", keep, "--listen", testpeer.Loopback("internal/cli/quickstart"), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var steps []qsStep
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var s qsStep
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, line)
		}
		steps = append(steps, s)
	}
	want := []string{"Get-KdsRootKey", "Add-KdsRootKey", "New-ADGroup", "New-ADServiceAccount -Name WebApp01", "New-ADServiceAccount -Name LogAgentSvc",
		"Add-Computer", "Add-ADGroupMember", "Test-ADServiceAccount", "New-CredentialSpec", "Get-CredentialSpec",
		"docker run --security-opt", "nltest /sc_verify", "Invoke-WebRequest -UseDefaultCredentials", "SqlConnection("}
	i := 0
	for n, s := range steps {
		if s.Status == "skip" && strings.Contains(s.Name, "PostgreSQL") {
			testpeer.Missing(t, "postgresql", s.Detail) // the quickstart's only optional step
			continue
		}
		if s.Status != "ok" || s.Step != n+1 {
			t.Errorf("step %+v", s)
		}
		if i < len(want) && strings.HasPrefix(s.PowerShell, want[i]) {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("the steps miss %q (or are out of order):\n%s", want[i], stdout)
	}
	byPS := func(prefix string) qsStep {
		for _, s := range steps {
			if strings.HasPrefix(s.PowerShell, prefix) {
				return s
			}
		}
		return qsStep{}
	}
	if d := byPS("New-ADServiceAccount -Name WebApp01").Detail; !strings.Contains(d, "provisioning root key") {
		t.Errorf("the gMSA step does not explain which root key it uses: %q", d)
	}
	// The workload (a process holding the lease) has WebApp01$'s TGT ...
	if d := byPS("docker run").Detail; !strings.Contains(d, "Default principal: WebApp01$@CONTOSO.COM") || !strings.Contains(d, "krbtgt/CONTOSO.COM@CONTOSO.COM") {
		t.Errorf("the workload's klist:\n%s", d)
	}
	// ... the database knows it as its role ...
	if d := byPS("SqlConnection("); !strings.Contains(d.Detail, "SELECT current_user = WebApp01$") && d.Status != "skip" {
		t.Errorf("the database step: %+v", d)
	}
	// ... and the web service saw the gMSA.
	if d := byPS("Invoke-WebRequest").Detail; !strings.Contains(d, `you are CONTOSO\WebApp01$`) {
		t.Errorf("the web service's answer: %s", d)
	}
	for _, f := range []string{"lab/lab.db", "lab/ca.pem", "credentialspecs/contoso_webapp01.json", "host.keytab", "gmsad/state"} {
		if _, err := os.Stat(filepath.Join(keep, f)); err != nil {
			t.Errorf("--keep: %v", err)
		}
	}
	// gmsad's configuration is one gmsad can start from.
	cfg, err := config.LoadAgent(filepath.Join(keep, "gmsad", "gmsad.yaml"))
	if err != nil {
		t.Fatalf("the kept gmsad.yaml: %v", err)
	}
	if cfg.Host.Keytab != filepath.Join(keep, "host.keytab") || len(cfg.DCs) != 1 {
		t.Errorf("gmsad.yaml: %+v", cfg)
	}
	if os.Getenv("KRB5_CONFIG") != "" {
		t.Error("the quickstart left KRB5_CONFIG set")
	}
	// A second run into the same directory refuses, keeping the first.
	if _, stderr, code := runCLI(t, "", "quickstart", "--keep", keep, "--listen", testpeer.Loopback("internal/cli/quickstart")); code != 1 || !strings.Contains(stderr, "already holds") {
		t.Errorf("second --keep run: exit %d\n%s", code, stderr)
	}
}
