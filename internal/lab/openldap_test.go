package lab

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/testpeer"
)

// TestOpenLDAPClients: OpenLDAP's ldapsearch and ldapmodify against the
// lab — simple binds over LDAPS and StartTLS, the rootDSE, filters, paging,
// adds and modifies; a simple bind on plain LDAP is refused.
func TestOpenLDAPClients(t *testing.T) {
	bins := testpeer.Binaries(t, "ldap-utils", "ldapsearch", "ldapmodify")
	tl := startLab(t, testpeer.Loopback("internal/lab"))
	pwFile := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, tl.password) // -y reads the whole file
	ldap := func(t *testing.T, stdin string, wantOK bool, bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(cmd.Environ(), "LDAPTLS_CACERT="+filepath.Join(tl.dir, "ca.pem"), "LDAPTLS_REQCERT=demand", "LDAPCONF=/dev/null", "LDAPRC=/dev/null")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %s: err=%v, want ok=%v\n%s", filepath.Base(bin), strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	ldaps, plain := tl.info.LDAPSURL(), tl.info.LDAPURL()
	admin := []string{"-x", "-D", "Administrator@contoso.com", "-y", pwFile}
	search := func(t *testing.T, url string, extra ...string) string {
		t.Helper()
		return ldap(t, "", true, bins[0], append(append([]string{"-LLL", "-H", url}, admin...), extra...)...)
	}

	t.Run("rootDSE anonymously", func(t *testing.T) {
		out := ldap(t, "", true, bins[0], "-LLL", "-x", "-H", plain, "-b", "", "-s", "base", "(objectClass=*)",
			"defaultNamingContext", "configurationNamingContext", "dnsHostName", "supportedSASLMechanisms", "supportedControl", "currentTime", "domainFunctionality")
		for _, want := range []string{"defaultNamingContext: DC=contoso,DC=com", "configurationNamingContext: CN=Configuration,DC=contoso,DC=com",
			"dnsHostName: dc1.contoso.com", "supportedSASLMechanisms: GSSAPI", "supportedControl: 1.2.840.113556.1.4.319", "domainFunctionality: 7"} {
			if !strings.Contains(out, want) {
				t.Errorf("rootDSE lacks %q:\n%s", want, out)
			}
		}
		if !regexp.MustCompile(`currentTime: \d{14}\.0Z`).MatchString(out) {
			t.Errorf("currentTime:\n%s", out)
		}
	})
	t.Run("simple bind on plain LDAP is refused", func(t *testing.T) {
		out := ldap(t, "", false, bins[0], append([]string{"-H", plain, "-b", "DC=contoso,DC=com"}, admin...)...)
		if !strings.Contains(out, "Strong(er) authentication required") {
			t.Errorf("%s", out)
		}
	})
	t.Run("anonymous search of the domain needs a bind", func(t *testing.T) {
		out := ldap(t, "", false, bins[0], "-x", "-H", plain, "-b", "DC=contoso,DC=com", "(objectClass=user)")
		if !strings.Contains(out, "000004DC") {
			t.Errorf("%s", out)
		}
	})
	t.Run("filters over LDAPS and StartTLS", func(t *testing.T) {
		for _, url := range []string{ldaps, plain} {
			extra := []string{"-b", "DC=contoso,DC=com"}
			if url == plain {
				extra = append(extra, "-ZZ")
			}
			out := search(t, url, append(extra, "(&(objectCategory=person)(sAMAccountName=admin*)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))", "sAMAccountName")...)
			if !strings.Contains(out, "sAMAccountName: Administrator") || strings.Contains(out, "krbtgt") {
				t.Errorf("%s:\n%s", url, out)
			}
			out = search(t, url, append(extra, "(memberOf:1.2.840.113556.1.4.1941:=CN=Administrators,CN=Builtin,DC=contoso,DC=com)", "dn")...)
			if !strings.Contains(out, "dn: CN=Administrator,CN=Users,DC=contoso,DC=com") || !strings.Contains(out, "dn: CN=Domain Admins,CN=Users,DC=contoso,DC=com") {
				t.Errorf("in-chain over %s:\n%s", url, out)
			}
		}
		// The disabled krbtgt, by the bitwise rule, and no secrets in "*".
		out := search(t, ldaps, "-b", "DC=contoso,DC=com", "(userAccountControl:1.2.840.113556.1.4.803:=2)", "*")
		if !strings.Contains(out, "sAMAccountName: krbtgt") || strings.Contains(strings.ToLower(out), "labkeys") || strings.Contains(strings.ToLower(out), "unicodepwd") {
			t.Errorf("%s", out)
		}
	})
	t.Run("ldapmodify adds and modifies; paging through the results", func(t *testing.T) {
		var ldif strings.Builder
		for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
			ldif.WriteString("dn: CN=" + n + ",CN=Users,DC=contoso,DC=com\nchangetype: add\nobjectClass: user\nsAMAccountName: " + n + "\n\n")
		}
		ldif.WriteString("dn: CN=u1,CN=Users,DC=contoso,DC=com\nchangetype: modify\nreplace: description\ndescription: first\n-\nadd: servicePrincipalName\nservicePrincipalName: http/u1.contoso.com\n-\n\n")
		ldap(t, ldif.String(), true, bins[1], append([]string{"-H", ldaps}, admin...)...)
		out := search(t, ldaps, "-E", "pr=2/noprompt", "-b", "CN=Users,DC=contoso,DC=com", "-s", "one", "(sAMAccountName=u*)", "sAMAccountName")
		if got := strings.Count(out, "sAMAccountName: u"); got != 5 {
			t.Errorf("paged search found %d of 5:\n%s", got, out)
		}
		if !regexp.MustCompile(`# pagedresults: .*cookie=\S+`).MatchString(out) {
			t.Errorf("no paging control in the output:\n%s", out)
		}
		out = search(t, ldaps, "-b", "DC=contoso,DC=com", "(servicePrincipalName=HTTP/U1.contoso.com)", "description")
		if !strings.Contains(out, "description: first") {
			t.Errorf("%s", out)
		}
		// The duplicate: entryAlreadyExists with AD's code.
		out = ldap(t, "dn: CN=u1b,CN=Users,DC=contoso,DC=com\nchangetype: add\nobjectClass: user\nsAMAccountName: U1\n\n", false, bins[1], append([]string{"-H", ldaps}, admin...)...)
		if !strings.Contains(out, "Already exists (68)") || !strings.Contains(out, "00000524") {
			t.Errorf("%s", out)
		}
		// A size limit.
		out = ldap(t, "", false, bins[0], append([]string{"-LLL", "-H", ldaps, "-z", "2", "-b", "CN=Users,DC=contoso,DC=com", "(sAMAccountName=u*)", "dn"}, admin...)...)
		if !strings.Contains(out, "Size limit exceeded (4)") || strings.Count(out, "dn: ") != 2 {
			t.Errorf("%s", out)
		}
	})
}
