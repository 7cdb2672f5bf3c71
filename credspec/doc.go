// Package credspec reads, writes and checks credential specs: the JSON
// documents that tell a container runtime which group managed service
// account (gMSA) a container runs as.
//
// Microsoft defined the format for Windows containers, and its
// New-CredentialSpec cmdlet (PowerShell module CredentialSpec) writes it;
// Docker, containerd and Kubernetes (the GMSACredentialSpec resource) pass
// it around unchanged. opengmsa uses the same documents on Linux hosts, so a
// spec written for Windows works here and one written here works on Windows.
// The package is pure: bytes in, values out, no files, network or clock.
//
// # Reading and writing
//
// [Parse] reads a spec as New-CredentialSpec, PowerShell and text editors
// write it: UTF-8 with or without a byte order mark, or UTF-16. It returns a
// [Spec] and warnings about members it does not know; it keeps those members
// in the Extra fields, and [Marshal] writes them back, so reading and writing
// a spec loses nothing. Marshal writes a stable layout: the member order of
// Microsoft's documentation, four-space indentation, UTF-8.
//
// # Checking
//
// [Validate] checks what a spec says and returns [Finding] values, each
// naming the JSON path, the value, a [Severity], a message and a hint. It
// catches the mistakes seen in practice: the gMSA's SID where the domain's
// belongs, a DNS name in NetBiosName, a MachineAccountName missing from
// GroupManagedServiceAccounts, a PluginGUID that is not a GUID (the one in
// Microsoft's own example is not), and a PluginInput the named plugin cannot
// read. Plugins are recognised by GUID: opengmsa's portable identity plugin
// ([PortableIdentityPluginGUID], whose input [ParsePortableIdentityInput]
// reads), Azure Key Vault, AWS and Rancher.
//
// # References
//
// Container runtimes name a spec with a reference, as in Docker's
// --security-opt credentialspec=file://contoso_webapp01.json.
// [ParseReference] reads the file://, raw:// and config:// forms, rejecting
// file names that leave the CredentialSpecs directory; [Resolve] fetches the
// spec through a [Resolver] whose functions the caller supplies.
// [DefaultFileName] gives the file name New-CredentialSpec would choose.
//
// # Errors
//
// Parse, Marshal, ParseReference and Resolve return an [*Error] naming the
// JSON path or reference and the offending value. docs/credspec.md describes
// every field, where its value comes from in Active Directory, and every
// finding.
package credspec
