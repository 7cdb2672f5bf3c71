package credspec

import (
	"fmt"
	"strings"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// Validate checks what a spec says: that its SIDs, GUIDs and names have the
// right syntax, agree with one another, and name a plugin this package knows
// with an input that plugin accepts. It returns the findings in document
// order; a spec with no finding of SeverityError is usable. docs/credspec.md
// lists every finding.
func Validate(s *Spec) []Finding {
	v := &validator{}
	v.cmsPlugins(s.CmsPlugins)
	v.domainJoin(&s.DomainJoinConfig)
	v.accounts(&s.DomainJoinConfig, s.ActiveDirectoryConfig.GroupManagedServiceAccounts)
	if h := s.ActiveDirectoryConfig.HostAccountConfig; h != nil {
		v.hostAccount(h)
	}
	return v.findings
}

type validator struct {
	findings []Finding
}

func (v *validator) add(sev Severity, path, value, msg, hint string) {
	v.findings = append(v.findings, Finding{Path: path, Value: value, Severity: sev, Message: msg, Hint: hint})
}

func (v *validator) cmsPlugins(plugins []string) {
	for _, p := range plugins {
		if p == "ActiveDirectory" {
			return
		}
	}
	v.add(SeverityError, "CmsPlugins", strings.Join(plugins, ","), `does not contain "ActiveDirectory"`,
		`set "CmsPlugins": ["ActiveDirectory"], as New-CredentialSpec writes`)
}

func (v *validator) domainJoin(d *DomainJoinConfig) {
	const p = "DomainJoinConfig."
	if v.required(p+"Sid", d.Sid, "the domain's SID: (Get-ADDomain).DomainSID") {
		sid, err := adtypes.ParseSID(d.Sid)
		switch {
		case err != nil:
			v.add(SeverityError, p+"Sid", d.Sid, "is not a SID: "+err.(*adtypes.Error).Reason, "")
		case sid.IsDomainAccount():
			dom, _ := sid.Prefix()
			rid, _ := sid.RID()
			v.add(SeverityWarning, p+"Sid", d.Sid, fmt.Sprintf("is an account SID (RID %d), not a domain SID", rid),
				fmt.Sprintf("Sid is the domain's SID, not the gMSA's; the domain of this account is %s", dom))
		case !sid.IsDomain():
			v.add(SeverityWarning, p+"Sid", d.Sid, "is not an Active Directory domain SID (S-1-5-21-x-y-z)",
				"use the domain's SID: (Get-ADDomain).DomainSID")
		}
	}
	if v.required(p+"MachineAccountName", d.MachineAccountName, "the gMSA's sAMAccountName without the trailing $") {
		v.accountName(p+"MachineAccountName", d.MachineAccountName)
	}
	if v.required(p+"Guid", d.Guid, "the domain's objectGUID: (Get-ADDomain).ObjectGUID") {
		g, err := adtypes.ParseGUID(d.Guid)
		switch {
		case err != nil:
			v.add(SeverityError, p+"Guid", d.Guid, "is not a GUID: "+err.(*adtypes.Error).Reason, "")
		case g.IsZero():
			v.add(SeverityError, p+"Guid", d.Guid, "is the nil GUID", "use the domain's objectGUID: (Get-ADDomain).ObjectGUID")
		case strings.HasPrefix(d.Guid, "{"):
			v.add(SeverityWarning, p+"Guid", d.Guid, "is wrapped in braces", "New-CredentialSpec writes the GUID without braces")
		}
	}
	tree := v.dnsName(p+"DnsTreeName", d.DnsTreeName, "the forest root domain's DNS name: (Get-ADDomain).Forest")
	name := v.dnsName(p+"DnsName", d.DnsName, "the domain's DNS name: (Get-ADDomain).DNSRoot")
	if tree && name && !isWithin(d.DnsName, d.DnsTreeName) {
		v.add(SeverityWarning, p+"DnsName", d.DnsName, fmt.Sprintf("is not %q or a domain below it", d.DnsTreeName),
			"DnsTreeName is the forest root's DNS name; this is right only for a domain in a separate tree of the forest")
	}
	if v.required(p+"NetBiosName", d.NetBiosName, "the domain's NetBIOS name: (Get-ADDomain).NetBIOSName") {
		switch {
		case len(d.NetBiosName) > 15:
			v.add(SeverityError, p+"NetBiosName", d.NetBiosName, fmt.Sprintf("is %d characters; a NetBIOS domain name has at most 15", len(d.NetBiosName)),
				"use the domain's NetBIOS name: (Get-ADDomain).NetBIOSName, not its DNS name")
		case strings.ContainsAny(d.NetBiosName, invalidNetBIOS) || hasControl(d.NetBiosName):
			v.add(SeverityError, p+"NetBiosName", d.NetBiosName, `contains a character NetBIOS names cannot hold (\ / : * ? " < > | space or control)`,
				"use the domain's NetBIOS name: (Get-ADDomain).NetBIOSName")
		}
	}
}

const invalidNetBIOS = "\\/:*?\"<>| "

func validNetBIOS(s string) bool {
	return s != "" && len(s) <= 15 && !strings.ContainsAny(s, invalidNetBIOS) && !hasControl(s)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// required reports whether value is set, adding an error when it is not.
func (v *validator) required(path, value, what string) bool {
	if value == "" {
		v.add(SeverityError, path, "", "is missing or empty", "set it to "+what)
		return false
	}
	return true
}

func (v *validator) accountName(path, name string) {
	if strings.HasSuffix(name, "$") {
		v.add(SeverityWarning, path, name, `ends with "$"`, `credential specs name a gMSA without the "$" of its sAMAccountName`)
	}
}

func (v *validator) dnsName(path, value, what string) bool {
	if !v.required(path, value, what) {
		return false
	}
	if !isDNSName(value) {
		v.add(SeverityError, path, value, "is not a DNS name", "set it to "+what)
		return false
	}
	return true
}

// isDNSName accepts host-name syntax, in any case, with an optional final dot.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	return isDNSSubdomain(strings.ToLower(s))
}

func isWithin(name, parent string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	parent = strings.ToLower(strings.TrimSuffix(parent, "."))
	return name == parent || strings.HasSuffix(name, "."+parent)
}

func (v *validator) accounts(d *DomainJoinConfig, accts []Account) {
	const p = "ActiveDirectoryConfig.GroupManagedServiceAccounts"
	if len(accts) == 0 {
		v.add(SeverityError, p, "", "is missing or empty",
			"list the gMSA twice, with its domain's DNS name and NetBIOS name as Scope")
		return
	}
	complete := true
	for i, a := range accts {
		ip := fmt.Sprintf("%s[%d]", p, i)
		if v.required(ip+".Name", a.Name, "a gMSA's sAMAccountName without the trailing $") {
			v.accountName(ip+".Name", a.Name)
		} else {
			complete = false
		}
		if !v.required(ip+".Scope", a.Scope, "the gMSA's domain, as a DNS or NetBIOS name") {
			complete = false
		}
	}
	if d.MachineAccountName == "" || !complete {
		return // already reported
	}
	// Only check a scope whose value is itself valid; a bad one is reported.
	checkDNS := isDNSName(d.DnsName)
	checkNetBIOS := validNetBIOS(d.NetBiosName)
	var dns, netbios, listed bool
	for _, a := range accts {
		if !strings.EqualFold(strings.TrimSuffix(a.Name, "$"), strings.TrimSuffix(d.MachineAccountName, "$")) {
			continue
		}
		listed = true
		dns = dns || strings.EqualFold(a.Scope, d.DnsName)
		netbios = netbios || strings.EqualFold(a.Scope, d.NetBiosName)
	}
	switch {
	case !listed:
		v.add(SeverityError, p, d.MachineAccountName, "does not list DomainJoinConfig.MachineAccountName",
			"add it twice, with Scope set to DomainJoinConfig.DnsName and to DomainJoinConfig.NetBiosName")
	case !dns && checkDNS:
		v.add(SeverityWarning, p, d.MachineAccountName, fmt.Sprintf("lists MachineAccountName without the DNS scope %q", d.DnsName),
			"New-CredentialSpec lists the account with both the DNS and the NetBIOS name of its domain")
	case !netbios && checkNetBIOS:
		v.add(SeverityWarning, p, d.MachineAccountName, fmt.Sprintf("lists MachineAccountName without the NetBIOS scope %q", d.NetBiosName),
			"New-CredentialSpec lists the account with both the DNS and the NetBIOS name of its domain")
	}
}

func (v *validator) hostAccount(h *HostAccountConfig) {
	const p = "ActiveDirectoryConfig.HostAccountConfig."
	if h.PortableCcgVersion != "1" {
		v.add(SeverityError, p+"PortableCcgVersion", h.PortableCcgVersion, `is not "1"`, `"1" is the only version Windows defines`)
	}
	if !v.required(p+"PluginGUID", h.PluginGUID, "the plugin's class ID in braces, such as "+PortableIdentityPluginGUID) {
		return
	}
	g, err := adtypes.ParseGUID(h.PluginGUID)
	switch {
	case err != nil:
		v.add(SeverityError, p+"PluginGUID", h.PluginGUID, "is not a GUID: "+err.(*adtypes.Error).Reason,
			"copy the plugin's GUID from its documentation; Microsoft's example GUID is a placeholder")
		return
	case !strings.HasPrefix(h.PluginGUID, "{"):
		v.add(SeverityError, p+"PluginGUID", h.PluginGUID, "is not wrapped in braces",
			"write it as {"+strings.ToUpper(h.PluginGUID)+"}")
	}
	name := pluginName(g)
	if name == "" {
		v.add(SeverityWarning, p+"PluginGUID", h.PluginGUID, "is not a plugin opengmsa knows",
			"opengmsa fetches credentials only for its portable identity plugin "+PortableIdentityPluginGUID)
	}
	if h.PluginInput.Object == nil && h.PluginInput.String == "" {
		v.add(SeverityError, p+"PluginInput", "", "is missing or empty", "set the input the plugin expects")
		return
	}
	if reason := checkPluginInput(name, h.PluginInput); reason != "" {
		sev := SeverityWarning
		if name == portableIdentityName {
			sev = SeverityError
		}
		v.add(sev, p+"PluginInput", pluginInputText(h.PluginInput), "does not fit the "+name+" plugin: "+reason, "")
	}
}

func pluginInputText(in PluginInput) string {
	if in.Object != nil {
		return string(in.Object)
	}
	return in.String
}
