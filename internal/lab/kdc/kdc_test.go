package kdc

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/client"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
)

// inProcess is our client calling Handle directly, with the KDC's clock.
func inProcess(t testing.TB, mutate func(*KDC)) (*client.Client, *KDC, *testDir) {
	t.Helper()
	dir := newTestDir(t)
	k := &KDC{Realm: testRealm, Backend: dir, Now: time.Now}
	if mutate != nil {
		mutate(k)
	}
	return &client.Client{Transport: handleTransport{k}, Now: time.Now, Rand: rand.Reader}, k, dir
}

func login(t testing.TB, c *client.Client, principal string, keys client.KeySource, renew time.Duration) *client.Credentials {
	t.Helper()
	tgt, err := c.Login(context.Background(), client.LoginRequest{Principal: principal, Keys: keys, RenewLifetime: renew})
	if err != nil {
		t.Fatalf("Login %s: %v", principal, err)
	}
	return tgt
}

// openTicket decrypts a service ticket with the service's current key and
// checks its PAC: both signatures, and who it names.
func openTicket(t *testing.T, dir *testDir, st *client.Credentials, service string) (*msg.EncTicketPart, *pac.PAC) {
	t.Helper()
	tk, err := msg.ParseTicket(st.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	svc := dir.get(service)
	key, ok := svc.ticketKey()
	if !ok {
		t.Fatal("no ticket key")
	}
	if tk.EncPart.KVNO == nil || *tk.EncPart.KVNO != key.Kvno {
		t.Errorf("ticket kvno %v, want %d", tk.EncPart.KVNO, key.Kvno)
	}
	etp, err := tk.Decrypt(key.Key)
	if err != nil {
		t.Fatalf("service ticket does not decrypt with %s's key: %v", service, err)
	}
	raw, err := etp.AuthorizationData.PAC()
	if err != nil || raw == nil {
		t.Fatalf("no PAC in the ticket: %v", err)
	}
	if err := pac.Verify(raw, key.Key); err != nil {
		t.Errorf("server signature: %v", err)
	}
	tgtKey, _ := dir.get("krbtgt").ticketKey()
	if err := pac.VerifyKDC(raw, tgtKey.Key); err != nil {
		t.Errorf("KDC signature: %v", err)
	}
	p, err := pac.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return etp, p
}

func sidStrings(p *pac.PAC) []string {
	var out []string
	for _, s := range p.LogonInfo.GroupSIDs() {
		out = append(out, s.String())
	}
	return out
}

// Our client logs on over UDP and over TCP, gets a service ticket for the
// gMSA's SPN, and the ticket opens with the gMSA's current key and carries a
// PAC naming the user and its groups.
func TestOurClientOverNetwork(t *testing.T) {
	s := serve(t, nil)
	for _, tc := range []struct {
		name     string
		udpLimit int
	}{{"UDP", 0}, {"TCP", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.ourClient(t, tc.udpLimit)
			tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, 0)
			if tgt.Flags&(msg.TicketFlagInitial|msg.TicketFlagPreAuthent) != msg.TicketFlagInitial|msg.TicketFlagPreAuthent {
				t.Errorf("TGT flags %v, want initial and pre-authent", tgt.Flags)
			}
			st, err := c.ServiceTicket(context.Background(), tgt, "http/mysite.contoso.com", client.TGSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			etp, p := openTicket(t, s.dir, st, "WebApp01$")
			if etp.CName.String() != "Administrator" {
				t.Errorf("ticket cname %v", etp.CName)
			}
			if got := p.LogonInfo.UserSID().String(); got != domainSID.WithRID(500).String() {
				t.Errorf("PAC user SID %s", got)
			}
			want := []string{"-513", "-512", "-519"}
			got := sidStrings(p)
			for _, w := range want {
				if !slices.Contains(got, domainSID.String()+w) {
					t.Errorf("PAC groups %v lack %s", got, w)
				}
			}
			if !slices.Contains(got, "S-1-5-32-544") || p.LogonInfo.UserFlags&pac.UserFlagExtraSIDs == 0 {
				t.Errorf("PAC lacks the extra SID S-1-5-32-544: %v, flags %#x", got, p.LogonInfo.UserFlags)
			}
			if p.LogonInfo.LogonDomainName != "CONTOSO" || p.LogonInfo.LogonServer != "DC1" {
				t.Errorf("logon domain %q server %q", p.LogonInfo.LogonDomainName, p.LogonInfo.LogonServer)
			}
			if p.ClientInfo.Name != "Administrator" {
				t.Errorf("client info name %q", p.ClientInfo.Name)
			}
			if at := p.ClientInfo.ClientID.Time(); !at.Equal(etp.AuthTime) {
				t.Errorf("client info time %v, authtime %v", at, etp.AuthTime)
			}
			if p.UPNDNSInfo.UPN != "Administrator@contoso.com" || p.UPNDNSInfo.DNSDomainName != "CONTOSO.COM" ||
				p.UPNDNSInfo.SAMName != "Administrator" || !p.UPNDNSInfo.SID.Equal(domainSID.WithRID(500)) {
				t.Errorf("UPN DNS info %+v", p.UPNDNSInfo)
			}
		})
	}
}

// A gMSA logs on with the keys of its current password and, during the
// overlap after a rollover, with those of its previous one; tickets for it
// are always issued with the current key (kvno 2).
func TestGMSAPreviousKeysLogOn(t *testing.T) {
	t.Parallel()
	c, _, dir := inProcess(t, nil)
	gmsa := dir.get("WebApp01$")
	for _, kvno := range []uint32{2, 1} {
		var keys client.Keys
		for _, k := range gmsa.Keys {
			if k.Kvno == kvno {
				keys = append(keys, k.Key)
			}
		}
		tgt := login(t, c, "WebApp01$@"+testRealm, keys, 0)
		st, err := c.ServiceTicket(context.Background(), tgt, "host/WebApp01", client.TGSOptions{})
		if err != nil {
			t.Fatalf("kvno %d: %v", kvno, err)
		}
		_, p := openTicket(t, dir, st, "WebApp01$")
		if p.LogonInfo.EffectiveName != "WebApp01$" || p.LogonInfo.PrimaryGroupID != 515 {
			t.Errorf("kvno %d: PAC %+v", kvno, p.LogonInfo)
		}
	}
}

// The refusals of the AS and TGS exchanges carry the codes RFC 4120 and AD
// use, which our client maps to its sentinels.
func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		mutate func(*KDC)
		run    func(*client.Client, *testDir) error
		want   error
		code   msg.ErrorCode
	}{
		{name: "a wrong password is KDC_ERR_PREAUTH_FAILED", code: msg.KDCErrPreauthFailed, want: client.ErrPreauthFailed,
			run: func(c *client.Client, _ *testDir) error {
				_, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator", Realm: testRealm, Keys: client.Password{Password: "wrong"}})
				return err
			}},
		{name: "an unknown client is KDC_ERR_C_PRINCIPAL_UNKNOWN", code: msg.KDCErrCPrincipalUnknown, want: client.ErrPrincipalUnknown,
			run: func(c *client.Client, _ *testDir) error {
				_, err := c.Login(ctx, client.LoginRequest{Principal: "nobody@" + testRealm, Keys: client.Password{Password: "x"}})
				return err
			}},
		{name: "a disabled account is KDC_ERR_CLIENT_REVOKED", code: msg.KDCErrClientRevoked, want: client.ErrClientRevoked,
			run: func(c *client.Client, _ *testDir) error {
				_, err := c.Login(ctx, client.LoginRequest{Principal: "Disabled@" + testRealm, Keys: client.Password{Password: "Disabled-Pw-1"}})
				return err
			}},
		{name: "an expired account is KDC_ERR_CLIENT_REVOKED", code: msg.KDCErrClientRevoked, want: client.ErrClientRevoked,
			run: func(c *client.Client, d *testDir) error {
				d.get("Administrator").AccountExpires = time.Now().Add(-time.Hour)
				_, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator@" + testRealm, Keys: client.Password{Password: adminPassword}})
				return err
			}},
		{name: "no common encryption type is KDC_ERR_ETYPE_NOSUPP", code: msg.KDCErrETypeNoSupp, want: client.ErrNoCommonEncType,
			run: func(c *client.Client, _ *testDir) error {
				c.EncTypes = []crypto.EncType{crypto.AES256CTSHMACSHA384192}
				_, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator@" + testRealm, Keys: client.Password{Password: adminPassword}})
				return err
			}},
		{name: "an unknown service is KDC_ERR_S_PRINCIPAL_UNKNOWN", code: msg.KDCErrSPrincipalUnknown, want: client.ErrPrincipalUnknown,
			run: func(c *client.Client, _ *testDir) error {
				tgt, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator@" + testRealm, Keys: client.Password{Password: adminPassword}})
				if err != nil {
					return err
				}
				_, err = c.ServiceTicket(ctx, tgt, "http/nowhere.contoso.com", client.TGSOptions{})
				return err
			}},
		{name: "an expired TGT is KRB_AP_ERR_TKT_EXPIRED", code: msg.APErrTktExpired, want: client.ErrTicketExpired,
			run: func(c *client.Client, _ *testDir) error {
				tgt, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator@" + testRealm, Keys: client.Password{Password: adminPassword}, Lifetime: time.Hour})
				if err != nil {
					return err
				}
				later := func() time.Time { return time.Now().Add(2 * time.Hour) }
				c.Now = later
				shifted := *c
				shifted.Transport = handleTransport{&KDC{Realm: testRealm, Backend: c.Transport.(handleTransport).k.Backend, Now: later}}
				_, err = shifted.ServiceTicket(ctx, tgt, "http/mysite.contoso.com", client.TGSOptions{})
				return err
			}},
		{name: "renewing a TGT that is not renewable is KDC_ERR_BADOPTION", code: msg.KDCErrBadOption, want: client.ErrCannotRenew,
			run: func(c *client.Client, _ *testDir) error {
				tgt, err := c.Login(ctx, client.LoginRequest{Principal: "Administrator@" + testRealm, Keys: client.Password{Password: adminPassword}})
				if err != nil {
					return err
				}
				tgt.Flags |= msg.TicketFlagRenewable // lie to our client so that it asks
				tgt.RenewTill = time.Now().Add(time.Hour)
				_, err = c.Renew(ctx, tgt)
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _, dir := inProcess(t, tc.mutate)
			err := tc.run(c, dir)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var ke *client.KDCError
			if errors.As(err, &ke) && ke.Code != tc.code {
				t.Errorf("code %v, want %v", ke.Code, tc.code)
			}
		})
	}
}

// A renewable TGT renews: new times, same renew-till, still renewable; the
// renewed TGT gets service tickets.
func TestRenew(t *testing.T) {
	t.Parallel()
	c, _, dir := inProcess(t, func(k *KDC) { k.MaxTicketLife = time.Hour })
	tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, 48*time.Hour)
	// The client's rtime comes from its clock, authtime from the KDC's: a
	// second boundary may fall between them.
	if d := tgt.RenewTill.Sub(tgt.AuthTime); tgt.Flags&msg.TicketFlagRenewable == 0 || d > 48*time.Hour || d < 48*time.Hour-2*time.Second {
		t.Fatalf("TGT flags %v renew-till %v (authtime %v)", tgt.Flags, tgt.RenewTill, tgt.AuthTime)
	}
	if tgt.EndTime.Sub(tgt.AuthTime) != time.Hour {
		t.Errorf("TGT lifetime %v, want the KDC's 1h cap", tgt.EndTime.Sub(tgt.AuthTime))
	}
	renewed, err := c.Renew(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if !renewed.RenewTill.Equal(tgt.RenewTill) || renewed.Flags&msg.TicketFlagRenewable == 0 || renewed.Flags&msg.TicketFlagInitial != 0 {
		t.Errorf("renewed: flags %v renew-till %v", renewed.Flags, renewed.RenewTill)
	}
	st, err := c.ServiceTicket(context.Background(), renewed, "http/mysite.contoso.com", client.TGSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	openTicket(t, dir, st, "WebApp01$")
}

// A pre-authentication timestamp 10 minutes off is KRB_AP_ERR_SKEW, and a
// request without one gets KDC_ERR_PREAUTH_REQUIRED with PA-ETYPE-INFO2
// naming the offered types the account has, with its salt.
func TestPreauthRequiredAndSkew(t *testing.T) {
	t.Parallel()
	_, k, dir := inProcess(t, nil)
	admin := dir.get("Administrator")
	cname := msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"Administrator"}}
	req := func(pa msg.MethodData) *msg.KRBError {
		r := &msg.KDCReq{MsgType: msg.MsgTypeASReq, PAData: pa, ReqBody: msg.KDCReqBody{
			CName: &cname, Realm: testRealm, SName: &msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", testRealm}},
			Till: time.Now().Add(time.Hour).UTC().Truncate(time.Second), Nonce: 42,
			EType: []crypto.EncType{crypto.AES128CTSHMACSHA196, crypto.RC4HMAC, crypto.AES256CTSHMACSHA196},
		}}
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e, err := msg.ParseKRBError(k.Handle(context.Background(), b, nil))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := req(nil)
	if e.ErrorCode != msg.KDCErrPreauthRequired {
		t.Fatalf("code %v", e.ErrorCode)
	}
	pd, ok := e.MethodData.Find(msg.PATypeETypeInfo2)
	if _, ts := e.MethodData.Find(msg.PATypeEncTimestamp); !ok || !ts {
		t.Fatalf("e-data %v lacks PA-ETYPE-INFO2 or PA-ENC-TIMESTAMP", e.MethodData)
	}
	info, err := msg.ParseETypeInfo2(pd.Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(info) != 2 || info[0].EType != crypto.AES128CTSHMACSHA196 || info[1].EType != crypto.AES256CTSHMACSHA196 ||
		info[0].Salt == nil || *info[0].Salt != "CONTOSO.COMAdministrator" {
		t.Errorf("ETYPE-INFO2 %+v", info)
	}

	key := admin.keysOf(crypto.AES256CTSHMACSHA196)[0].Key
	ts, err := msg.NewPAEncTimestamp(key, msg.PAEncTSEnc{PATimestamp: time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if e := req(msg.MethodData{ts}); e.ErrorCode != msg.APErrSkew {
		t.Errorf("10 minutes off: code %v, want KRB_AP_ERR_SKEW", e.ErrorCode)
	}
}

// With canonicalize, the reply names the client as stored; without, as
// asked.
func TestCanonicalize(t *testing.T) {
	t.Parallel()
	c, _, _ := inProcess(t, nil)
	tgt := login(t, c, "webapp01$@"+testRealm, client.Password{Password: gmsaCurrentPassword}, 0)
	if got := tgt.Client.String(); got != "webapp01$" {
		// Our client does not ask for canonicalization: echoed.
		t.Errorf("cname %q, want the name as asked", got)
	}
}

// A TGS-REQ whose req-body was altered after the authenticator's checksum
// was made is KRB_AP_ERR_MODIFIED; so is a TGT whose PAC content was altered
// without re-signing it (the ticket re-sealed so that only the PAC's server
// signature, not the ticket's encryption, can catch the change).
func TestTGSIntegrity(t *testing.T) {
	t.Parallel()
	_, k, dir := inProcess(t, nil)
	rec := &recording{handleTransport: handleTransport{k}}
	c := &client.Client{Transport: rec, Now: time.Now, Rand: rand.Reader}
	tgt := login(t, c, "Administrator@"+testRealm, client.Password{Password: adminPassword}, 0)
	if _, err := c.ServiceTicket(context.Background(), tgt, "http/mysite.contoso.com", client.TGSOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := msg.ParseKDCReq(rec.reqs[len(rec.reqs)-1])
	if err != nil || r.MsgType != msg.MsgTypeTGSReq {
		t.Fatalf("last request: %v %v", r, err)
	}
	r.ReqBody.Till = r.ReqBody.Till.Add(time.Hour)
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if e, err := msg.ParseKRBError(k.Handle(context.Background(), b, nil)); err != nil || e.ErrorCode != msg.APErrModified {
		t.Errorf("altered req-body: %v %v", e, err)
	}

	tk, err := msg.ParseTicket(tgt.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	tgtKey, _ := dir.get("krbtgt").ticketKey()
	etp, err := tk.Decrypt(tgtKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := etp.AuthorizationData.PAC()
	p, err := pac.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p.LogonInfo.GroupIDs = append(p.LogonInfo.GroupIDs, pac.GroupMembership{RelativeID: 518, Attributes: 7}) // Schema Admins
	forged, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if etp.AuthorizationData, err = authData(forged); err != nil {
		t.Fatal(err)
	}
	plain, err := etp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if tk.EncPart, err = msg.Seal(tgtKey.Key, crypto.KeyUsageKDCRepTicket, plain, rand.Reader); err != nil {
		t.Fatal(err)
	}
	forgedTGT := *tgt
	if forgedTGT.Ticket, err = tk.Marshal(); err != nil {
		t.Fatal(err)
	}
	_, err = c.ServiceTicket(context.Background(), &forgedTGT, "http/mysite.contoso.com", client.TGSOptions{})
	var ke *client.KDCError
	if !errors.As(err, &ke) || ke.Code != msg.APErrModified {
		t.Errorf("TGT with an altered PAC: %v", err)
	}
}

// A revoked account's KRB-ERROR carries the NTSTATUS Windows sends.
func TestRevokedNTStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*Principal)
		status uint32
	}{
		{"disabled", func(p *Principal) { p.Disabled = true }, 0xC0000072},
		{"locked out", func(p *Principal) { p.LockedOut = true }, 0xC0000234},
		{"expired", func(p *Principal) { p.AccountExpires = time.Now().Add(-time.Minute) }, 0xC0000193},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, k, dir := inProcess(t, nil)
			tc.mutate(&dir.get("Administrator").Principal)
			cname := msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"Administrator"}}
			r := &msg.KDCReq{MsgType: msg.MsgTypeASReq, ReqBody: msg.KDCReqBody{
				CName: &cname, Realm: testRealm, SName: &msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", testRealm}},
				Till: time.Now().Add(time.Hour).UTC().Truncate(time.Second), Nonce: 7, EType: aes,
			}}
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			e, err := msg.ParseKRBError(k.Handle(context.Background(), b, nil))
			if err != nil {
				t.Fatal(err)
			}
			if st, ok := e.NTStatus(); e.ErrorCode != msg.KDCErrClientRevoked || !ok || st != tc.status {
				t.Errorf("code %v, NTSTATUS %#x %v; want KDC_ERR_CLIENT_REVOKED, %#x", e.ErrorCode, st, ok, tc.status)
			}
		})
	}
}
