// This cross-check uses gokrb5 v8.4.4's pac package as an oracle (test-only
// dependency, with github.com/jcmturner/rpc/v2 which it imports): PACs we
// sign must verify there, and it must decode the same fields we do.

package pac

import (
	"bytes"
	"io"
	"log"
	"slices"
	"strings"
	"testing"

	gokrb5pac "github.com/jcmturner/gokrb5/v8/pac"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
)

func gokrb5Key(k crypto.Key) types.EncryptionKey {
	return types.EncryptionKey{KeyType: int32(k.Type), KeyValue: k.Bytes()}
}

// gokrb5Decode runs gokrb5's whole PAC processing, which decodes every
// buffer and then verifies the server signature with key.
func gokrb5Decode(t *testing.T, raw []byte, key types.EncryptionKey) (*gokrb5pac.PACType, error) {
	t.Helper()
	var gp gokrb5pac.PACType
	if err := gp.Unmarshal(raw); err != nil {
		t.Fatalf("gokrb5 PACType.Unmarshal: %v", err)
	}
	err := gp.ProcessPACInfoBuffers(key, log.New(io.Discard, "", 0))
	return &gp, err
}

// sameAsGokrb5 compares what both decoders read.
func sameAsGokrb5(t *testing.T, p *PAC, gp *gokrb5pac.PACType) {
	t.Helper()
	k := gp.KerbValidationInfo
	if k == nil {
		t.Fatal("gokrb5 found no KerbValidationInfo")
	}
	li := p.LogonInfo
	if k.EffectiveName.Value != li.EffectiveName || k.FullName.Value != li.FullName || k.UserID != li.UserID ||
		k.PrimaryGroupID != li.PrimaryGroupID || k.LogonDomainName.Value != li.LogonDomainName ||
		k.LogonServer.Value != li.LogonServer || k.LogonDomainID.String() != li.LogonDomainID.String() ||
		k.UserFlags != li.UserFlags || k.UserAccountControl != li.UserAccountControl {
		t.Errorf("gokrb5 reads the logon info as %+v\nwe read %+v", k, li)
	}
	var ours []string
	for _, s := range li.GroupSIDs() {
		ours = append(ours, s.String())
	}
	if theirs := k.GetGroupMembershipSIDs(); !slices.Equal(theirs, ours) {
		t.Errorf("group SIDs:\ngokrb5 %v\n   we %v", theirs, ours)
	}
	if p.ClientInfo != nil && (gp.ClientInfo == nil || gp.ClientInfo.Name != p.ClientInfo.Name) {
		t.Errorf("client info: gokrb5 %+v, we %+v", gp.ClientInfo, p.ClientInfo)
	}
	if p.UPNDNSInfo != nil && (gp.UPNDNSInfo == nil || gp.UPNDNSInfo.UPN != p.UPNDNSInfo.UPN || gp.UPNDNSInfo.DNSDomain != p.UPNDNSInfo.DNSDomainName) {
		t.Errorf("UPN DNS info: gokrb5 %+v, we %+v", gp.UPNDNSInfo, p.UPNDNSInfo)
	}
}

// A PAC we build and sign decodes in gokrb5 to the same identity, and
// gokrb5 accepts its server signature (and rejects it once altered).
func TestGokrb5AcceptsOurSignedPACs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ server, kdc crypto.EncType }{
		{crypto.AES256CTSHMACSHA196, crypto.AES256CTSHMACSHA196},
		{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196},
		{crypto.AES256CTSHMACSHA196, crypto.RC4HMAC},
		{crypto.RC4HMAC, crypto.RC4HMAC},
	} {
		t.Run(c.server.String()+" and "+c.kdc.String(), func(t *testing.T) {
			t.Parallel()
			server, kdc := testKey(t, c.server, 1), testKey(t, c.kdc, 50)
			p := validPAC()
			raw, err := p.Sign(server, kdc)
			if err != nil {
				t.Fatal(err)
			}
			gp, err := gokrb5Decode(t, raw, gokrb5Key(server))
			if err != nil {
				t.Fatalf("gokrb5 rejects our PAC: %v", err)
			}
			sameAsGokrb5(t, p, gp)
			if _, err := gokrb5Decode(t, raw, gokrb5Key(testKey(t, c.server, 2))); err == nil {
				t.Error("gokrb5 accepts our PAC with another key")
			}
			altered := bytes.Clone(raw)
			dataOf(altered, BufferClientInfo)[12] ^= 1
			if _, err := gokrb5Decode(t, altered, gokrb5Key(server)); err == nil {
				t.Error("gokrb5 accepts an altered PAC")
			}
		})
	}
}

// Every captured PAC decodes alike in gokrb5 and here.
func TestGokrb5DecodesTheVectorsAlike(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		if !v.has("pac") {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			raw := v.hex(t, "pac")
			p, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			key := types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
			if v.has("server-key") {
				key = gokrb5Key(v.key(t, "server-key"))
			}
			gp, err := gokrb5Decode(t, raw, key)
			if v.has("server-key") && err != nil {
				t.Fatalf("gokrb5 rejects the vector with its key: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("gokrb5 cannot decode the vector: %v", err)
			}
			sameAsGokrb5(t, p, gp)
		})
	}
}
