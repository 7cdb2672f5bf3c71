package credspec_test

import (
	"fmt"
	"os"

	"github.com/opengmsa/gmsa/credspec"
)

// Reading a credential spec and checking it. This one has the shape of
// Microsoft's documented portable-CCG example, whose PluginGUID is a
// placeholder that is not a GUID.
func ExampleValidate() {
	b, err := os.ReadFile("testdata/microsoft-doc-ccg.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _, err := credspec.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("gMSA:", spec.DomainJoinConfig.MachineAccountName)
	for _, f := range credspec.Validate(spec) {
		fmt.Println(f.Severity, f.Path)
		fmt.Println(" ", f.Message)
	}
	// Output:
	// gMSA: frontend01
	// error ActiveDirectoryConfig.HostAccountConfig.PluginGUID
	//   is not a GUID: character 2 'G' is not a hexadecimal digit
}

// Parse keeps members it does not know and Marshal writes them back.
func ExampleParse() {
	b, err := os.ReadFile("testdata/unknown-fields.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, findings, err := credspec.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Println(f.Path)
	}
	fmt.Printf("%s = %s\n", spec.Extra[0].Name, spec.Extra[0].Value)
	// Output:
	// Comment
	// DomainJoinConfig.SiteName
	// ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Note
	// ActiveDirectoryConfig.HostAccountConfig.Retries
	// ActiveDirectoryConfig.Future
	// Comment = "kept"
}

// Writing a spec for a Linux host with opengmsa's portable identity plugin.
func ExampleMarshal() {
	spec := &credspec.Spec{
		CmsPlugins: []string{"ActiveDirectory"},
		DomainJoinConfig: credspec.DomainJoinConfig{
			Sid:                "S-1-5-21-1004336348-1177238915-682003330",
			MachineAccountName: "WebApp01",
			Guid:               "5c1f0a0e-8d2b-4e6a-9b3c-1f2e3d4c5b6a",
			DnsTreeName:        "example.com",
			DnsName:            "ad.example.com",
			NetBiosName:        "EXAMPLE",
		},
		ActiveDirectoryConfig: credspec.ActiveDirectoryConfig{
			GroupManagedServiceAccounts: []credspec.Account{
				{Name: "WebApp01", Scope: "ad.example.com"},
				{Name: "WebApp01", Scope: "EXAMPLE"},
			},
			HostAccountConfig: &credspec.HostAccountConfig{
				PortableCcgVersion: "1",
				PluginGUID:         credspec.PortableIdentityPluginGUID,
				PluginInput:        credspec.PluginInput{String: `{"file": "/etc/gmsa/portable-user.json"}`},
			},
		},
	}
	b, err := credspec.Marshal(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	want, _ := os.ReadFile("testdata/valid.json")
	fmt.Println(credspec.DefaultFileName("EXAMPLE", "WebApp01"), string(b) == string(want))
	// Output:
	// example_webapp01.json true
}

// Resolving Docker's --security-opt credentialspec=file://… with the
// caller's file reader.
func ExampleResolve() {
	ref, err := credspec.ParseReference("file://valid.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := credspec.Resolve(ref, credspec.Resolver{Dir: "testdata", ReadFile: os.ReadFile})
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _, err := credspec.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.DomainJoinConfig.NetBiosName, spec.DomainJoinConfig.MachineAccountName)

	_, err = credspec.ParseReference("file://../../etc/shadow")
	fmt.Println(err)
	// Output:
	// EXAMPLE WebApp01
	// credspec: reference "file://../../etc/shadow": file:// path must be inside the CredentialSpecs directory
}
