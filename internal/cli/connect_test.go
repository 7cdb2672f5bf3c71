package cli

import "testing"

// TestFlagsBeatEnvironmentCredentials: a --keytab or --ccache on the
// command line wins over GMSA_USER/GMSA_PASSWORD_FILE in the environment
// (what `eval "$(gmsa lab env)"` exports); an explicit --user still binds
// simply.
func TestFlagsBeatEnvironmentCredentials(t *testing.T) {
	t.Setenv("GMSA_SERVER", "ldaps://dc1.contoso.com")
	t.Setenv("GMSA_USER", "Administrator@contoso.com")
	t.Setenv("GMSA_PASSWORD_FILE", "/tmp/admin.pw")
	for _, tt := range []struct {
		name     string
		flags    connectFlags
		wantUser string
	}{
		{"environment only: simple bind as GMSA_USER", connectFlags{}, "Administrator@contoso.com"},
		{"--keytab on the command line: Kerberos", connectFlags{keytab: "node1.keytab"}, ""},
		{"--ccache on the command line: Kerberos", connectFlags{ccache: "/tmp/cc"}, ""},
		{"--user and --keytab: the explicit user", connectFlags{keytab: "node1.keytab", user: "bob@contoso.com", passwordFile: "/tmp/bob.pw"}, "bob@contoso.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.flags.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if r.user != tt.wantUser {
				t.Fatalf("user = %q, want %q", r.user, tt.wantUser)
			}
		})
	}
}
