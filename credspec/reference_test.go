package credspec

import (
	"errors"
	"io/fs"
	"testing"
)

var referenceCases = []struct {
	in      string
	want    Reference
	wantErr string
}{
	{in: "file://contoso_webapp01.json", want: Reference{File, "contoso_webapp01.json"}},
	{in: "file://team-a/webapp01.json", want: Reference{File, "team-a/webapp01.json"}},
	{in: `file://team-a\webapp01.json`, want: Reference{File, "team-a/webapp01.json"}},
	{in: "file://team-a/../webapp01.json", want: Reference{File, "webapp01.json"}},
	{in: "file://./webapp01.json", want: Reference{File, "webapp01.json"}},
	{in: "file://", wantErr: `credspec: reference "file://": file name is empty`},
	{in: "file://.", wantErr: `credspec: reference "file://.": file name is empty`},
	{in: "file:///etc/gmsa/webapp01.json", wantErr: `credspec: reference "file:///etc/gmsa/webapp01.json": file:// path must be relative to the CredentialSpecs directory`},
	{in: `file://C:\ProgramData\Docker\CredentialSpecs\x.json`, wantErr: `credspec: reference "file://C:\\ProgramData\\Docker\\CredentialSpecs\\x.json": file:// path must be relative to the CredentialSpecs directory`},
	{in: `file://\\server\share\x.json`, wantErr: `credspec: reference "file://\\\\server\\share\\x.json": file:// path must be relative to the CredentialSpecs directory`},
	{in: "file://../x.json", wantErr: `credspec: reference "file://../x.json": file:// path must be inside the CredentialSpecs directory`},
	{in: `file://a\..\..\x.json`, wantErr: `credspec: reference "file://a\\..\\..\\x.json": file:// path must be inside the CredentialSpecs directory`},
	{in: "file://./e:", wantErr: `credspec: reference "file://./e:": file name contains ":" (a drive letter or a stream name)`},
	{in: "file://x.json:stream", wantErr: `credspec: reference "file://x.json:stream": file name contains ":" (a drive letter or a stream name)`},
	{in: "file://..", wantErr: `credspec: reference "file://..": file:// path must be inside the CredentialSpecs directory`},
	{in: "file://a\x00b", wantErr: `credspec: reference "file://a\x00b": file name contains a NUL byte`},
	{in: `raw://{"CmsPlugins":["ActiveDirectory"]}`, want: Reference{Raw, `{"CmsPlugins":["ActiveDirectory"]}`}},
	{in: "raw://", wantErr: `credspec: reference "raw://": raw:// spec is empty`},
	{in: "config://webapp01-credspec", want: Reference{Config, "webapp01-credspec"}},
	{in: "config://", wantErr: `credspec: reference "config://": config name is empty`},
	{in: "registry://webapp01", wantErr: `credspec: reference "registry://webapp01": registry:// names a Windows registry value; use file://, raw:// or config://`},
	{in: "contoso_webapp01.json", wantErr: `credspec: reference "contoso_webapp01.json": want file://NAME, raw://JSON or config://NAME`},
	{in: "FILE://x.json", wantErr: `credspec: reference "FILE://x.json": unknown form FILE://; want file://, raw:// or config://`},
	{in: "http://x", wantErr: `credspec: reference "http://x": unknown form http://; want file://, raw:// or config://`},
}

func TestParseReference(t *testing.T) {
	t.Parallel()
	for _, tt := range referenceCases {
		got, err := ParseReference(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseReference(%q) error = %v, want %s", tt.in, err, tt.wantErr)
			}
			if got != (Reference{}) {
				t.Errorf("ParseReference(%q) returned %v with an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseReference(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseReference("registry://x"); !errors.Is(err, ErrWindowsOnly) {
		t.Errorf("registry:// error %v does not wrap ErrWindowsOnly", err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	files := map[string]string{"/var/lib/gmsa/credentialspecs/team/a.json": "A"}
	r := Resolver{
		Dir: "/var/lib/gmsa/credentialspecs",
		ReadFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		Config: func(name string) ([]byte, error) { return []byte("config " + name), nil },
	}
	for _, tt := range []struct {
		ref     Reference
		want    string
		wantErr string
	}{
		{ref: Reference{File, "team/a.json"}, want: "A"},
		{ref: Reference{File, "missing.json"}, wantErr: `credspec: reference "file://missing.json": reading: file does not exist`},
		// A Reference built by hand is checked again.
		{ref: Reference{File, "../../../etc/shadow"}, wantErr: `credspec: reference "file://../../../etc/shadow": file:// path must be inside the CredentialSpecs directory`},
		{ref: Reference{Raw, "{}"}, want: "{}"},
		{ref: Reference{Config, "c1"}, want: "config c1"},
		{ref: Reference{Registry, "x"}, wantErr: `credspec: reference "registry://x": registry:// names a Windows registry value`},
		{ref: Reference{"ftp", "x"}, wantErr: `credspec: reference "ftp://x": unknown reference kind`},
	} {
		got, err := Resolve(tt.ref, r)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Resolve(%v) error = %v, want %s", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("Resolve(%v) = %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
	if _, err := Resolve(Reference{File, "team/a.json"}, Resolver{}); err == nil {
		t.Error("Resolve with no ReadFile succeeded")
	}
	if _, err := Resolve(Reference{File, "missing.json"}, r); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Resolve error %v does not wrap fs.ErrNotExist", err)
	}
}
