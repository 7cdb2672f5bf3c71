// gokrb5 v8 (test-only oracle) reads our service tickets: it decrypts them
// with a keytab, finds the PAC, verifies its server signature and decodes
// the logon info, client info and UPN/DNS info.

package kdc

import (
	"bytes"
	"context"
	"log"
	"slices"
	"testing"
	"time"

	gokrb5keytab "github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

func TestGokrb5DecodesOurPAC(t *testing.T) {
	t.Parallel()
	c, _, dir := inProcess(t, nil)
	tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, 0)
	st, err := c.ServiceTicket(context.Background(), tgt, "http/mysite.contoso.com", client.TGSOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The service's keytab, as the lab's export-keytab would write it.
	var kt keytab.Keytab
	for _, k := range dir.get("WebApp01$").Keys {
		kt.Entries = append(kt.Entries, keytab.Entry{
			Principal: keytab.Principal{NameType: 2, Components: []string{"http", "mysite.contoso.com"}, Realm: testRealm},
			Timestamp: time.Unix(1700000000, 0), KVNO: k.Kvno, Key: k.Key,
		})
	}
	raw, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	gkt := gokrb5keytab.New()
	if err := gkt.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}

	var tk messages.Ticket
	if err := tk.Unmarshal(st.Ticket); err != nil {
		t.Fatalf("gokrb5 cannot decode our ticket: %v", err)
	}
	if err := tk.DecryptEncPart(gkt, nil); err != nil {
		t.Fatalf("gokrb5 cannot decrypt our ticket: %v", err)
	}
	var logs bytes.Buffer
	isPAC, p, err := tk.GetPACType(gkt, nil, log.New(&logs, "", 0))
	if err != nil || !isPAC {
		t.Fatalf("gokrb5 PAC processing: isPAC %v, err %v\n%s", isPAC, err, logs.String())
	}
	if tk.DecryptedEncPart.CName.PrincipalNameString() != "Administrator" {
		t.Errorf("gokrb5 reads cname %v", tk.DecryptedEncPart.CName)
	}
	kv := p.KerbValidationInfo
	if kv == nil || kv.EffectiveName.Value != "Administrator" || kv.UserID != 500 || kv.PrimaryGroupID != 513 ||
		kv.LogonDomainName.Value != "CONTOSO" || kv.LogonDomainID.String() != domainSID.String() {
		t.Fatalf("gokrb5 logon info %+v", kv)
	}
	groups := kv.GetGroupMembershipSIDs()
	for _, want := range []string{domainSID.WithRID(512).String(), domainSID.WithRID(513).String(), "S-1-5-32-544"} {
		if !slices.Contains(groups, want) {
			t.Errorf("gokrb5 group SIDs %v lack %s", groups, want)
		}
	}
	if p.ClientInfo == nil || p.ClientInfo.Name != "Administrator" {
		t.Errorf("gokrb5 client info %+v", p.ClientInfo)
	}
	if p.UPNDNSInfo == nil || p.UPNDNSInfo.UPN != "Administrator@contoso.com" || p.UPNDNSInfo.DNSDomain != "CONTOSO.COM" {
		t.Errorf("gokrb5 UPN DNS info %+v", p.UPNDNSInfo)
	}
}
