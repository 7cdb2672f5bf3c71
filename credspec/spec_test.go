package credspec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *Spec {
	t.Helper()
	s, _, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// Marshal writes valid.json, which is in Marshal's layout, byte for byte.
func TestMarshalLayout(t *testing.T) {
	t.Parallel()
	want := readTestdata(t, "valid.json")
	got, err := Marshal(mustParse(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
}

func TestPublishedShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file       string
		wantErrors []string // paths of SeverityError findings
		wantPlugin string
	}{
		{file: "valid.json", wantPlugin: PortableIdentityPluginGUID},
		{file: "microsoft-domain-joined.json"},
		{file: "microsoft-akv.json", wantPlugin: AzureKeyVaultPluginGUID},
		{file: "aws-linux.json", wantPlugin: AWSPluginGUID},
		{file: "windows-gmsa-sample.json"},
		{file: "unknown-fields.json", wantPlugin: PortableIdentityPluginGUID},
		{file: "microsoft-doc-ccg.json", wantErrors: []string{"ActiveDirectoryConfig.HostAccountConfig.PluginGUID"}, wantPlugin: "{GDMA0342-266A-4D1P-831J-20990E82944F}"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, readTestdata(t, tt.file))
			var errs []string
			for _, f := range Validate(s) {
				if f.Severity == SeverityError {
					errs = append(errs, f.Path)
				}
			}
			if !reflect.DeepEqual(errs, tt.wantErrors) {
				t.Errorf("error findings at %q, want %q\n%v", errs, tt.wantErrors, Validate(s))
			}
			got := ""
			if h := s.ActiveDirectoryConfig.HostAccountConfig; h != nil {
				got = h.PluginGUID
			}
			if got != tt.wantPlugin {
				t.Errorf("PluginGUID %q, want %q", got, tt.wantPlugin)
			}
			// Every shape re-marshals and re-parses to the same value.
			out, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if again := mustParse(t, out); !reflect.DeepEqual(again, s) {
				t.Errorf("round trip changed the spec:\n%+v\n%+v", s, again)
			}
		})
	}
}

func TestAWSObjectInput(t *testing.T) {
	t.Parallel()
	s := mustParse(t, readTestdata(t, "aws-linux.json"))
	in := s.ActiveDirectoryConfig.HostAccountConfig.PluginInput
	want := `{"CredentialArn":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:ccg-user-AbCdEf"}`
	if string(in.Object) != want || in.String != "" {
		t.Errorf("PluginInput = %+v, want Object %s", in, want)
	}
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	b := make([]byte, 2*len(u))
	for i, c := range u {
		if bigEndian {
			binary.BigEndian.PutUint16(b[2*i:], c)
		} else {
			binary.LittleEndian.PutUint16(b[2*i:], c)
		}
	}
	return b
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	text := strings.Replace(string(readTestdata(t, "valid.json")), "WebApp01", "WebApp01é", -1)
	want := mustParse(t, []byte(text))
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"UTF-8", []byte(text)},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, text...)},
		{"UTF-16LE BOM", utf16Bytes(text, false, true)},
		{"UTF-16BE BOM", utf16Bytes(text, true, true)},
		{"UTF-16LE", utf16Bytes(text, false, false)},
		{"UTF-16BE", utf16Bytes(text, true, false)},
		{"CRLF", []byte(strings.ReplaceAll(text, "\n", "\r\n"))},
	} {
		s, _, err := Parse(tt.b)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, s, want)
		}
	}
}

func TestUnknownFieldsSurvive(t *testing.T) {
	t.Parallel()
	s, findings, err := Parse(readTestdata(t, "unknown-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range findings {
		if f.Severity != SeverityWarning {
			t.Errorf("finding %v is not a warning", f)
		}
		paths = append(paths, f.Path)
	}
	wantPaths := []string{
		"Comment",
		"DomainJoinConfig.SiteName",
		"ActiveDirectoryConfig.GroupManagedServiceAccounts[0].Note",
		"ActiveDirectoryConfig.HostAccountConfig.Retries",
		"ActiveDirectoryConfig.Future",
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("findings at %q, want %q", paths, wantPaths)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Comment": "kept"`,
		`"SiteName": {`, `"priority": 1`,
		`"Note": null`,
		`"Retries": [`, `3.5e0`,
		`"Future": true`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("Marshal output lacks %s:\n%s", want, out)
		}
	}
	again, findings2, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, s) || len(findings2) != len(findings) {
		t.Errorf("round trip changed the spec:\n%+v\n%+v", s, again)
	}
}

func TestMiscasedNames(t *testing.T) {
	t.Parallel()
	b := bytes.Replace(readTestdata(t, "valid.json"), []byte(`"NetBiosName"`), []byte(`"NetBIOSName"`), 1)
	s, findings, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.DomainJoinConfig.NetBiosName != "EXAMPLE" {
		t.Errorf("NetBiosName = %q", s.DomainJoinConfig.NetBiosName)
	}
	if len(findings) != 1 || findings[0].Path != "DomainJoinConfig.NetBIOSName" || findings[0].Severity != SeverityWarning {
		t.Errorf("findings = %v", findings)
	}
	if out, _ := Marshal(s); !bytes.Equal(out, readTestdata(t, "valid.json")) {
		t.Errorf("Marshal did not restore the usual spelling:\n%s", out)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	valid := string(readTestdata(t, "valid.json"))
	for _, tt := range []struct {
		name, in, want string
	}{
		{"empty document", "", "credspec: document is empty"},
		{"only a BOM", "\xEF\xBB\xBF", "credspec: document is empty"},
		{"not an object", `[1]`, `credspec: document "[1]": want a JSON object`},
		{"syntax error", `{"CmsPlugins": [}`, "credspec: invalid JSON at byte 17: invalid character '}' looking for beginning of value"},
		{"trailing data", `{} {}`, "credspec: unexpected data after the JSON object at byte 2"},
		{"not UTF-8", "{\"A\xff\": 1}", "credspec: document is not UTF-8 or UTF-16 text"},
		{"odd UTF-16", "\xFF\xFE{\x00}", "credspec: document looks like UTF-16 but has an odd number of bytes"},
		{"number for a string", strings.Replace(valid, `"Sid": "S-1-5-21-1004336348-1177238915-682003330"`, `"Sid": 42`, 1),
			`credspec: DomainJoinConfig.Sid "42": want a string`},
		{"string for an object", `{"DomainJoinConfig": "x"}`, `credspec: DomainJoinConfig "\"x\"": want a JSON object`},
		{"CmsPlugins not an array", `{"CmsPlugins": "ActiveDirectory"}`, `credspec: CmsPlugins "\"ActiveDirectory\"": want an array of strings`},
		{"CmsPlugins element", `{"CmsPlugins": [null]}`, `credspec: CmsPlugins[0] "null": want a string`},
		{"account not an object", `{"ActiveDirectoryConfig": {"GroupManagedServiceAccounts": [1]}}`,
			`credspec: ActiveDirectoryConfig.GroupManagedServiceAccounts[0] "1": want a JSON object`},
		{"PluginInput array", `{"ActiveDirectoryConfig": {"HostAccountConfig": {"PluginInput": [1]}}}`,
			`credspec: ActiveDirectoryConfig.HostAccountConfig.PluginInput "[1]": want a string or an object`},
		{"duplicate member", `{"DomainJoinConfig": {"Sid": "a", "sid": "b"}}`, `credspec: DomainJoinConfig.sid: appears more than once`},
	} {
		s, f, err := Parse([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%s: error %T is not *Error", tt.name, err)
		}
		if s != nil || f != nil {
			t.Errorf("%s: returned a partial result", tt.name)
		}
	}
}

func TestNullIsAbsent(t *testing.T) {
	t.Parallel()
	s := mustParse(t, []byte(`{"CmsPlugins": null, "DomainJoinConfig": {"Sid": null}, "ActiveDirectoryConfig": {"HostAccountConfig": null}}`))
	if !reflect.DeepEqual(s, &Spec{}) {
		t.Errorf("got %+v, want the zero Spec", s)
	}
}

func TestMarshalRejectsBadExtra(t *testing.T) {
	t.Parallel()
	for _, s := range []*Spec{
		{Extra: []Field{{Name: "x", Value: []byte("{")}}},
		{Extra: []Field{{Name: "cmsplugins", Value: []byte("1")}}},
		{ActiveDirectoryConfig: ActiveDirectoryConfig{HostAccountConfig: &HostAccountConfig{PluginInput: PluginInput{Object: []byte(`"s"`)}}}},
	} {
		if _, err := Marshal(s); err == nil {
			t.Errorf("Marshal(%+v) succeeded", s)
		}
	}
}

func TestDefaultFileName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ netbios, account, want string }{
		{"CONTOSO", "WebApp01", "contoso_webapp01.json"},
		{"CONTOSO", "WebApp01$", "contoso_webapp01.json"},
		// New-CredentialSpec's TrimEnd(".json") would give contoso_ma.json.
		{"CONTOSO", "mason", "contoso_mason.json"},
		{"CONTOSO", "app.json", "contoso_app.json.json"},
	} {
		if got := DefaultFileName(tt.netbios, tt.account); got != tt.want {
			t.Errorf("DefaultFileName(%q, %q) = %q, want %q", tt.netbios, tt.account, got, tt.want)
		}
	}
}
