package msg_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
)

// readVector returns the DER of a testdata/mit vector file.
func readVector(name string) []byte {
	b, err := os.ReadFile("testdata/mit/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	_, der, _ := strings.Cut(string(b), "der:")
	out, err := hex.DecodeString(strings.Join(strings.Fields(der), ""))
	if err != nil {
		panic(err)
	}
	return out
}

// Decoding MIT's reference AS-REP (testdata/mit/as_rep.txt): the client,
// the ticket, and the pre-authentication data.
func ExampleParseKDCRep() {
	rep, err := msg.ParseKDCRep(readVector("as_rep"))
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.MsgType, rep.CName.WithRealm(rep.CRealm))
	fmt.Println("ticket for", rep.Ticket.SName.WithRealm(rep.Ticket.Realm), "kvno", *rep.Ticket.EncPart.KVNO)
	for _, pa := range rep.PAData {
		fmt.Printf("%v %q\n", pa.Type, pa.Value)
	}
	// Output:
	// AS-REP hftsai/extra@ATHENA.MIT.EDU
	// ticket for hftsai/extra@ATHENA.MIT.EDU kvno 5
	// padata-type-13 "pa-data"
	// padata-type-13 "pa-data"
}

// Building the first AS-REQ of a gMSA logon and dispatching on what comes
// back, as a transport does.
func ExampleParseMessage() {
	cname, realm, err := msg.ParsePrincipal("webapp01$@CONTOSO.COM")
	if err != nil {
		panic(err)
	}
	sname, _, _ := msg.ParsePrincipal("krbtgt/" + realm)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	req := &msg.KDCReq{
		MsgType: msg.MsgTypeASReq,
		PAData:  msg.MethodData{msg.NewPAPACRequest(true)},
		ReqBody: msg.KDCReqBody{
			KDCOptions: msg.KDCOptionForwardable | msg.KDCOptionRenewable | msg.KDCOptionCanonicalize,
			CName:      &cname, Realm: realm, SName: &sname,
			Till: now.Add(10 * time.Hour), Nonce: 1234,
			EType: []crypto.EncType{crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA196},
		},
	}
	b, err := req.Marshal()
	if err != nil {
		panic(err)
	}
	m, err := msg.ParseMessage(b)
	if err != nil {
		panic(err)
	}
	switch m := m.(type) {
	case *msg.KDCReq:
		fmt.Println(m.MsgType, m.ReqBody.CName.WithRealm(m.ReqBody.Realm), "for", m.ReqBody.SName, m.ReqBody.KDCOptions)
	case *msg.KRBError:
		fmt.Println(m.ErrorCode)
	}
	// Output:
	// AS-REQ webapp01$@CONTOSO.COM for krbtgt/CONTOSO.COM forwardable|renewable|canonicalize
}
