package msg

import (
	"errors"
	"reflect"
	"testing"
)

func TestParsePrincipalReadsMITSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		want      PrincipalName
		wantRealm string
		wantErr   bool
	}{
		{name: "ktest.c's sample principal", in: "hftsai/extra@ATHENA.MIT.EDU",
			want: PrincipalName{NameTypePrincipal, []string{"hftsai", "extra"}}, wantRealm: "ATHENA.MIT.EDU"},
		{name: "a gMSA without a realm", in: "webapp01$",
			want: PrincipalName{NameTypePrincipal, []string{"webapp01$"}}},
		{name: "a TGS name is NT-SRV-INST", in: "krbtgt/CONTOSO.COM@CONTOSO.COM",
			want: PrincipalName{NameTypeSrvInst, []string{"krbtgt", "CONTOSO.COM"}}, wantRealm: "CONTOSO.COM"},
		{name: "a well-known name is NT-WELLKNOWN", in: "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS",
			want: PrincipalName{NameTypeWellKnown, []string{"WELLKNOWN", "ANONYMOUS"}}, wantRealm: "WELLKNOWN:ANONYMOUS"},
		{name: "escaped separators stay in the component", in: `a\/b\@c@R`,
			want: PrincipalName{NameTypePrincipal, []string{"a/b@c"}}, wantRealm: "R"},
		{name: "escaped control characters are decoded", in: `a\tb\n\0\\`,
			want: PrincipalName{NameTypePrincipal, []string{"a\tb\n\x00\\"}}},
		{name: "a slash in the realm needs no escape", in: "host/a@R/S",
			want: PrincipalName{NameTypePrincipal, []string{"host", "a"}}, wantRealm: "R/S"},
		{name: "an empty string is refused", in: "", wantErr: true},
		{name: "a trailing backslash is refused", in: `a\`, wantErr: true},
		{name: "two @ are refused", in: "a@B@C", wantErr: true},
		{name: "an empty realm is refused", in: "a@", wantErr: true},
		{name: "an empty name is refused", in: "@R", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, realm, err := ParsePrincipal(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrBadValue) {
					t.Fatalf("got %v, %q, %v; want ErrBadValue", got, realm, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || realm != tc.wantRealm {
				t.Fatalf("got %#v @ %q, want %#v @ %q", got, realm, tc.want, tc.wantRealm)
			}
			// What String writes, ParsePrincipal reads back.
			s := got.String()
			if realm != "" {
				s = got.WithRealm(realm)
			}
			again, realm2, err := ParsePrincipal(s)
			if err != nil || !reflect.DeepEqual(again, got) || realm2 != realm {
				t.Errorf("%q: re-parse gave %#v @ %q, %v", s, again, realm2, err)
			}
		})
	}
}

func TestPrincipalNameStringEscapesLikeMIT(t *testing.T) {
	t.Parallel()
	p := PrincipalName{NameType: NameTypePrincipal, NameString: []string{"a/b", "c@d", `e\f`, "g\th"}}
	if got, want := p.WithRealm(`R@S`), `a\/b/c\@d/e\\f/g\th@R\@S`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestPrincipalNamesCompareCaseInsensitivelyIgnoringType(t *testing.T) {
	t.Parallel()
	a := PrincipalName{NameTypePrincipal, []string{"WebApp01$"}}
	if !a.EqualFold(PrincipalName{NameTypeUnknown, []string{"webapp01$"}}) {
		t.Error("WebApp01$ and webapp01$ differ")
	}
	if a.EqualFold(PrincipalName{NameTypePrincipal, []string{"webapp01$", "x"}}) {
		t.Error("names of different lengths are equal")
	}
}
