package credspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Spec is a credential spec: the JSON document that names the gMSA a
// container runs as, with the fields Microsoft's New-CredentialSpec
// (CredentialSpec.psm1) writes. Go field names are the JSON names.
type Spec struct {
	CmsPlugins            []string // always ["ActiveDirectory"]
	DomainJoinConfig      DomainJoinConfig
	ActiveDirectoryConfig ActiveDirectoryConfig
	Extra                 []Field // members this package does not know, in input order
}

// DomainJoinConfig describes the domain the container appears to be joined
// to and the account it is joined as.
type DomainJoinConfig struct {
	Sid                string // the domain's SID (objectSid of the domain), not the gMSA's
	MachineAccountName string // the gMSA's sAMAccountName without the trailing "$"
	Guid               string // the domain's objectGUID, unbraced
	DnsTreeName        string // the forest root domain's DNS name
	DnsName            string // the domain's DNS name
	NetBiosName        string // the domain's NetBIOS name
	Extra              []Field
}

// ActiveDirectoryConfig lists the gMSAs the container may use and, for hosts
// not joined to the domain, how the host obtains them.
type ActiveDirectoryConfig struct {
	GroupManagedServiceAccounts []Account
	HostAccountConfig           *HostAccountConfig // nil when absent: the host is domain-joined
	Extra                       []Field
}

// Account is one entry of GroupManagedServiceAccounts: a gMSA Name
// (sAMAccountName without "$") and the domain Scope it is found in, as a DNS
// or NetBIOS name.
type Account struct {
	Name  string
	Scope string
	Extra []Field
}

// HostAccountConfig is the "portable CCG" section: the plugin that gives a
// host not joined to the domain the credentials of an account allowed to
// retrieve the gMSA's password.
type HostAccountConfig struct {
	PortableCcgVersion string // "1"
	PluginGUID         string // the plugin's COM class ID, in braces
	PluginInput        PluginInput
	Extra              []Field
}

// PluginInput is HostAccountConfig.PluginInput. Windows passes a JSON string
// to the plugin verbatim; AWS credentials-fetcher on Linux also accepts a
// JSON object. Exactly one form is held: Object when it is non-nil, String
// otherwise.
type PluginInput struct {
	String string
	Object json.RawMessage // compact JSON object, or nil
}

// Field is a JSON object member this package does not know. Parse keeps
// such members, and Marshal writes them back after the known ones, so that a
// spec read and written again loses nothing.
type Field struct {
	Name  string
	Value json.RawMessage // compact JSON
}

// Severity says whether a Finding makes a spec unusable.
type Severity int

const (
	SeverityWarning Severity = iota + 1 // the spec may work, but is probably not what was meant
	SeverityError                       // the spec will not work
)

func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one problem with a spec, from Parse or Validate.
type Finding struct {
	Path     string // JSON path: "DomainJoinConfig.Sid", "ActiveDirectoryConfig.GroupManagedServiceAccounts[1].Name"
	Value    string // the value found, as text
	Severity Severity
	Message  string // what is wrong
	Hint     string // what to do about it; may be empty
}

func (f Finding) String() string {
	s := f.Severity.String() + ": " + f.Path
	if f.Value != "" {
		s += " " + strconv.Quote(f.Value)
	}
	s += ": " + f.Message
	if f.Hint != "" {
		s += " (hint: " + f.Hint + ")"
	}
	return s
}

// Parse reads a credential spec. It accepts UTF-8 with or without a byte
// order mark and UTF-16 in either byte order (with a byte order mark, or
// without one when the document starts with an ASCII character), since
// Windows PowerShell's Out-File and Set-Content write those. Member names
// are matched exactly, or ignoring case with a warning; unknown members are
// kept in Extra and reported as warnings. A null value counts as absent.
//
// The findings are about the document's form only; call [Validate] for its
// content. On error Parse returns a nil Spec and no findings; byte offsets in
// its errors count in the text after conversion to UTF-8.
func Parse(b []byte) (*Spec, []Finding, error) {
	text, err := decodeText(b)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, &Error{Reason: "document is empty"}
		}
		return nil, nil, jsonError(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, &Error{Reason: fmt.Sprintf("unexpected data after the JSON object at byte %d", end)}
	}
	p := &parser{}
	s, err := p.spec(top)
	if err != nil {
		return nil, nil, err
	}
	return s, p.findings, nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	return &Error{Reason: "invalid JSON: " + err.Error()}
}

type parser struct {
	findings []Finding
}

// members splits a JSON object into its members, matching names against
// known (exactly, or ignoring case with a warning). Known members go to
// set; others are returned in order.
func (p *parser) members(raw json.RawMessage, path string, known []string, set func(name string, v json.RawMessage) error) ([]Field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, newError(displayPath(path), raw, "want a JSON object")
	}
	var extra []Field
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		name := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, jsonError(err)
		}
		canon := ""
		for _, k := range known {
			if name == k {
				canon = k
				break
			}
		}
		if canon == "" {
			for _, k := range known {
				if strings.EqualFold(name, k) {
					canon = k
					p.findings = append(p.findings, Finding{
						Path: join(path, name), Value: name, Severity: SeverityWarning,
						Message: fmt.Sprintf("member name is spelled %q; Microsoft writes %q", name, k),
						Hint:    "Marshal writes the usual spelling",
					})
					break
				}
			}
		}
		if canon == "" {
			var c bytes.Buffer
			if err := json.Compact(&c, v); err != nil {
				return nil, jsonError(err)
			}
			extra = append(extra, Field{Name: name, Value: c.Bytes()})
			p.findings = append(p.findings, Finding{
				Path: join(path, name), Severity: SeverityWarning,
				Message: "unknown member; kept as is",
				Hint:    "check its spelling; Windows ignores members it does not know",
			})
			continue
		}
		if seen[canon] {
			return nil, newError(join(path, name), nil, "appears more than once")
		}
		seen[canon] = true
		if string(v) == "null" {
			continue
		}
		if err := set(canon, v); err != nil {
			return nil, err
		}
	}
	return extra, nil
}

func displayPath(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func str(path string, v json.RawMessage, dst *string) error {
	if len(v) == 0 || v[0] != '"' {
		return newError(path, v, "want a string")
	}
	return json.Unmarshal(v, dst)
}

func (p *parser) spec(raw json.RawMessage) (*Spec, error) {
	s := &Spec{}
	var err error
	s.Extra, err = p.members(raw, "", []string{"CmsPlugins", "DomainJoinConfig", "ActiveDirectoryConfig"}, func(name string, v json.RawMessage) error {
		switch name {
		case "CmsPlugins":
			return p.stringList("CmsPlugins", v, &s.CmsPlugins)
		case "DomainJoinConfig":
			return p.domainJoin(v, &s.DomainJoinConfig)
		default:
			return p.adConfig(v, &s.ActiveDirectoryConfig)
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) stringList(path string, v json.RawMessage, dst *[]string) error {
	if v[0] != '[' {
		return newError(path, v, "want an array of strings")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return jsonError(err)
	}
	for i, it := range items {
		var s string
		if err := str(fmt.Sprintf("%s[%d]", path, i), it, &s); err != nil {
			return err
		}
		*dst = append(*dst, s)
	}
	return nil
}

func (p *parser) domainJoin(v json.RawMessage, d *DomainJoinConfig) error {
	const path = "DomainJoinConfig"
	fields := map[string]*string{
		"Sid": &d.Sid, "MachineAccountName": &d.MachineAccountName, "Guid": &d.Guid,
		"DnsTreeName": &d.DnsTreeName, "DnsName": &d.DnsName, "NetBiosName": &d.NetBiosName,
	}
	var err error
	d.Extra, err = p.members(v, path, domainJoinOrder, func(name string, v json.RawMessage) error {
		return str(join(path, name), v, fields[name])
	})
	return err
}

var domainJoinOrder = []string{"Sid", "MachineAccountName", "Guid", "DnsTreeName", "DnsName", "NetBiosName"}

func (p *parser) adConfig(v json.RawMessage, a *ActiveDirectoryConfig) error {
	const path = "ActiveDirectoryConfig"
	var err error
	a.Extra, err = p.members(v, path, []string{"GroupManagedServiceAccounts", "HostAccountConfig"}, func(name string, v json.RawMessage) error {
		if name == "HostAccountConfig" {
			a.HostAccountConfig = &HostAccountConfig{}
			return p.hostAccount(v, a.HostAccountConfig)
		}
		const gpath = path + ".GroupManagedServiceAccounts"
		if v[0] != '[' {
			return newError(gpath, v, "want an array of objects")
		}
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return jsonError(err)
		}
		for i, it := range items {
			ipath := fmt.Sprintf("%s[%d]", gpath, i)
			var acct Account
			var err error
			acct.Extra, err = p.members(it, ipath, []string{"Name", "Scope"}, func(name string, v json.RawMessage) error {
				if name == "Name" {
					return str(join(ipath, name), v, &acct.Name)
				}
				return str(join(ipath, name), v, &acct.Scope)
			})
			if err != nil {
				return err
			}
			a.GroupManagedServiceAccounts = append(a.GroupManagedServiceAccounts, acct)
		}
		return nil
	})
	return err
}

func (p *parser) hostAccount(v json.RawMessage, h *HostAccountConfig) error {
	const path = "ActiveDirectoryConfig.HostAccountConfig"
	var err error
	h.Extra, err = p.members(v, path, []string{"PortableCcgVersion", "PluginGUID", "PluginInput"}, func(name string, v json.RawMessage) error {
		switch name {
		case "PortableCcgVersion":
			return str(join(path, name), v, &h.PortableCcgVersion)
		case "PluginGUID":
			return str(join(path, name), v, &h.PluginGUID)
		}
		switch v[0] {
		case '"':
			return json.Unmarshal(v, &h.PluginInput.String)
		case '{':
			var c bytes.Buffer
			if err := json.Compact(&c, v); err != nil {
				return jsonError(err)
			}
			h.PluginInput.Object = c.Bytes()
			return nil
		}
		return newError(join(path, name), v, "want a string or an object")
	})
	return err
}

// Marshal writes s as JSON in the order of Microsoft's documented examples
// (CmsPlugins, DomainJoinConfig, ActiveDirectoryConfig; within each object
// the order of the Go fields), indented by four spaces, UTF-8 without a byte
// order mark, ending in a newline. Members in Extra follow the known members
// of their object. "<", ">" and "&" are written as themselves.
//
// New-CredentialSpec itself builds unordered PowerShell hashtables, so the
// member order of its files varies; readers must not depend on it.
func Marshal(s *Spec) ([]byte, error) {
	w := &writer{}
	w.buf.WriteByte('{')
	w.key("CmsPlugins")
	w.buf.WriteByte('[')
	for i, p := range s.CmsPlugins {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.string(p)
	}
	w.buf.WriteByte(']')
	d := &s.DomainJoinConfig
	w.key("DomainJoinConfig")
	w.buf.WriteByte('{')
	for i, v := range []string{d.Sid, d.MachineAccountName, d.Guid, d.DnsTreeName, d.DnsName, d.NetBiosName} {
		w.member(domainJoinOrder[i], v)
	}
	w.extra("DomainJoinConfig", d.Extra, domainJoinOrder)
	w.buf.WriteByte('}')
	a := &s.ActiveDirectoryConfig
	w.key("ActiveDirectoryConfig")
	w.buf.WriteString(`{"GroupManagedServiceAccounts":[`)
	for i, acct := range a.GroupManagedServiceAccounts {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteByte('{')
		w.member("Name", acct.Name)
		w.member("Scope", acct.Scope)
		w.extra(fmt.Sprintf("ActiveDirectoryConfig.GroupManagedServiceAccounts[%d]", i), acct.Extra, []string{"Name", "Scope"})
		w.buf.WriteByte('}')
	}
	w.buf.WriteByte(']')
	if h := a.HostAccountConfig; h != nil {
		const path = "ActiveDirectoryConfig.HostAccountConfig"
		w.key("HostAccountConfig")
		w.buf.WriteByte('{')
		w.member("PortableCcgVersion", h.PortableCcgVersion)
		w.member("PluginGUID", h.PluginGUID)
		w.key("PluginInput")
		if h.PluginInput.Object != nil {
			obj := bytes.TrimSpace(h.PluginInput.Object)
			if len(obj) == 0 || obj[0] != '{' || !json.Valid(obj) {
				w.fail(newError(path+".PluginInput", obj, "Object is not a JSON object"))
			}
			w.buf.Write(obj)
		} else {
			w.string(h.PluginInput.String)
		}
		w.extra(path, h.Extra, []string{"PortableCcgVersion", "PluginGUID", "PluginInput"})
		w.buf.WriteByte('}')
	}
	w.extra("ActiveDirectoryConfig", a.Extra, []string{"GroupManagedServiceAccounts", "HostAccountConfig"})
	w.buf.WriteByte('}')
	w.extra("", s.Extra, []string{"CmsPlugins", "DomainJoinConfig", "ActiveDirectoryConfig"})
	w.buf.WriteByte('}')
	if w.err != nil {
		return nil, w.err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, w.buf.Bytes(), "", "    "); err != nil {
		return nil, &Error{Reason: "Marshal produced invalid JSON: " + err.Error()}
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

type writer struct {
	buf bytes.Buffer
	err error
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) key(k string) {
	if b := w.buf.Bytes(); len(b) > 0 && b[len(b)-1] != '{' {
		w.buf.WriteByte(',')
	}
	w.string(k)
	w.buf.WriteByte(':')
}

func (w *writer) member(k, v string) {
	w.key(k)
	w.string(v)
}

func (w *writer) string(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	w.buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func (w *writer) extra(path string, fields []Field, known []string) {
	for _, f := range fields {
		for _, k := range known {
			if strings.EqualFold(f.Name, k) {
				w.fail(newError(join(path, f.Name), nil, "Extra member has the name of a known member"))
			}
		}
		v := bytes.TrimSpace(f.Value)
		if !json.Valid(v) {
			w.fail(newError(join(path, f.Name), v, "Extra member's value is not valid JSON"))
			continue
		}
		w.key(f.Name)
		w.buf.Write(v)
	}
}
