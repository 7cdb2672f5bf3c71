package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// fakeKDC is an in-process KDC for one realm, built on msg: enough AS and
// TGS to exercise the client, with knobs to misbehave.
type fakeKDC struct {
	t       testing.TB
	realm   string
	now     func() time.Time // the KDC's clock
	users   map[string]fakeUser
	krbtgt  crypto.Key
	service map[string]crypto.Key // lower-case "HTTP/web.contoso.com"

	// Knobs.
	errorCode    msg.ErrorCode // answer every AS-REQ with this KRB-ERROR
	noPreauth    bool          // issue an AS-REP without asking for pre-auth
	mutateAS     func(*msg.KDCRep, *msg.EncKDCRepPart)
	echoUpper    bool // echo cname and sname in upper case, as AD does with stored names
	tgsTag25     bool // seal TGS-REP enc-parts as EncASRepPart, as gokrb5 does
	etypeInfo    []crypto.EncType
	requests     []*msg.KDCReq
	tsTimes      []time.Time // pre-auth timestamps received
	lastTGSCksum bool        // the last TGS-REQ's checksum verified
}

type fakeUser struct {
	password string
	salt     string
	keys     map[crypto.EncType]crypto.Key
	disabled bool
}

func newFakeKDC(t testing.TB) *fakeKDC {
	t.Helper()
	k := &fakeKDC{t: t, realm: "CONTOSO.COM", now: time.Now, users: map[string]fakeUser{}, service: map[string]crypto.Key{}}
	var err error
	if k.krbtgt, err = crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader); err != nil {
		t.Fatal(err)
	}
	svc, err := crypto.GenerateKey(crypto.AES256CTSHMACSHA196, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.service["http/web.contoso.com"] = svc
	k.addUser("node1$", "Node1-Pw!", "CONTOSO.COMhostnode1.contoso.com")
	return k
}

func (k *fakeKDC) addUser(name, password, salt string) {
	u := fakeUser{password: password, salt: salt, keys: map[crypto.EncType]crypto.Key{}}
	for _, e := range []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196} {
		key, err := crypto.StringToKey(e, password, salt, nil)
		if err != nil {
			k.t.Fatal(err)
		}
		u.keys[e] = key
	}
	u16 := make([]byte, 0, 2*len(password))
	for _, r := range password { // ASCII test passwords
		u16 = append(u16, byte(r), 0)
	}
	rc4, err := crypto.NewKey(crypto.RC4HMAC, crypto.NTHash(u16))
	if err != nil {
		k.t.Fatal(err)
	}
	u.keys[crypto.RC4HMAC] = crypto.AllowRC4(rc4)
	k.users[strings.ToLower(name)] = u
}

func (k *fakeKDC) RoundTrip(_ context.Context, realm string, b []byte) ([]byte, error) {
	if realm != k.realm {
		return nil, fmt.Errorf("fake KDC: no KDC for realm %q", realm)
	}
	req, err := msg.ParseKDCReq(b)
	if err != nil {
		return nil, err
	}
	k.requests = append(k.requests, req)
	if req.MsgType == msg.MsgTypeTGSReq {
		return k.tgs(req)
	}
	return k.as(req)
}

func (k *fakeKDC) krbError(code msg.ErrorCode, req *msg.KDCReq, md msg.MethodData) ([]byte, error) {
	now := k.now().UTC()
	e := &msg.KRBError{
		STime:      now.Truncate(time.Second),
		SUSec:      int32(now.Nanosecond() / 1000),
		ErrorCode:  code,
		Realm:      k.realm,
		SName:      *req.ReqBody.SName,
		EText:      "fake " + code.String(),
		MethodData: md,
	}
	return e.Marshal()
}

func (k *fakeKDC) as(req *msg.KDCReq) ([]byte, error) {
	if k.errorCode != 0 {
		return k.krbError(k.errorCode, req, nil)
	}
	u, ok := k.users[strings.ToLower(strings.Join(req.ReqBody.CName.NameString, "/"))]
	if !ok {
		return k.krbError(msg.KDCErrCPrincipalUnknown, req, nil)
	}
	if u.disabled {
		return k.krbError(msg.KDCErrClientRevoked, req, nil)
	}
	// The first type the client offers that the account has.
	var key crypto.Key
	for _, e := range req.ReqBody.EType {
		if kk, ok := u.keys[e]; ok {
			key = kk
			break
		}
	}
	if key.Type == 0 {
		return k.krbError(msg.KDCErrETypeNoSupp, req, nil)
	}
	if !k.noPreauth {
		ts, ok := req.PAData.Find(msg.PATypeEncTimestamp)
		if !ok {
			var info msg.ETypeInfo2
			types := k.etypeInfo
			if types == nil {
				types = []crypto.EncType{key.Type}
			}
			for _, e := range types {
				salt := u.salt
				info = append(info, msg.ETypeInfo2Entry{EType: e, Salt: &salt})
			}
			v, err := info.Marshal()
			if err != nil {
				return nil, err
			}
			return k.krbError(msg.KDCErrPreauthRequired, req, msg.MethodData{{Type: msg.PATypeETypeInfo2, Value: v}, {Type: msg.PATypeEncTimestamp}})
		}
		ed, err := msg.ParseEncryptedData(ts.Value)
		if err != nil {
			return nil, err
		}
		if kk, ok := u.keys[ed.EType]; ok {
			key = kk
		}
		pts, err := msg.OpenPAEncTimestamp(ts.Value, key)
		if err != nil {
			return k.krbError(msg.KDCErrPreauthFailed, req, nil)
		}
		k.tsTimes = append(k.tsTimes, pts.PATimestamp)
		if d := pts.PATimestamp.Sub(k.now()); d > 5*time.Minute || d < -5*time.Minute {
			return k.krbError(msg.APErrSkew, req, nil)
		}
	}
	return k.issue(req, *req.ReqBody.CName, req.ReqBody.Realm, *req.ReqBody.SName, key, crypto.KeyUsageASRepEncPart, msg.MsgTypeASRep, k.mutateAS)
}

// issue makes a ticket for sname and a reply sealed in replyKey.
func (k *fakeKDC) issue(req *msg.KDCReq, cname msg.PrincipalName, crealm string, sname msg.PrincipalName, replyKey crypto.Key, usage uint32, mt msg.MsgType, mutate func(*msg.KDCRep, *msg.EncKDCRepPart)) ([]byte, error) {
	var svcKey crypto.Key
	if len(sname.NameString) == 2 && sname.NameString[0] == "krbtgt" {
		svcKey = k.krbtgt
	} else if kk, ok := k.service[strings.ToLower(strings.Join(sname.NameString, "/"))]; ok {
		svcKey = kk
	} else {
		return k.krbError(msg.KDCErrSPrincipalUnknown, req, nil)
	}
	// The session key is of the client's first choice, as MIT does.
	session, err := crypto.GenerateKey(req.ReqBody.EType[0], rand.Reader)
	if err != nil {
		return nil, err
	}
	session = crypto.AllowRC4(session)
	now := k.now().UTC().Truncate(time.Second)
	flags := msg.TicketFlagPreAuthent
	if req.ReqBody.KDCOptions&msg.KDCOptionRenewable != 0 {
		flags |= msg.TicketFlagRenewable
	}
	if k.echoUpper {
		cname = msg.PrincipalName{NameType: cname.NameType, NameString: []string{strings.ToUpper(cname.NameString[0])}}
	}
	etp := msg.EncTicketPart{
		Flags: flags, Key: msg.NewEncryptionKey(session), CRealm: crealm, CName: cname,
		Transited: msg.TransitedEncoding{Type: 1, Contents: []byte{}},
		AuthTime:  now, EndTime: req.ReqBody.Till, RenewTill: req.ReqBody.RTime,
	}
	etpBytes, err := etp.Marshal()
	if err != nil {
		return nil, err
	}
	tktEnc, err := msg.Seal(svcKey, crypto.KeyUsageKDCRepTicket, etpBytes, rand.Reader)
	if err != nil {
		return nil, err
	}
	encMT := msg.MsgTypeEncASRepPart
	if mt == msg.MsgTypeTGSRep && !k.tgsTag25 {
		encMT = msg.MsgTypeEncTGSRepPart
	}
	enc := &msg.EncKDCRepPart{
		MsgType: encMT, Key: msg.NewEncryptionKey(session), LastReq: []msg.LastReqEntry{{Type: 0, Value: now}},
		Nonce: req.ReqBody.Nonce, Flags: flags, AuthTime: now, EndTime: req.ReqBody.Till, RenewTill: req.ReqBody.RTime,
		SRealm: k.realm, SName: sname,
	}
	rep := &msg.KDCRep{MsgType: mt, CRealm: crealm, CName: cname, Ticket: msg.Ticket{Realm: k.realm, SName: sname, EncPart: tktEnc}}
	if mutate != nil {
		mutate(rep, enc)
	}
	encBytes, err := enc.Marshal()
	if err != nil {
		return nil, err
	}
	if rep.EncPart, err = msg.Seal(replyKey, usage, encBytes, rand.Reader); err != nil {
		return nil, err
	}
	return rep.Marshal()
}

func (k *fakeKDC) tgs(req *msg.KDCReq) ([]byte, error) {
	pa, ok := req.PAData.Find(msg.PATypeTGSReq)
	if !ok {
		return k.krbError(msg.KDCErrPADataTypeNoSupp, req, nil)
	}
	ap, err := msg.ParseAPReq(pa.Value)
	if err != nil {
		return nil, err
	}
	tgt, err := ap.Ticket.Decrypt(k.krbtgt)
	if err != nil {
		return k.krbError(msg.APErrBadIntegrity, req, nil)
	}
	session, err := tgt.Key.Key()
	if err != nil {
		return nil, err
	}
	auth, err := ap.DecryptAuthenticator(session, crypto.KeyUsageTGSReqAuthenticator)
	if err != nil {
		return k.krbError(msg.APErrBadIntegrity, req, nil)
	}
	k.lastTGSCksum = auth.Cksum != nil && crypto.VerifyChecksum(session, crypto.KeyUsageTGSReqAuthenticatorChecksum, req.RawReqBody, auth.Cksum.Value) == nil
	if !k.lastTGSCksum {
		return k.krbError(msg.KRBErrGeneric, req, nil)
	}
	if !auth.CName.EqualFold(tgt.CName) {
		return k.krbError(msg.APErrBadMatch, req, nil)
	}
	return k.issue(req, tgt.CName, tgt.CRealm, *req.ReqBody.SName, session, crypto.KeyUsageTGSRepEncPartSessionKey, msg.MsgTypeTGSRep, nil)
}

func testClient(k *fakeKDC) *Client {
	return &Client{Transport: k, Now: time.Now, Rand: rand.Reader}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	aesKey, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, "Node1-Pw!", "CONTOSO.COMhostnode1.contoso.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	wrongSaltKey, err := crypto.StringToKey(crypto.AES256CTSHMACSHA196, "Node1-Pw!", "CONTOSO.COMnode1$", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		principal string
		keys      KeySource
		setup     func(*fakeKDC)
		client    func(*Client)
		expectErr error
		expect    func(t *testing.T, k *fakeKDC, cr *Credentials)
	}{
		{
			name: "a password login learns the salt from PA-ETYPE-INFO2 after PREAUTH_REQUIRED",
			keys: Password{Password: "Node1-Pw!"},
			expect: func(t *testing.T, k *fakeKDC, cr *Credentials) {
				if len(k.requests) != 2 {
					t.Errorf("%d requests, want 2 (without, then with pre-auth)", len(k.requests))
				}
				if _, ok := k.requests[0].PAData.Find(msg.PATypeEncTimestamp); ok {
					t.Error("the first AS-REQ carried PA-ENC-TIMESTAMP")
				}
				if _, ok := k.requests[1].PAData.Find(msg.PATypePACRequest); !ok {
					t.Error("the second AS-REQ has no PA-PAC-REQUEST")
				}
			},
		},
		{
			name: "raw keys log in when they were made with the AD salt",
			keys: Keys{aesKey},
		},
		{
			name:      "an explicit salt overrides the KDC's and fails when it is wrong",
			keys:      Password{Password: "Node1-Pw!", Salt: "CONTOSO.COMnode1$"},
			expectErr: ErrPreauthFailed,
		},
		{
			name:      "a raw key made with the default salt fails pre-authentication",
			keys:      Keys{wrongSaltKey},
			expectErr: ErrPreauthFailed,
		},
		{
			name:      "a wrong password fails pre-authentication",
			keys:      Password{Password: "wrong"},
			expectErr: ErrPreauthFailed,
		},
		{
			name:      "keys of no type the KDC names give no common encryption type",
			keys:      Keys{mustKey(t, crypto.AES128CTSHMACSHA256128)},
			expectErr: ErrNoCommonEncType,
		},
		{
			name: "the KDC's preference order in ETYPE-INFO2 chooses the key",
			keys: Password{Password: "Node1-Pw!"},
			setup: func(k *fakeKDC) {
				k.etypeInfo = []crypto.EncType{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196}
			},
			expect: func(t *testing.T, k *fakeKDC, cr *Credentials) {
				ed, err := msg.ParseEncryptedData(must(k.requests[1].PAData.Find(msg.PATypeEncTimestamp)).Value)
				if err != nil {
					t.Fatal(err)
				}
				if ed.EType != crypto.AES128CTSHMACSHA196 {
					t.Errorf("timestamp sealed with %s, want aes128-cts-hmac-sha1-96", ed.EType)
				}
			},
		},
		{
			name:      "a reply with another nonce is rejected",
			keys:      Password{Password: "Node1-Pw!"},
			setup:     func(k *fakeKDC) { k.mutateAS = func(_ *msg.KDCRep, e *msg.EncKDCRepPart) { e.Nonce++ } },
			expectErr: ErrBadReply,
		},
		{
			name: "a reply for another client is rejected",
			keys: Password{Password: "Node1-Pw!"},
			setup: func(k *fakeKDC) {
				k.mutateAS = func(r *msg.KDCRep, _ *msg.EncKDCRepPart) { r.CName.NameString = []string{"administrator"} }
			},
			expectErr: ErrBadReply,
		},
		{
			name: "a reply for another server is rejected",
			keys: Password{Password: "Node1-Pw!"},
			setup: func(k *fakeKDC) {
				k.mutateAS = func(_ *msg.KDCRep, e *msg.EncKDCRepPart) { e.SName.NameString = []string{"krbtgt", "EVIL.COM"} }
			},
			expectErr: ErrBadReply,
		},
		{
			name:      "names echoed in another case are accepted, as AD echoes stored names",
			principal: "NODE1$@CONTOSO.COM",
			keys:      Password{Password: "Node1-Pw!"},
			setup:     func(k *fakeKDC) { k.echoUpper = true },
			expect: func(t *testing.T, _ *fakeKDC, cr *Credentials) {
				if cr.ClientName() != "NODE1$@CONTOSO.COM" {
					t.Errorf("client %s, want the KDC's echo", cr.ClientName())
				}
			},
		},
		{
			name:  "an AS-REP without pre-authentication is decrypted with the reply's enctype key",
			keys:  Password{Password: "Node1-Pw!", Salt: "CONTOSO.COMhostnode1.contoso.com"},
			setup: func(k *fakeKDC) { k.noPreauth = true },
		},
		{
			name:      "an AS-REP without pre-authentication and a wrong password is ErrPreauthFailed",
			keys:      Password{Password: "wrong", Salt: "CONTOSO.COMhostnode1.contoso.com"},
			setup:     func(k *fakeKDC) { k.noPreauth = true },
			expectErr: ErrPreauthFailed,
		},
		{
			name: "a KDC one hour ahead gets a second timestamp shifted by its offset",
			keys: Password{Password: "Node1-Pw!"},
			setup: func(k *fakeKDC) {
				k.now = func() time.Time { return time.Now().Add(time.Hour) }
			},
			expect: func(t *testing.T, k *fakeKDC, cr *Credentials) {
				if len(k.tsTimes) != 2 {
					t.Fatalf("%d timestamps, want 2", len(k.tsTimes))
				}
				if d := cr.KDCOffset - time.Hour; d > 2*time.Second || d < -2*time.Second {
					t.Errorf("KDCOffset %v, want about 1h", cr.KDCOffset)
				}
				if c := NewCache(cr); c.KDCOffset == nil || *c.KDCOffset != cr.KDCOffset {
					t.Errorf("NewCache KDCOffset %v, want %v", c.KDCOffset, cr.KDCOffset)
				}
			},
		},
		{
			name:      "a disabled account is revoked",
			keys:      Password{Password: "Node1-Pw!"},
			setup:     func(k *fakeKDC) { u := k.users["node1$"]; u.disabled = true; k.users["node1$"] = u },
			expectErr: ErrClientRevoked,
		},
		{
			name:      "an unknown principal is ErrPrincipalUnknown",
			principal: "nobody@CONTOSO.COM",
			keys:      Password{Password: "x"},
			expectErr: ErrPrincipalUnknown,
		},
		{
			name:   "rc4 logs in when listed in EncTypes and the key is allowed",
			keys:   Password{Password: "Node1-Pw!"},
			client: func(c *Client) { c.EncTypes = []crypto.EncType{crypto.RC4HMAC} },
			expect: func(t *testing.T, _ *fakeKDC, cr *Credentials) {
				if cr.SessionKey.Type != crypto.RC4HMAC {
					t.Errorf("session key %s", cr.SessionKey.Type)
				}
			},
		},
		{
			name:      "rc4 is not offered unless listed",
			keys:      Keys{crypto.AllowRC4(mustKey(t, crypto.RC4HMAC))},
			expectErr: ErrNoCommonEncType,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newFakeKDC(t)
			if tc.setup != nil {
				tc.setup(k)
			}
			c := testClient(k)
			if tc.client != nil {
				tc.client(c)
			}
			p := tc.principal
			if p == "" {
				p = "node1$@CONTOSO.COM"
			}
			cr, err := c.Login(context.Background(), LoginRequest{Principal: p, Keys: tc.keys})
			if tc.expectErr != nil {
				if !errors.Is(err, tc.expectErr) {
					t.Fatalf("err = %v, want %v", err, tc.expectErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(cr.ServerName(), "krbtgt/CONTOSO.COM@CONTOSO.COM") {
				t.Errorf("server %s", cr.ServerName())
			}
			if tc.expect != nil {
				tc.expect(t, k, cr)
			}
		})
	}
}

func TestKDCErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     msg.ErrorCode
		sentinel error
		hint     string
	}{
		{"a wrong key is pre-authentication failed", msg.KDCErrPreauthFailed, ErrPreauthFailed, "pre-authentication failed: wrong key or salt"},
		{"an unknown client is principal unknown", msg.KDCErrCPrincipalUnknown, ErrPrincipalUnknown, "principal unknown: check the name and realm"},
		{"an unknown server is principal unknown", msg.KDCErrSPrincipalUnknown, ErrPrincipalUnknown, "principal unknown: check the name and realm"},
		{"a disabled account is client revoked", msg.KDCErrClientRevoked, ErrClientRevoked, "client revoked: the account is disabled or locked (AD: userAccountControl)"},
		{"no key of an offered type is no common encryption type", msg.KDCErrETypeNoSupp, ErrNoCommonEncType, "no common encryption type: the account's keys do not include any of aes256-cts-hmac-sha1-96"},
		{"skew is clock skew with the KDC's offset", msg.APErrSkew, ErrClockSkew, "clock skew: sync the host clock (KDC is"},
		{"an expired password is key expired", msg.KDCErrKeyExpired, ErrKeyExpired, "password expired"},
		{"a policy refusal is policy", msg.KDCErrPolicy, ErrPolicy, "refused by KDC policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newFakeKDC(t)
			k.errorCode = tc.code
			if tc.code == msg.APErrSkew {
				k.now = func() time.Time { return time.Now().Add(10 * time.Minute) }
			}
			_, err := testClient(k).Login(context.Background(), LoginRequest{Principal: "node1$@CONTOSO.COM", Keys: Password{Password: "secret-pw"}})
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			var ke *KDCError
			if !errors.As(err, &ke) {
				t.Fatalf("err %T is not a *KDCError", err)
			}
			if ke.Code != tc.code || ke.EText == "" || !strings.Contains(ke.Server, "krbtgt/CONTOSO.COM") {
				t.Errorf("KDCError %+v", ke)
			}
			if !strings.Contains(ke.Hint(), tc.hint) {
				t.Errorf("Hint() = %q, want it to contain %q", ke.Hint(), tc.hint)
			}
			if tc.code == msg.APErrSkew && !strings.Contains(ke.Hint(), "KDC is 600 s ahead") {
				t.Errorf("Hint() = %q, want the offset", ke.Hint())
			}
			if strings.Contains(err.Error(), "secret-pw") || strings.Contains(ke.Hint(), "secret-pw") {
				t.Error("the error shows the password")
			}
			for _, other := range []error{ErrPreauthFailed, ErrPrincipalUnknown, ErrClientRevoked, ErrClockSkew, ErrNoCommonEncType} {
				if other != tc.sentinel && errors.Is(err, other) {
					t.Errorf("errors.Is(err, %v) is true too", other)
				}
			}
		})
	}
}

func TestServiceTicket(t *testing.T) {
	t.Parallel()
	k := newFakeKDC(t)
	c := testClient(k)
	tgt, err := c.Login(context.Background(), LoginRequest{Principal: "node1$@CONTOSO.COM", Keys: Password{Password: "Node1-Pw!"}, RenewLifetime: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.ServiceTicket(context.Background(), tgt, "HTTP/web.contoso.com", TGSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !k.lastTGSCksum {
		t.Error("the KDC did not verify the body checksum")
	}
	req := k.requests[len(k.requests)-1]
	if req.ReqBody.SName.NameType != msg.NameTypeSrvInst {
		t.Errorf("sname type %s, want NT-SRV-INST", req.ReqBody.SName.NameType)
	}
	tkt, err := msg.ParseTicket(st.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	etp, err := tkt.Decrypt(k.service["http/web.contoso.com"])
	if err != nil {
		t.Fatal(err)
	}
	if sk, _ := etp.Key.Key(); string(sk.Bytes()) != string(st.SessionKey.Bytes()) {
		t.Error("the ticket's session key is not the reply's")
	}
	k.tgsTag25 = true
	if _, err := c.ServiceTicket(context.Background(), tgt, "HTTP/web.contoso.com", TGSOptions{}); err != nil {
		t.Errorf("a TGS-REP with an EncASRepPart (tag 25): %v", err)
	}
	k.tgsTag25 = false
	if _, err := c.ServiceTicket(context.Background(), tgt, "HTTP/nothing.contoso.com", TGSOptions{}); !errors.Is(err, ErrPrincipalUnknown) {
		t.Errorf("unknown SPN: err = %v, want ErrPrincipalUnknown", err)
	}
	if _, err := c.ServiceTicket(context.Background(), tgt, "HTTP/web.fabrikam.com@FABRIKAM.COM", TGSOptions{}); err == nil {
		t.Error("a cross-realm SPN was accepted")
	}
	if _, err := c.Renew(context.Background(), st); !errors.Is(err, ErrCannotRenew) {
		t.Errorf("renewing a non-renewable ticket: err = %v, want ErrCannotRenew", err)
	}
	if _, err := c.Renew(context.Background(), tgt); err != nil {
		t.Errorf("Renew: %v", err)
	}
	if got := fmt.Sprintf("%v %+v %#v", Password{Password: "Node1-Pw!"}, Password{Password: "Node1-Pw!"}, Password{Password: "Node1-Pw!"}); strings.Contains(got, "Node1-Pw!") {
		t.Errorf("a Password prints: %s", got)
	}
}

func TestNewCache(t *testing.T) {
	t.Parallel()
	k := newFakeKDC(t)
	c := testClient(k)
	tgt, err := c.Login(context.Background(), LoginRequest{Principal: "node1$@CONTOSO.COM", Keys: Password{Password: "Node1-Pw!"}, RenewLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cache := NewCache(tgt)
	b, err := cache.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ccache.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.TGT("")
	if err != nil {
		t.Fatal(err)
	}
	if back.DefaultPrincipal.String() != "node1$@CONTOSO.COM" || got.Server.String() != "krbtgt/CONTOSO.COM@CONTOSO.COM" {
		t.Errorf("cache %s, server %s", back.DefaultPrincipal, got.Server)
	}
	if got.Flags&ccache.FlagRenewable == 0 || !got.RenewTill.Equal(tgt.RenewTill) || !got.EndTime.Equal(tgt.EndTime) {
		t.Errorf("credential flags %s renew-till %v end %v", got.Flags, got.RenewTill, got.EndTime)
	}
	if string(got.Key.Bytes()) != string(tgt.SessionKey.Bytes()) || string(got.Ticket) != string(tgt.Ticket) {
		t.Error("key or ticket differs")
	}
}

func TestParseServiceName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spn   string
		typ   msg.NameType
		realm string
	}{
		{"HTTP/web.contoso.com", msg.NameTypeSrvInst, ""},
		{"node1$", msg.NameTypePrincipal, ""},
		{"host/node1.contoso.com@CONTOSO.COM", msg.NameTypeSrvInst, "CONTOSO.COM"},
	}
	for _, tc := range tests {
		n, r, err := ParseServiceName(tc.spn)
		if err != nil || n.NameType != tc.typ || r != tc.realm {
			t.Errorf("ParseServiceName(%q) = %v %q %v", tc.spn, n, r, err)
		}
	}
}

func mustKey(t testing.TB, e crypto.EncType) crypto.Key {
	k, err := crypto.GenerateKey(e, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("missing")
	}
	return v
}

func TestFromCCacheInvertsCCache(t *testing.T) {
	t.Parallel()
	k, err := crypto.NewKey(crypto.AES256CTSHMACSHA196, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	in := &Credentials{
		Client: msg.PrincipalName{NameType: msg.NameTypePrincipal, NameString: []string{"webapp01$"}}, ClientRealm: "CONTOSO.COM",
		Server: msg.PrincipalName{NameType: msg.NameTypeSrvInst, NameString: []string{"krbtgt", "CONTOSO.COM"}}, ServerRealm: "CONTOSO.COM",
		Ticket: []byte{0x61, 0x01, 0x00}, SessionKey: k, AuthTime: now, StartTime: now, EndTime: now.Add(10 * time.Hour),
		RenewTill: now.Add(7 * 24 * time.Hour), Flags: msg.TicketFlagRenewable | msg.TicketFlagInitial, KDCOffset: 3 * time.Second,
	}
	out, err := FromCCache(in.CCache(), in.KDCOffset)
	if err != nil {
		t.Fatal(err)
	}
	if out.ClientName() != in.ClientName() || out.ServerName() != in.ServerName() || !bytes.Equal(out.Ticket, in.Ticket) ||
		!bytes.Equal(out.SessionKey.Bytes(), k.Bytes()) || !out.EndTime.Equal(in.EndTime) || !out.RenewTill.Equal(in.RenewTill) ||
		out.Flags != in.Flags || out.KDCOffset != in.KDCOffset || out.Server.NameType != msg.NameTypeSrvInst {
		t.Fatalf("round trip through the ccache changed the credentials: %+v", out)
	}
	if _, err := FromCCache(ccache.NewConfig(in.CCache().Client, "pa_type", "", []byte("2")), 0); !errors.Is(err, ErrNotATicket) {
		t.Fatalf("a config entry: %v", err)
	}
}
