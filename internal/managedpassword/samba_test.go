package managedpassword_test

// Tier 3: the password core against a real Active Directory. A Samba 4.22 AD
// DC computes gMSA passwords itself (source4/dsdb/gmsa); these tests read the
// KDS root keys and the gMSA's attributes from it over LDAPS, compute
// msDS-ManagedPassword with this package, and compare with what the DC
// returns — byte for byte for the passwords, within the read's time window
// for the intervals — and compare the Kerberos keys with the ones
// `samba-tool domain exportkeytab` exports, as MIT `klist -K` prints them.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/gkdi"
	"github.com/opengmsa/gmsa/internal/managedpassword"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

func TestAgainstSamba(t *testing.T) {
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/managedpassword")})
	s.CreateComputer(t, "node1", "Node1-Pw-Xy7!abc")
	s.CreateGMSA(t, "gmsa1", "gmsa1."+s.Domain, 30, "node1$")
	s.CreateGMSA(t, "WebApp01", "webapp01."+s.Domain, 1, "node1$") // mixed case; 1 day = 20 h

	d := managedpassword.NewDeriver(64)
	for _, name := range []string{"gmsa1", "WebApp01"} {
		t.Run("the current password of "+name+" equals the DC's", func(t *testing.T) {
			got := readAndCompare(t, s, d, name, 0)
			if got.Previous != nil {
				t.Fatal("a new account has no previous password")
			}
		})
	}

	t.Run("the Kerberos keys equal samba-tool exportkeytab's", func(t *testing.T) {
		klist := testpeer.Binaries(t, "MIT Kerberos (krb5-user)", "klist")[0]
		for _, name := range []string{"gmsa1", "WebApp01"} {
			kt := filepath.Join(t.TempDir(), name+".keytab")
			s.Tool(t, "domain", "exportkeytab", kt, "--principal="+name+"$")
			exported := keytabKeys(t, klist, kt)
			acct, roots := readAccount(t, s, name)
			blob, _, err := d.Blob(adtypes.FileTime(mustFT(t, time.Now())), acct, roots)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := managedpassword.KeysFor(&blob.Current, s.Realm, name+"$", s.Domain)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{
				"aes256-cts-hmac-sha1-96": keys.AES256.Bytes(),
				"aes128-cts-hmac-sha1-96": keys.AES128.Bytes(),
				"arcfour-hmac":            keys.RC4.Bytes(),
			}
			compared := 0
			for enctype, key := range exported {
				w, ok := want[enctype]
				if !ok {
					continue
				}
				compared++
				if !bytes.Equal(key, w) {
					t.Errorf("%s %s: Samba exports fingerprint %x, we derive %x", name, enctype, fp(key), fp(w))
				}
			}
			if compared < 2 {
				t.Fatalf("%s: only %d enctypes in Samba's keytab to compare (%v)", name, compared, keys.Salt)
			}
		}
	})

	// Rotation: restart the same DC with its clock moved on. Accounts keep
	// whenCreated and msDS-ManagedPasswordId; the DC rolls them over.
	for _, shift := range []time.Duration{31 * 24 * time.Hour, 62*24*time.Hour + 7*time.Hour} {
		t.Run(fmt.Sprintf("after %s the current and previous passwords equal the DC's", shift), func(t *testing.T) {
			s.Restart(t, "+"+strconv.Itoa(int(shift.Seconds()))+"s")
			for _, name := range []string{"gmsa1", "WebApp01"} {
				got := readAndCompare(t, s, d, name, shift)
				if got.Previous == nil {
					t.Fatalf("%s: the DC returned no previous password %s after creation", name, shift)
				}
			}
		})
	}
	s.Restart(t, "")
}

// readAndCompare reads msDS-ManagedPassword of name from the DC (whose clock
// runs shift ahead of ours) and checks it against our computation at the
// DC's time of the read.
func readAndCompare(t *testing.T, s *testpeer.Samba, d *managedpassword.Deriver, name string, shift time.Duration) *managedpassword.Blob {
	t.Helper()
	acct, roots := readAccount(t, s, name)
	before := time.Now().Add(shift)
	entry := one(t, s.LDAPSearch(t, gmsaDN(s, name), "base", "(objectClass=*)", "msDS-ManagedPassword"))
	after := time.Now().Add(shift)
	raw := attr(t, entry, "msDS-ManagedPassword")
	dc, err := managedpassword.ParseBlob(raw)
	if err != nil {
		t.Fatalf("%s: the DC's blob does not parse: %v", name, err)
	}
	early, _, err := d.Blob(mustFT(t, before), acct, roots)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	late, sch, err := d.Blob(mustFT(t, after), acct, roots)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !dc.Current.Equal(&early.Current) && !dc.Current.Equal(&late.Current) {
		t.Fatalf("%s: current password differs from the DC's (our GKID %v, root %s, period %s–%s)", name,
			sch.Current.GKID, sch.Current.RootKey.ID, sch.CurrentStart.Time(), sch.CurrentEnd.Time())
	}
	if (dc.Previous == nil) != (late.Previous == nil) {
		t.Fatalf("%s: DC previous present %t, ours %t", name, dc.Previous != nil, late.Previous != nil)
	}
	if dc.Previous != nil && !dc.Previous.Equal(late.Previous) && !dc.Previous.Equal(early.Previous) {
		t.Fatalf("%s: previous password differs from the DC's (our previous GKID %v)", name, sch.Previous.GKID)
	}
	if dc.QueryInterval > early.QueryInterval || dc.QueryInterval < late.QueryInterval {
		t.Errorf("%s: DC query interval %d outside our window [%d, %d]", name, dc.QueryInterval, late.QueryInterval, early.QueryInterval)
	}
	if dc.UnchangedInterval > early.UnchangedInterval || dc.UnchangedInterval < late.UnchangedInterval {
		t.Errorf("%s: DC unchanged interval %d outside our window [%d, %d]", name, dc.UnchangedInterval, late.UnchangedInterval, early.UnchangedInterval)
	}
	return dc
}

func gmsaDN(s *testpeer.Samba, name string) string {
	return "CN=" + name + ",CN=Managed Service Accounts," + s.BaseDN
}

// readAccount reads what a DC reads to compute the password: the gMSA's
// attributes and every KDS root key.
func readAccount(t *testing.T, s *testpeer.Samba, name string) (managedpassword.Account, []*gkdi.RootKey) {
	t.Helper()
	e := one(t, s.LDAPSearch(t, gmsaDN(s, name), "base", "(objectClass=*)",
		"objectSid", "whenCreated", "msDS-ManagedPasswordInterval", "msDS-ManagedPasswordId", "msDS-ManagedPasswordPreviousId"))
	sid, err := adtypes.SIDFromBytes(attr(t, e, "objectSid"))
	if err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse("20060102150405.0Z", string(attr(t, e, "whenCreated")))
	if err != nil {
		t.Fatal(err)
	}
	acct := managedpassword.Account{SID: sid, Created: mustFT(t, created), IntervalDays: managedpassword.DefaultIntervalDays}
	if v, ok := e["msDS-ManagedPasswordInterval"]; ok {
		if acct.IntervalDays, err = strconv.ParseInt(string(v[0]), 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	if acct.PasswordID, err = gkdi.ParseKeyEnvelope(attr(t, e, "msDS-ManagedPasswordId")); err != nil {
		t.Fatal(err)
	}
	if v, ok := e["msDS-ManagedPasswordPreviousId"]; ok {
		if acct.PreviousID, err = gkdi.ParseKeyEnvelope(v[0]); err != nil {
			t.Fatal(err)
		}
	}
	base := "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,CN=Configuration," + s.BaseDN
	var roots []*gkdi.RootKey
	for _, r := range s.LDAPSearch(t, base, "one", "(objectClass=msKds-ProvRootKey)",
		"cn", "msKds-RootKeyData", "msKds-KDFParam", "msKds-Version", "msKds-CreateTime", "msKds-UseStartTime") {
		id, err := adtypes.ParseGUID(string(attr(t, r, "cn")))
		if err != nil {
			t.Fatal(err)
		}
		rk := &gkdi.RootKey{ID: id, Data: attr(t, r, "msKds-RootKeyData")}
		var kdfParam []byte
		if v, ok := r["msKds-KDFParam"]; ok {
			kdfParam = v[0]
		}
		if rk.Hash, err = gkdi.ParseKDFParameters(kdfParam); err != nil {
			t.Fatal(err)
		}
		for attrName, dst := range map[string]*uint64{"msKds-CreateTime": (*uint64)(&rk.Created), "msKds-UseStartTime": (*uint64)(&rk.UseStart)} {
			if *dst, err = strconv.ParseUint(string(attr(t, r, attrName)), 10, 64); err != nil {
				t.Fatal(err)
			}
		}
		v, err := strconv.ParseUint(string(attr(t, r, "msKds-Version")), 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		rk.Version = uint32(v)
		roots = append(roots, rk)
	}
	if len(roots) == 0 {
		t.Fatal("the DC has no KDS root key")
	}
	return acct, roots
}

var klistKeyLine = regexp.MustCompile(`^\s*\d+\s+.*\((\S+)\)\s+\(0x([0-9a-f]+)\)\s*$`)

// keytabKeys lists the newest key of each enctype in a keytab, read with MIT
// klist (an independent reader, not ours).
func keytabKeys(t *testing.T, klist, path string) map[string][]byte {
	t.Helper()
	outb, err := exec.Command(klist, "-k", "-e", "-K", path).Output()
	if err != nil {
		t.Fatalf("klist -k -e -K: %v", err)
	}
	out := string(outb)
	keys := map[string][]byte{}
	for _, line := range strings.Split(out, "\n") {
		if m := klistKeyLine.FindStringSubmatch(line); m != nil {
			b, err := hex.DecodeString(m[2])
			if err != nil {
				t.Fatal(err)
			}
			keys[m[1]] = b
		}
	}
	if len(keys) == 0 {
		t.Fatalf("no keys in klist output:\n%s", out)
	}
	return keys
}

func one(t *testing.T, entries []map[string][][]byte) map[string][][]byte {
	t.Helper()
	if len(entries) != 1 {
		t.Fatalf("want one entry, got %d", len(entries))
	}
	return entries[0]
}

func attr(t *testing.T, e map[string][][]byte, name string) []byte {
	t.Helper()
	for k, v := range e {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	t.Fatalf("attribute %s missing (have %v)", name, keysOf(e))
	return nil
}

func keysOf(e map[string][][]byte) []string {
	var ks []string
	for k := range e {
		ks = append(ks, k)
	}
	return ks
}

func mustFT(t *testing.T, tm time.Time) adtypes.FileTime {
	t.Helper()
	ft, err := adtypes.FileTimeOf(tm)
	if err != nil {
		t.Fatal(err)
	}
	return ft
}

// fp is a short fingerprint, so that a failure never prints a key.
func fp(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:6]
}
