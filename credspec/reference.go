package credspec

import (
	"path"
	"strings"
)

// Kind is the form of a Reference.
type Kind string

// The reference forms of Docker's --security-opt credentialspec=….
const (
	File     Kind = "file"     // a file in the CredentialSpecs directory
	Raw      Kind = "raw"      // the spec itself
	Config   Kind = "config"   // a Docker swarm config (or an orchestrator's equivalent)
	Registry Kind = "registry" // a value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Containers\CredentialSpecs; Windows only
)

// Reference is a parsed credential spec reference such as
// "file://contoso_webapp01.json". For File, Value is the cleaned path
// relative to the CredentialSpecs directory, with "/" separators.
type Reference struct {
	Kind  Kind
	Value string
}

// String returns the reference in Docker's form, "kind://value".
func (r Reference) String() string { return string(r.Kind) + "://" + r.Value }

// ParseReference parses the value of Docker's --security-opt
// credentialspec=… as Docker does: "file://NAME" for a file in the
// CredentialSpecs directory, "raw://JSON" for the spec itself, and
// "config://NAME" for a config. A file name may name a subdirectory but must
// stay inside the directory: absolute paths, drive letters and ".." that
// climb out are rejected, with "\" treated as a separator too. "registry://"
// is Windows-only; its error wraps ErrWindowsOnly.
func ParseReference(s string) (Reference, error) {
	bad := func(reason string) (Reference, error) {
		return Reference{}, &Error{Path: "reference", Value: shorten(s), Reason: reason}
	}
	kind, value, ok := strings.Cut(s, "://")
	if !ok {
		return bad(`want file://NAME, raw://JSON or config://NAME`)
	}
	switch Kind(kind) {
	case File:
		if value == "" {
			return bad("file name is empty")
		}
		v := strings.ReplaceAll(value, `\`, "/")
		if strings.HasPrefix(v, "/") || (len(v) >= 2 && v[1] == ':') {
			return bad("file:// path must be relative to the CredentialSpecs directory")
		}
		if strings.ContainsRune(v, 0) {
			return bad("file name contains a NUL byte")
		}
		if strings.Contains(v, ":") {
			return bad(`file name contains ":" (a drive letter or a stream name)`)
		}
		v = path.Clean(v)
		if v == ".." || strings.HasPrefix(v, "../") {
			return bad("file:// path must be inside the CredentialSpecs directory")
		}
		if v == "." {
			return bad("file name is empty")
		}
		return Reference{Kind: File, Value: v}, nil
	case Raw:
		if value == "" {
			return bad("raw:// spec is empty")
		}
		return Reference{Kind: Raw, Value: value}, nil
	case Config:
		if value == "" {
			return bad("config name is empty")
		}
		return Reference{Kind: Config, Value: value}, nil
	case Registry:
		return Reference{}, &Error{Path: "reference", Value: shorten(s), Reason: "registry:// names a Windows registry value; use file://, raw:// or config://", Err: ErrWindowsOnly}
	}
	return bad("unknown form " + kind + "://; want file://, raw:// or config://")
}

// Resolver gives Resolve what it needs to read a reference, so that this
// package does no I/O itself.
type Resolver struct {
	Dir      string                            // the CredentialSpecs directory, joined with "/"
	ReadFile func(name string) ([]byte, error) // reads a file; given Dir + "/" + the reference's path
	Config   func(name string) ([]byte, error) // returns a config's content
}

// Resolve returns the spec a reference names, unparsed: pass it to Parse.
// Errors from the Resolver's functions are wrapped.
func Resolve(ref Reference, r Resolver) ([]byte, error) {
	fail := func(reason string, err error) ([]byte, error) {
		return nil, &Error{Path: "reference", Value: shorten(ref.String()), Reason: reason, Err: err}
	}
	switch ref.Kind {
	case File:
		checked, err := ParseReference(ref.String())
		if err != nil {
			return nil, err
		}
		if r.ReadFile == nil || r.Dir == "" {
			return fail("no CredentialSpecs directory to read file:// references from", nil)
		}
		b, err := r.ReadFile(path.Join(r.Dir, checked.Value))
		if err != nil {
			return fail("reading: "+err.Error(), err)
		}
		return b, nil
	case Raw:
		return []byte(ref.Value), nil
	case Config:
		if r.Config == nil {
			return fail("no source of config:// references", nil)
		}
		b, err := r.Config(ref.Value)
		if err != nil {
			return fail("reading: "+err.Error(), err)
		}
		return b, nil
	case Registry:
		return fail("registry:// names a Windows registry value", ErrWindowsOnly)
	}
	return fail("unknown reference kind", nil)
}

// DefaultFileName returns the name New-CredentialSpec gives a spec in the
// CredentialSpecs directory: "<netbios>_<account>.json", lower-cased, with a
// trailing "$" dropped from the account. New-CredentialSpec then calls
// TrimEnd(".json"), which strips any trailing '.', 'j', 's', 'o' and 'n'
// characters rather than the suffix (account "mason" becomes
// "contoso_ma.json"); this function does not copy that bug.
func DefaultFileName(netbios, account string) string {
	return strings.ToLower(netbios + "_" + strings.TrimSuffix(account, "$") + ".json")
}
