package testpeer

// What tests do with a running DC: samba-tool, ldapsearch and ldapmodify as
// Administrator or another account, accounts for gMSA tests, and the client
// environment for MIT tools.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"testing"
	"unicode/utf16"
)

// LDAPConn says how [Samba.Search] and [Samba.Modify] connect and bind. The
// zero value means ldaps://Addr with a simple bind as Administrator.
type LDAPConn struct {
	URL       string // default "ldaps://" + Addr; "ldap://" + Addr for plain LDAP
	BindDN    string // a DN or a UPN such as "node1$@contoso.com"; default Administrator
	Password  string // passed to the tool in a 0600 file (-y), never in argv
	Anonymous bool   // no bind at all
}

// Tool runs samba-tool against the DC over ldap:// (signed and sealed) as
// Administrator, with the credentials in a 0600 file (-A), and returns its
// stdout. It fails the test, with samba-tool's stderr, on error.
func (s *Samba) Tool(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.RunTool(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunTool is [Samba.Tool] for tests that expect an error; it is a
// [*CommandError] when samba-tool fails.
func (s *Samba) RunTool(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args = append(args, "-H", "ldap://"+s.Addr, "-A", s.path("samba-tool.auth"),
		"-s", s.path("etc", "client.conf"), "--use-kerberos=off")
	out, err := output(ctx, cleanEnv(), "", s.bins.sambaTool, args...)
	return string(out), err
}

// LDAPSearch runs ldapsearch over ldaps as Administrator (a simple bind)
// and returns the entries: attribute → values, with the DN under "dn".
// scope is base, one, sub or children. It fails the test on error.
func (s *Samba) LDAPSearch(t testing.TB, base, scope, filter string, attrs ...string) []map[string][][]byte {
	t.Helper()
	entries, err := s.Search(LDAPConn{}, base, scope, filter, attrs...)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// Search is [Samba.LDAPSearch] with a choice of URL and identity; the error
// is a [*CommandError] when ldapsearch fails.
func (s *Samba) Search(c LDAPConn, base, scope, filter string, attrs ...string) ([]map[string][][]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	return s.search(ctx, c, base, scope, filter, attrs...)
}

func (s *Samba) search(ctx context.Context, c LDAPConn, base, scope, filter string, attrs ...string) ([]map[string][][]byte, error) {
	if filter == "" {
		filter = "(objectClass=*)"
	}
	args, cleanup, err := s.ldapArgs(c)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	args = append(args, "-LLL", "-b", base, "-s", scope, filter)
	out, err := output(ctx, s.ldapEnv(), "", s.bins.ldapsearch, append(args, attrs...)...)
	if err != nil {
		return nil, err
	}
	return parseLDIF(out)
}

// LDAPModify runs ldapmodify with ldif over ldaps as Administrator. It
// fails the test on error.
func (s *Samba) LDAPModify(t testing.TB, ldif string) {
	t.Helper()
	if err := s.Modify(LDAPConn{}, ldif); err != nil {
		t.Fatal(err)
	}
}

// Modify is [Samba.LDAPModify] with a choice of URL and identity; the error
// is a [*CommandError] when ldapmodify fails.
func (s *Samba) Modify(c LDAPConn, ldif string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args, cleanup, err := s.ldapArgs(c)
	if err != nil {
		return err
	}
	defer cleanup()
	_, err = output(ctx, s.ldapEnv(), ldif, s.bins.ldapmodify, args...)
	return err
}

// ldapArgs returns the connection and bind arguments of the OpenLDAP tools;
// the password goes into a 0600 file that cleanup removes.
func (s *Samba) ldapArgs(c LDAPConn) (args []string, cleanup func(), err error) {
	if c.URL == "" {
		c.URL = "ldaps://" + s.Addr
	}
	args = []string{"-x", "-H", c.URL, "-o", "nettimeout=10"}
	if c.Anonymous {
		return args, func() {}, nil
	}
	if c.BindDN == "" {
		c.BindDN, c.Password = "Administrator@"+s.Domain, s.AdminPassword
	}
	f, err := os.CreateTemp(s.Dir, "bindpw-") // 0600
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.Remove(f.Name()) }
	// -y uses the whole file as the password: no trailing newline.
	if _, err := f.WriteString(c.Password); err != nil {
		f.Close()
		cleanup()
		return nil, nil, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return nil, nil, err
	}
	return append(args, "-D", c.BindDN, "-y", f.Name()), cleanup, nil
}

func (s *Samba) ldapEnv() []string {
	return append(cleanEnv(), "LDAPTLS_CACERT="+s.CAFile, "LDAPTLS_REQCERT=demand")
}

// Env returns the environment entries that point MIT Kerberos and OpenLDAP
// client tools at this DC: KRB5_CONFIG (kdc = Addr:88), KRB5CCNAME (a file
// in Dir) and LDAPTLS_CACERT. Append them to os.Environ(); a later entry
// overrides an earlier one in os/exec.
func (s *Samba) Env() []string {
	return []string{
		"KRB5_CONFIG=" + s.path("krb5.conf"),
		"KRB5CCNAME=FILE:" + s.path("krb5cc"),
		"LDAPTLS_CACERT=" + s.CAFile,
	}
}

// CreateComputer creates an enabled computer account (sAMAccountName
// name+"$", userAccountControl 4096 = WORKSTATION_TRUST_ACCOUNT) with the
// given password, set through unicodePwd over ldaps, and returns its DN.
func (s *Samba) CreateComputer(t testing.TB, name, password string) string {
	t.Helper()
	s.Tool(t, "computer", "create", name)
	dn := "CN=" + name + ",CN=Computers," + s.BaseDN
	s.LDAPModify(t, fmt.Sprintf(`dn: %s
changetype: modify
replace: unicodePwd
unicodePwd:: %s
-
replace: userAccountControl
userAccountControl: 4096
-
`, dn, unicodePwd(password)))
	return dn
}

// CreateGMSA creates an enabled group managed service account name$ with
// the DNS host name, the password interval in days (0: Samba's default, 30)
// and msDS-SupportedEncryptionTypes 24 (AES only; without it Samba issues
// RC4 tickets), lets the allowed principals (sAMAccountNames such as
// "node1$", or DNs) read its password, and returns its DN.
func (s *Samba) CreateGMSA(t testing.TB, name, dnsHostName string, intervalDays int, allowed ...string) string {
	t.Helper()
	args := []string{"service-account", "create", "--name=" + name, "--dns-host-name=" + dnsHostName}
	if intervalDays > 0 {
		args = append(args, "--managed-password-interval="+strconv.Itoa(intervalDays))
	}
	s.Tool(t, args...)
	for _, p := range allowed {
		s.Tool(t, "service-account", "group-msa-membership", "add", "--name="+name, "--principal="+p)
	}
	dn := "CN=" + name + ",CN=Managed Service Accounts," + s.BaseDN
	s.LDAPModify(t, fmt.Sprintf(`dn: %s
changetype: modify
replace: userAccountControl
userAccountControl: 4096
-
replace: msDS-SupportedEncryptionTypes
msDS-SupportedEncryptionTypes: 24
-
`, dn))
	return dn
}

// unicodePwd encodes a password as AD's unicodePwd attribute wants it: the
// quoted password in UTF-16LE, here base64-encoded for LDIF.
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}
