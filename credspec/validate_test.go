package credspec

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/validate.golden")

// validSpec returns testdata/valid.json parsed: a spec with no findings.
func validSpec(t testing.TB) *Spec {
	t.Helper()
	return mustParse(t, readTestdata(t, "valid.json"))
}

func hostAccount(s *Spec) *HostAccountConfig { return s.ActiveDirectoryConfig.HostAccountConfig }

var validateCases = []struct {
	name   string
	mutate func(*Spec)
}{
	{"the valid base spec has no findings", func(*Spec) {}},
	{"CmsPlugins without ActiveDirectory is an error", func(s *Spec) { s.CmsPlugins = []string{"Other"} }},
	{"a missing CmsPlugins is an error", func(s *Spec) { s.CmsPlugins = nil }},
	{"an empty Sid is an error", func(s *Spec) { s.DomainJoinConfig.Sid = "" }},
	{"a Sid that is not a SID is an error", func(s *Spec) { s.DomainJoinConfig.Sid = "S-1-5-x" }},
	{"the gMSA's SID in place of the domain SID is a warning", func(s *Spec) {
		s.DomainJoinConfig.Sid = "S-1-5-21-1004336348-1177238915-682003330-1605"
	}},
	{"a well-known SID in place of the domain SID is a warning", func(s *Spec) { s.DomainJoinConfig.Sid = "S-1-5-18" }},
	{"an empty MachineAccountName is an error", func(s *Spec) {
		s.DomainJoinConfig.MachineAccountName = ""
	}},
	{"a MachineAccountName ending in $ is a warning", func(s *Spec) {
		s.DomainJoinConfig.MachineAccountName = "WebApp01$"
	}},
	{"an empty Guid is an error", func(s *Spec) { s.DomainJoinConfig.Guid = "" }},
	{"a Guid that is not a GUID is an error", func(s *Spec) { s.DomainJoinConfig.Guid = "5c1f0a0e-8d2b-4e6a-9b3c-1f2e3d4c5b6g" }},
	{"the nil Guid is an error", func(s *Spec) { s.DomainJoinConfig.Guid = "00000000-0000-0000-0000-000000000000" }},
	{"a braced Guid is a warning", func(s *Spec) { s.DomainJoinConfig.Guid = "{5c1f0a0e-8d2b-4e6a-9b3c-1f2e3d4c5b6a}" }},
	{"an empty DnsTreeName is an error", func(s *Spec) { s.DomainJoinConfig.DnsTreeName = "" }},
	{"a DnsName that is not a DNS name is an error", func(s *Spec) { s.DomainJoinConfig.DnsName = "ad..example.com" }},
	{"a DnsName outside DnsTreeName is a warning", func(s *Spec) {
		s.DomainJoinConfig.DnsName = "fabrikam.test"
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Scope = "fabrikam.test"
	}},
	{"a DnsName that only ends like DnsTreeName is a warning", func(s *Spec) {
		s.DomainJoinConfig.DnsName = "notexample.com"
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Scope = "notexample.com"
	}},
	{"a DNS name and DnsTreeName differing in case are accepted", func(s *Spec) { s.DomainJoinConfig.DnsTreeName = "EXAMPLE.com" }},
	{"an empty NetBiosName is an error", func(s *Spec) { s.DomainJoinConfig.NetBiosName = "" }},
	{"a NetBiosName over 15 characters is an error", func(s *Spec) {
		s.DomainJoinConfig.NetBiosName = "EXAMPLECORPORATION"
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[1].Scope = "EXAMPLECORPORATION"
	}},
	{"a NetBiosName with an invalid character is an error", func(s *Spec) {
		s.DomainJoinConfig.NetBiosName = "EX*AMPLE"
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[1].Scope = "EX*AMPLE"
	}},
	{"no GroupManagedServiceAccounts is an error", func(s *Spec) { s.ActiveDirectoryConfig.GroupManagedServiceAccounts = nil }},
	{"an account without a Scope is an error", func(s *Spec) { s.ActiveDirectoryConfig.GroupManagedServiceAccounts[1].Scope = "" }},
	{"an account Name ending in $ is a warning", func(s *Spec) { s.ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Name = "WebApp01$" }},
	{"an account without a Name is an error", func(s *Spec) { s.ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Name = "" }},
	{"MachineAccountName missing from the accounts is an error", func(s *Spec) {
		s.DomainJoinConfig.MachineAccountName = "OtherApp"
	}},
	{"MachineAccountName without its DNS scope is a warning", func(s *Spec) {
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts = s.ActiveDirectoryConfig.GroupManagedServiceAccounts[1:]
	}},
	{"MachineAccountName without its NetBIOS scope is a warning", func(s *Spec) {
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts = s.ActiveDirectoryConfig.GroupManagedServiceAccounts[:1]
	}},
	{"account names and scopes are compared ignoring case", func(s *Spec) {
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Name = "webapp01"
		s.ActiveDirectoryConfig.GroupManagedServiceAccounts[1].Scope = "example"
	}},
	{"no HostAccountConfig is fine for a domain-joined host", func(s *Spec) { s.ActiveDirectoryConfig.HostAccountConfig = nil }},
	{"a PortableCcgVersion other than 1 is an error", func(s *Spec) { hostAccount(s).PortableCcgVersion = "2" }},
	{"an empty PluginGUID is an error", func(s *Spec) { hostAccount(s).PluginGUID = "" }},
	{"Microsoft's example PluginGUID is an error", func(s *Spec) {
		hostAccount(s).PluginGUID = "{GDMA0342-266A-4D1P-831J-20990E82944F}"
	}},
	{"an unbraced PluginGUID is an error", func(s *Spec) { hostAccount(s).PluginGUID = "7885b1b5-9c4f-456e-b0f2-536da771ae3e" }},
	{"a lower-case braced PluginGUID is accepted", func(s *Spec) { hostAccount(s).PluginGUID = "{7885b1b5-9c4f-456e-b0f2-536da771ae3e}" }},
	{"an unknown plugin is a warning", func(s *Spec) { hostAccount(s).PluginGUID = "{00112233-4455-6677-8899-AABBCCDDEEFF}" }},
	{"an empty PluginInput is an error", func(s *Spec) { hostAccount(s).PluginInput = PluginInput{} }},
	{"a portable identity kubernetesSecret is accepted", func(s *Spec) {
		hostAccount(s).PluginInput.String = `{"kubernetesSecret": "gmsa-system/ccg-user"}`
	}},
	{"a portable identity input that is not JSON is an error", func(s *Spec) {
		hostAccount(s).PluginInput.String = "/etc/gmsa/portable-user.json"
	}},
	{"a portable identity input object is an error", func(s *Spec) {
		hostAccount(s).PluginInput = PluginInput{Object: []byte(`{"file":"/etc/gmsa/portable-user.json"}`)}
	}},
	{"a relative portable identity file is an error", func(s *Spec) { hostAccount(s).PluginInput.String = `{"file": "portable-user.json"}` }},
	{"a portable identity input with both members is an error", func(s *Spec) {
		hostAccount(s).PluginInput.String = `{"file": "/etc/gmsa/u.json", "kubernetesSecret": "ns/name"}`
	}},
	{"a malformed kubernetesSecret is an error", func(s *Spec) { hostAccount(s).PluginInput.String = `{"kubernetesSecret": "Name"}` }},
	{"an unknown portable identity member is an error", func(s *Spec) { hostAccount(s).PluginInput.String = `{"path": "/x"}` }},
	{"an Azure Key Vault input is accepted", func(s *Spec) {
		hostAccount(s).PluginGUID = AzureKeyVaultPluginGUID
		hostAccount(s).PluginInput.String = "ObjectId=6d1e2f3a-0b4c-4d5e-8f90-a1b2c3d4e5f6;SecretUri=https://kv.vault.azure.net/secrets/u"
	}},
	{"a malformed Azure Key Vault input is a warning", func(s *Spec) { hostAccount(s).PluginGUID = AzureKeyVaultPluginGUID }},
	{"an AWS input string holding JSON is accepted", func(s *Spec) {
		hostAccount(s).PluginGUID = AWSPluginGUID
		hostAccount(s).PluginInput.String = `{"credentialArn": "arn:aws:secretsmanager:us-west-2:111122223333:secret:u"}`
	}},
	{"an AWS input without an ARN is a warning", func(s *Spec) {
		hostAccount(s).PluginGUID = AWSPluginGUID
		hostAccount(s).PluginInput = PluginInput{Object: []byte(`{"CredentialArn":"prod/ad-credentials"}`)}
	}},
	{"a Rancher input string is accepted", func(s *Spec) {
		hostAccount(s).PluginGUID = RancherPluginGUID
		hostAccount(s).PluginInput.String = "cattle-windows-gmsa-system"
	}},
	{"a Rancher input object is a warning", func(s *Spec) {
		hostAccount(s).PluginGUID = RancherPluginGUID
		hostAccount(s).PluginInput = PluginInput{Object: []byte(`{}`)}
	}},
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var golden bytes.Buffer
	for _, tc := range validateCases {
		s := validSpec(t)
		tc.mutate(s)
		fmt.Fprintf(&golden, "# %s\n", tc.name)
		findings := Validate(s)
		if len(findings) == 0 {
			golden.WriteString("(no findings)\n")
		}
		for _, f := range findings {
			if f.Path == "" || f.Message == "" || (f.Severity != SeverityError && f.Severity != SeverityWarning) {
				t.Errorf("%s: incomplete finding %+v", tc.name, f)
			}
			fmt.Fprintf(&golden, "%s\n", f)
		}
		// The name says which severity the case expects.
		want := SeverityError
		switch {
		case strings.HasSuffix(tc.name, "is a warning"):
			want = SeverityWarning
		case !strings.HasSuffix(tc.name, "is an error"):
			want = 0
		}
		if got := worst(findings); got != want {
			t.Errorf("%s: worst finding %v, want %v: %v", tc.name, got, want, findings)
		}
	}
	if *update {
		if err := os.WriteFile("testdata/validate.golden", golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readTestdata(t, "validate.golden")
	if !bytes.Equal(golden.Bytes(), want) {
		t.Errorf("findings differ from testdata/validate.golden (run go test -update):\n%s", golden.Bytes())
	}
}

// worst returns the most severe finding's severity, or 0 for none.
func worst(fs []Finding) Severity {
	var w Severity
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w
}

// A case changes one thing, so it should produce one finding (a few cases
// need two coordinated edits, and still one finding).
func TestValidateOneFindingPerCase(t *testing.T) {
	t.Parallel()
	for _, tc := range validateCases[1:] {
		s := validSpec(t)
		tc.mutate(s)
		if n := len(Validate(s)); n > 1 {
			t.Errorf("%s: %d findings: %v", tc.name, n, Validate(s))
		}
	}
}
