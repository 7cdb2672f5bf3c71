package client

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
	"github.com/opengmsa/gmsa/internal/testpeer"
)

const node1Password = "Node1-Pw-Xy7!abc"

// TestSambaADDC logs a computer account in against a Samba 4.22 AD DC,
// which listens on port 88 of the package's loopback address (the MIT KDC
// of TestMITKDC takes a random port there, so the two may run together).
func TestSambaADDC(t *testing.T) {
	s := testpeer.StartSamba(t, testpeer.SambaOptions{Addr: testpeer.Loopback("internal/krb5/client")})
	s.CreateComputer(t, "node1", node1Password)
	ctx := context.Background()
	c := &Client{Transport: tcpTransport{s.Realm: net.JoinHostPort(s.Addr, "88")}, Now: time.Now, Rand: rand.Reader}

	// The account's keys as AD derives them, with its salt.
	const adSalt = "CONTOSO.COMhostnode1.contoso.com"
	aes256, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, node1Password, adSalt, nil)
	if err != nil {
		t.Fatal(err)
	}
	aes128, err := crypto.StringToKey(crypto.AES128CTSHMACSHA196, node1Password, adSalt, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := utf16.Encode([]rune(node1Password))
	u16 := make([]byte, 2*len(u))
	for i, r := range u {
		u16[2*i], u16[2*i+1] = byte(r), byte(r>>8)
	}
	rc4, err := crypto.NewKey(crypto.RC4HMAC, crypto.NTHash(u16))
	if err != nil {
		t.Fatal(err)
	}
	// Only to open a ticket Samba may seal with the account's rc4-hmac key
	// (no msDS-SupportedEncryptionTypes on the account); never offered.
	rc4 = crypto.AllowRC4(rc4)
	serviceKeys := map[crypto.EncType]crypto.Key{aes256.Type: aes256, aes128.Type: aes128, rc4.Type: rc4}

	start := time.Now()
	tgt, err := c.Login(ctx, LoginRequest{Principal: "NODE1$@CONTOSO.COM", Keys: Password{Password: node1Password}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("password login (salt from ETYPE-INFO2): %v, client %s, session key %s", time.Since(start), tgt.ClientName(), tgt.SessionKey.Type)
	if !strings.EqualFold(tgt.ClientName(), "node1$@CONTOSO.COM") {
		t.Errorf("client %s", tgt.ClientName())
	}

	t.Run("raw keys from the AD salt log in", func(t *testing.T) {
		start := time.Now()
		cr, err := c.Login(ctx, LoginRequest{Principal: "node1$@CONTOSO.COM", Keys: Keys{aes256}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("raw-key login: %v", time.Since(start))
		if cr.SessionKey.Type != crypto.AES256CTSHMACSHA196 {
			t.Errorf("session key %s", cr.SessionKey.Type)
		}
	})

	// checkPAC gets a ticket for spn (a name of node1 itself), opens it with
	// node1's key and checks the PAC; it returns the ticket's enctype.
	checkPAC := func(t *testing.T, spn string) crypto.EncType {
		st, err := c.ServiceTicket(ctx, tgt, spn, TGSOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tkt, err := msg.ParseTicket(st.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		key, ok := serviceKeys[tkt.EncPart.EType]
		if !ok {
			t.Fatalf("ticket sealed with %s", tkt.EncPart.EType)
		}
		t.Logf("service ticket sealed with %s, session key %s", tkt.EncPart.EType, st.SessionKey.Type)
		etp, err := tkt.Decrypt(key)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := etp.AuthorizationData.PAC()
		if err != nil || raw == nil {
			t.Fatalf("PAC: %v (%d bytes)", err, len(raw))
		}
		if err := pac.Verify(raw, key); err != nil {
			t.Errorf("server signature: %v", err)
		}
		p, err := pac.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		li := p.LogonInfo
		if li == nil {
			t.Fatal("no KERB_VALIDATION_INFO")
		}
		if !strings.EqualFold(li.EffectiveName, "node1$") {
			t.Errorf("EffectiveName %q", li.EffectiveName)
		}
		domainSID := ldapDomainSID(t, s)
		if !li.LogonDomainID.Equal(domainSID) {
			t.Errorf("LogonDomainID %s, want the domain's %s", li.LogonDomainID, domainSID)
		}
		computers := domainSID.WithRID(515)
		found := false
		for _, g := range li.GroupSIDs() {
			found = found || g.Equal(computers)
		}
		if !found {
			t.Errorf("group SIDs %v lack Domain Computers %s", li.GroupSIDs(), computers)
		}
		if li.PrimaryGroupID != 515 {
			t.Errorf("PrimaryGroupID %d, want 515", li.PrimaryGroupID)
		}
		if up := p.UPNDNSInfo; up == nil {
			t.Error("no UPN_DNS_INFO")
		} else {
			if !strings.EqualFold(up.DNSDomainName, "contoso.com") || !strings.HasPrefix(strings.ToLower(up.UPN), "node1$@") {
				t.Errorf("UPN_DNS_INFO %+v", up)
			}
			if up.Flags&pac.UPNHasSAMNameAndSID != 0 && !strings.EqualFold(up.SAMName, "node1$") {
				t.Errorf("UPN_DNS_INFO SAMName %q", up.SAMName)
			}
		}
		if p.ClientInfo == nil || !strings.EqualFold(p.ClientInfo.Name, "node1$") {
			t.Errorf("PAC_CLIENT_INFO %+v", p.ClientInfo)
		}
		t.Logf("PAC: %s, user %s, %d groups", li.EffectiveName, li.UserSID(), len(li.GroupSIDs()))
		return tkt.EncPart.EType
	}
	t.Run("a service ticket for the sAMAccountName carries the PAC", func(t *testing.T) {
		// Samba seals it with rc4-hmac: the account has no
		// msDS-SupportedEncryptionTypes (peers.md, gotcha 3).
		checkPAC(t, "node1$")
	})
	t.Run("with msDS-SupportedEncryptionTypes 24 the ticket for host/node1 is AES", func(t *testing.T) {
		s.LDAPModify(t, "dn: CN=node1,CN=Computers,"+s.BaseDN+"\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: 24\n-\n")
		if e := checkPAC(t, "host/node1.contoso.com"); e != crypto.AES256CTSHMACSHA196 {
			t.Errorf("ticket sealed with %s, want aes256-cts-hmac-sha1-96", e)
		}
	})

	t.Run("a wrong password is ErrPreauthFailed with its hint", func(t *testing.T) {
		_, err := c.Login(ctx, LoginRequest{Principal: "node1$@CONTOSO.COM", Keys: Password{Password: "not-the-password"}})
		var ke *KDCError
		if !errors.Is(err, ErrPreauthFailed) || !errors.As(err, &ke) {
			t.Fatalf("err = %v, want ErrPreauthFailed", err)
		}
		if !strings.HasPrefix(ke.Hint(), "pre-authentication failed: wrong key or salt") {
			t.Errorf("hint %q", ke.Hint())
		}
		if strings.Contains(err.Error(), "not-the-password") {
			t.Error("the error shows the password")
		}
		t.Logf("%v; hint: %s", err, ke.Hint())
	})

	t.Run("a disabled account is ErrClientRevoked", func(t *testing.T) {
		dn := s.CreateComputer(t, "node2", node1Password)
		s.LDAPModify(t, "dn: "+dn+"\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 4098\n-\n")
		_, err := c.Login(ctx, LoginRequest{Principal: "node2$@CONTOSO.COM", Keys: Password{Password: node1Password}})
		var ke *KDCError
		if !errors.Is(err, ErrClientRevoked) || !errors.As(err, &ke) {
			t.Fatalf("err = %v, want ErrClientRevoked", err)
		}
		t.Logf("%v; hint: %s", err, ke.Hint())
	})

	t.Run("an unknown SPN is ErrPrincipalUnknown", func(t *testing.T) {
		_, err := c.ServiceTicket(ctx, tgt, "HTTP/nothing.contoso.com", TGSOptions{})
		if !errors.Is(err, ErrPrincipalUnknown) {
			t.Fatalf("err = %v, want ErrPrincipalUnknown", err)
		}
	})
}

func ldapDomainSID(t *testing.T, s *testpeer.Samba) adtypes.SID {
	t.Helper()
	entries := s.LDAPSearch(t, s.BaseDN, "base", "(objectClass=*)", "objectSid")
	if len(entries) != 1 || len(entries[0]["objectSid"]) != 1 {
		t.Fatalf("domain objectSid: %v", entries)
	}
	sid, err := adtypes.SIDFromBytes(entries[0]["objectSid"][0])
	if err != nil {
		t.Fatal(err)
	}
	return sid
}
