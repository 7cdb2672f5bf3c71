package ldapserver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// openldap runs an OpenLDAP client tool against env with the test CA and no
// user or system ldap.conf.
func openldap(t *testing.T, env *testEnv, bin, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	caFile := filepath.Join(home, "ca.pem")
	if err := os.WriteFile(caFile, env.pki.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "HOME="+home, "LDAPCONF="+filepath.Join(home, "none.conf"),
		"LDAPRC="+filepath.Join(home, "none.rc"), "LDAPTLS_CACERT="+caFile, "LDAPTLS_REQCERT=demand")
	cmd.Stdin = strings.NewReader(stdin)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		t.Logf("%s %s: %v\nstderr: %s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out.String(), err
}

// dns lists the RDNs of the "dn:" lines of LDIF output.
func dns(ldif string) []string {
	var out []string
	for _, line := range strings.Split(ldif, "\n") {
		if dn, ok := strings.CutPrefix(line, "dn: "); ok {
			out = append(out, strings.SplitN(dn, ",", 2)[0])
		}
	}
	slices.Sort(out)
	return out
}

func TestOpenLDAPSearch(t *testing.T) {
	bin := testpeer.Binaries(t, "ldapsearch", "ldapsearch")[0]
	env := startServer(t, nil)
	ldaps, ldap := "ldaps://"+env.ldaps, "ldap://"+env.ldap
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"ldaps anonymous", []string{"-H", ldaps, "-b", baseDN, "(cn=user0*)", "cn"},
			[]string{"cn=user00", "cn=user01", "cn=user02", "cn=user03", "cn=user04", "cn=user05", "cn=user06", "cn=user07", "cn=user08", "cn=user09"}},
		{"ldaps simple bind, and filter", []string{"-H", ldaps, "-D", adminDN, "-w", adminPass, "-b", baseDN, "(&(objectClass=user)(|(uidNumber>=1023)(mail=user01@*)))"},
			[]string{"cn=user01", "cn=user23", "cn=user24"}},
		{"starttls -ZZ", []string{"-H", ldap, "-ZZ", "-D", adminDN, "-w", adminPass, "-b", "ou=people," + baseDN, "-s", "one", "(!(uidNumber<=1021))", "1.1"},
			[]string{"cn=user22", "cn=user23", "cn=user24"}},
		{"extensible match", []string{"-H", ldaps, "-b", baseDN, "(userAccountControl:1.2.840.113556.1.4.803:=2)", "cn"},
			[]string{"cn=user00", "cn=user05", "cn=user10", "cn=user15", "cn=user20"}},
		{"base scope", []string{"-H", ldaps, "-b", "cn=group1,ou=groups," + baseDN, "-s", "base", "(member=cn=user02,ou=people,dc=example,dc=com)"},
			[]string{"cn=group1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openldap(t, env, bin, "", append([]string{"-x", "-LLL"}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := dns(out); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v\n%s", got, tt.want, out)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		out, err := openldap(t, env, bin, "", "-x", "-H", ldaps, "-b", "ou=people,"+baseDN, "-E", "pr=10/noprompt", "(objectClass=user)", "cn")
		if err != nil {
			t.Fatal(err)
		}
		if got := dns(out); len(got) != 25 {
			t.Errorf("%d entries through paging, want 25", len(got))
		}
		if n := strings.Count(out, "pagedresults: estimate="); n != 3 {
			t.Errorf("%d pagedresults responses, want 3 pages\n%s", n, out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := openldap(t, env, bin, "", "-x", "-H", ldaps, "-D", adminDN, "-w", "nope", "-b", baseDN)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != int(InvalidCredentials) {
			t.Errorf("ldapsearch with a wrong password: %v, want exit status 49", err)
		}
	})
	t.Run("untrusted CA", func(t *testing.T) {
		other := *env
		other.pki = newPKI(t, loopback())
		if _, err := openldap(t, &other, bin, "", "-x", "-H", ldaps, "-b", baseDN); err == nil {
			t.Error("ldapsearch trusted a server certificate from another CA")
		}
	})
}

func TestOpenLDAPModify(t *testing.T) {
	bins := testpeer.Binaries(t, "ldapmodify", "ldapmodify", "ldapsearch")
	env := startServer(t, nil)
	ldif := `dn: cn=fromldif,ou=people,dc=example,dc=com
changetype: add
objectClass: top
objectClass: person
cn: fromldif
description: created

dn: cn=fromldif,ou=people,dc=example,dc=com
changetype: modify
replace: description
description: changed
-
add: mail
mail: fromldif@example.com
-

dn: cn=user03,ou=people,dc=example,dc=com
changetype: modify
delete: mail
-
`
	if _, err := openldap(t, env, bins[0], ldif, "-x", "-H", "ldap://"+env.ldap, "-ZZ", "-D", adminDN, "-w", adminPass); err != nil {
		t.Fatal(err)
	}
	out, err := openldap(t, env, bins[1], "", "-x", "-LLL", "-H", "ldaps://"+env.ldaps, "-b", "ou=people,"+baseDN,
		"(|(description=changed)(&(cn=user03)(!(mail=*))))", "mail")
	if err != nil {
		t.Fatal(err)
	}
	if got := dns(out); !slices.Equal(got, []string{"cn=fromldif", "cn=user03"}) || !strings.Contains(out, "mail: fromldif@example.com") {
		t.Errorf("after ldapmodify: %v\n%s", got, out)
	}
	// A failing change: ldapmodify reports the result code as its status.
	_, err = openldap(t, env, bins[0], "dn: ou=people,dc=example,dc=com\nchangetype: delete\n", "-x", "-H", "ldaps://"+env.ldaps, "-D", adminDN, "-w", adminPass)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != int(NotAllowedOnNonLeaf) {
		t.Errorf("ldapmodify delete of a non-leaf: %v, want exit status 66", err)
	}
}
