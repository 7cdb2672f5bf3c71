package credspec

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// PluginGUIDs of the portable CCG plugins this package recognises, in the
// braced upper-case form credential specs carry.
const (
	// PortableIdentityPluginGUID is opengmsa's plugin: PluginInput names a
	// portable identity (see [PortableIdentityInput]).
	PortableIdentityPluginGUID = "{7885B1B5-9C4F-456E-B0F2-536DA771AE3E}"
	// AzureKeyVaultPluginGUID is Microsoft's Azure Key Vault plugin (CCGAKV),
	// the one New-CredentialSpec -AKV writes. PluginInput is the string
	// "ObjectId=<managed identity>;SecretUri=<secret URI>".
	AzureKeyVaultPluginGUID = "{CCC2A336-D7F3-4818-A213-272B7924213E}"
	// AWSPluginGUID is the AWS plugin, also read by credentials-fetcher on
	// Linux. PluginInput is {"CredentialArn": "<ARN>"}, as an object on Linux
	// or as a string holding that JSON on Windows.
	AWSPluginGUID = "{859E1386-BDB4-49E8-85C7-3070B13920E1}"
	// RancherPluginGUID is Rancher's CCG plugin (Rancher-Plugin-gMSA).
	RancherPluginGUID = "{E4781092-F116-4B79-B55E-28EB6A224E26}"
)

// PortableIdentityInput is the PluginInput of opengmsa's portable identity
// plugin: a JSON string holding an object with exactly one of these members.
// Either names a credentials document, a JSON object with "domain",
// "username" and "password" strings for an account allowed to retrieve the
// gMSA's password (docs/credspec.md).
type PortableIdentityInput struct {
	File             string `json:"file,omitempty"`             // absolute path on the host
	KubernetesSecret string `json:"kubernetesSecret,omitempty"` // "namespace/name"
}

// ParsePortableIdentityInput reads the PluginInput of the portable identity
// plugin and checks it.
func ParsePortableIdentityInput(in PluginInput) (PortableIdentityInput, error) {
	const path = "ActiveDirectoryConfig.HostAccountConfig.PluginInput"
	var p PortableIdentityInput
	if in.Object != nil {
		return p, newError(path, in.Object, `want a string holding JSON, such as "{\"file\": \"/etc/gmsa/portable-user.json\"}"`)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(in.String), &raw); err != nil {
		return p, newError(path, []byte(in.String), `is not a JSON object; want {"file": "/path"} or {"kubernetesSecret": "namespace/name"}`)
	}
	for k, v := range raw {
		var s string
		switch k {
		case "file":
			if err := json.Unmarshal(v, &s); err != nil {
				return p, newError(path, []byte(in.String), `"file" is not a string`)
			}
			p.File = s
		case "kubernetesSecret":
			if err := json.Unmarshal(v, &s); err != nil {
				return p, newError(path, []byte(in.String), `"kubernetesSecret" is not a string`)
			}
			p.KubernetesSecret = s
		default:
			return p, newError(path, []byte(in.String), fmt.Sprintf("unknown member %q; want \"file\" or \"kubernetesSecret\"", k))
		}
	}
	switch {
	case p.File != "" && p.KubernetesSecret != "":
		return p, newError(path, []byte(in.String), `has both "file" and "kubernetesSecret"; want one`)
	case p.File != "":
		if !strings.HasPrefix(p.File, "/") {
			return p, newError(path, []byte(in.String), `"file" is not an absolute path`)
		}
	case p.KubernetesSecret != "":
		ns, name, ok := strings.Cut(p.KubernetesSecret, "/")
		if !ok || !isDNSLabel(ns) || !isDNSSubdomain(name) {
			return p, newError(path, []byte(in.String), `"kubernetesSecret" is not "namespace/name"`)
		}
	default:
		return p, newError(path, []byte(in.String), `names neither "file" nor "kubernetesSecret"`)
	}
	return p, nil
}

const portableIdentityName = "opengmsa portable identity"

// pluginName names a known plugin by its GUID, compared as a GUID.
func pluginName(g adtypes.GUID) string {
	for _, k := range []struct{ guid, name string }{
		{PortableIdentityPluginGUID, portableIdentityName},
		{AzureKeyVaultPluginGUID, "Azure Key Vault (CCGAKV)"},
		{AWSPluginGUID, "AWS (credentials-fetcher)"},
		{RancherPluginGUID, "Rancher"},
	} {
		if kg, _ := adtypes.ParseGUID(k.guid); kg == g {
			return k.name
		}
	}
	return ""
}

// checkPluginInput returns a reason the input does not fit the plugin named
// by pluginName, or "".
func checkPluginInput(name string, in PluginInput) string {
	switch name {
	case portableIdentityName:
		if _, err := ParsePortableIdentityInput(in); err != nil {
			return err.(*Error).Reason
		}
	case "Azure Key Vault (CCGAKV)":
		if in.Object != nil || !strings.Contains(in.String, "ObjectId=") || !strings.Contains(in.String, "SecretUri=") {
			return `Azure Key Vault plugin input is the string "ObjectId=<id>;SecretUri=<uri>"`
		}
	case "AWS (credentials-fetcher)":
		obj := []byte(in.Object)
		if obj == nil {
			obj = []byte(in.String)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(obj, &m) != nil {
			return `AWS plugin input is {"CredentialArn": "<ARN>"}, as an object or a string`
		}
		for k, v := range m {
			var arn string
			if strings.EqualFold(k, "CredentialArn") && json.Unmarshal(v, &arn) == nil && strings.HasPrefix(arn, "arn:") {
				return ""
			}
		}
		return `AWS plugin input has no "CredentialArn" holding an ARN`
	case "Rancher":
		if in.Object != nil || in.String == "" {
			return "Rancher plugin input is a non-empty string"
		}
	}
	return ""
}

func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDNSSubdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !isDNSLabel(l) {
			return false
		}
	}
	return true
}
