package ldapserver

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// captureGoLDAP records the request PDUs go-ldap sends for a set of
// operations, answering each with success over an in-memory pipe.
func captureGoLDAP(t testing.TB) [][]byte {
	t.Helper()
	cli, srv := net.Pipe()
	var mu sync.Mutex
	var pdus [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer srv.Close()
		for {
			p, err := ber.ReadPacket(srv)
			if err != nil {
				return
			}
			b := p.Bytes()
			mu.Lock()
			pdus = append(pdus, b)
			mu.Unlock()
			m, err := decodeMessage(b)
			if err != nil {
				t.Errorf("go-ldap request does not decode: %v", err)
				continue
			}
			tag := responseTag(m.Tag)
			if tag < 0 {
				continue
			}
			code := Success
			if m.Tag == appCompareRequest {
				code = CompareTrue
			}
			srv.SetWriteDeadline(time.Now().Add(5 * time.Second))
			srv.Write(envelope(m.ID, resultPacket(ber.Tag(tag), Result{Code: code}), nil).Bytes())
		}
	}()
	c := ldap.NewConn(cli, false)
	c.Start()
	c.Bind(adminDN, adminPass)
	c.SimpleBind(&ldap.SimpleBindRequest{AllowEmptyPassword: true})
	c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeWholeSubtree, ldap.DerefAlways, 10, 5, true,
		"(&(objectClass=user)(|(cn=a*b*c)(!(uid>=1)))(sn<=z)(mail~=x)(uac:1.2.840.113556.1.4.803:=2)(cn:dn:caseExactMatch:=X)(member=*))",
		[]string{"cn", "+", "*"}, []ldap.Control{ldap.NewControlPaging(10), ldap.NewControlString("1.2.3", true, "v")}))
	add := ldap.NewAddRequest("cn=n,"+baseDN, nil)
	add.Attribute("objectClass", []string{"top", "person"})
	c.Add(add)
	mod := ldap.NewModifyRequest("cn=n,"+baseDN, nil)
	mod.Add("a", []string{"1"})
	mod.Delete("b", nil)
	mod.Replace("c", []string{"2", "3"})
	c.Modify(mod)
	c.Del(ldap.NewDelRequest("cn=n,"+baseDN, nil))
	c.ModifyDN(ldap.NewModifyDNRequest("cn=n,"+baseDN, "cn=m", true, "ou=x,"+baseDN))
	c.Compare("cn=n,"+baseDN, "cn", "n")
	c.WhoAmI(nil)
	c.PasswordModify(ldap.NewPasswordModifyRequest("", "old", "new"))
	c.Close()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return pdus
}

// rawSeeds are requests go-ldap does not send.
func rawSeeds() [][]byte {
	sasl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
	sasl.AppendChild(octetString("GSSAPI"))
	sasl.AppendChild(octetString("token"))
	return [][]byte{
		envelope(7, abandonRequestPDU(3), nil).Bytes(),
		envelope(1, bindRequest(3, "", sasl), nil).Bytes(),
		envelope(2, startTLSRequest(), nil).Bytes(),
		envelope(3, ber.Encode(ber.ClassApplication, ber.TypePrimitive, appUnbindRequest, nil, ""), nil).Bytes(),
		envelope(4, searchRequest(baseDN, 2, 0, Filter{Kind: FilterExtensible, MatchingRule: RuleInChain, Attr: "memberOf", Value: []byte("cn=g")}), nil).Bytes(),
	}
}

func TestFuzzSeedsAreNotEmpty(t *testing.T) {
	if n := len(captureGoLDAP(t)); n < 10 {
		t.Errorf("captured %d go-ldap PDUs, want at least 10", n)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range append(captureGoLDAP(f), rawSeeds()...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err == nil && (m == nil || m.Op == nil) {
			t.Fatal("no error and no operation")
		}
		if err != nil {
			if _, ok := err.(*decodeError); !ok && (m == nil || responseTag(m.Tag) < 0) {
				t.Fatalf("request error %v without a response to carry it", err)
			}
		}
		if s, ok := m.opSearch(); ok {
			_ = s.Filter.String()
			s.Filter.Match(&memEntry{dn: "cn=x", attrs: []Attribute{attr("cn", "x")}}, testSchema{})
		}
	})
}

func (m *message) opSearch() (*SearchRequest, bool) {
	if m == nil {
		return nil, false
	}
	s, ok := m.Op.(*SearchRequest)
	return s, ok && s != nil
}

func FuzzFilter(f *testing.F) {
	for _, s := range filterStrings {
		p, err := ldap.CompileFilter(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Bytes())
	}
	f.Add(Filter{Kind: FilterSubstrings, Attr: "cn", Initial: []byte{}, Final: []byte("x")}.Encode())
	entry := mapEntry{dn: "CN=Web01,OU=Servers,DC=x", attrs: map[string][]string{
		"cn": {"Web01"}, "uidNumber": {"5"}, "whenCreated": {"20240301120000Z"}, "member": {"CN=A,DC=x"},
		"objectSid": {"\x01\x01\x00\x00\x00\x00\x00\x05\x12\x00\x00\x00"}, "isCriticalSystemObject": {"TRUE"},
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := DecodeFilter(data)
		if err != nil {
			return
		}
		_ = flt.String()
		flt.Match(entry, testSchema{})
		flt.Match(entry, chainSchema{})
		flt.Match(entry, nil)
		enc := flt.Encode()
		again, err := DecodeFilter(enc)
		if err != nil {
			t.Fatalf("re-encoded filter %s does not decode: %v", flt, err)
		}
		if !bytes.Equal(again.Encode(), enc) || again.String() != flt.String() {
			t.Fatalf("round trip changed %s into %s", flt, again)
		}
	})
}

func FuzzPagedValue(f *testing.F) {
	f.Add(pagedControl(10, []byte("cookie")).Value)
	f.Add(pagedControl(0, nil).Value)
	f.Fuzz(func(t *testing.T, data []byte) {
		size, cookie, err := decodePagedValue(data)
		if err != nil {
			return
		}
		s2, c2, err := decodePagedValue(pagedControl(size, cookie).Value)
		if err != nil || s2 != size || !bytes.Equal(c2, cookie) {
			t.Fatalf("round trip of size %d cookie %x: %d %x %v", size, cookie, s2, c2, err)
		}
	})
}

func FuzzSASLReader(f *testing.F) {
	var seed []byte
	for _, p := range rawSeeds() {
		w, _ := xorLayer{key: 1}.Wrap(p)
		seed = append(seed, byte(len(w)>>24), byte(len(w)>>16), byte(len(w)>>8), byte(len(w)))
		seed = append(seed, w...)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Conn{srv: &Server{MaxMessageSize: 1 << 16}, in: &saslReader{r: bytes.NewReader(data), l: xorLayer{key: 1}}}
		for range 100 {
			pdu, err := c.readPDU()
			if err != nil {
				return
			}
			decodeMessage(pdu)
		}
	})
}
