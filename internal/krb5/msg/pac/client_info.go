package pac

import (
	"encoding/binary"
	"math"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// ClientInfo is PAC_CLIENT_INFO, [MS-PAC] 2.7: the client's name and the
// ticket's authentication time, which an acceptor compares with the
// ticket's cname and authtime to tell that the PAC belongs to the ticket.
type ClientInfo struct {
	ClientID adtypes.FileTime // the ticket's authtime, to the second
	Name     string           // the client's name without realm, as in the ticket's cname
}

const clientInfoHeaderLen = 10 // ClientId (8), NameLength (2)

func parseClientInfo(b []byte) (*ClientInfo, *Error) {
	const name = "PAC_CLIENT_INFO"
	if len(b) < clientInfoHeaderLen {
		return nil, malformed(name, "%d bytes; ClientId and NameLength need %d", len(b), clientInfoHeaderLen)
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n%2 != 0 {
		return nil, malformed(name+".NameLength", "%d is odd; Name is UTF-16", n)
	}
	if len(b) != clientInfoHeaderLen+n {
		return nil, malformed(name+".NameLength", "%d, but %d bytes follow", n, len(b)-clientInfoHeaderLen)
	}
	return &ClientInfo{
		ClientID: adtypes.FileTime(binary.LittleEndian.Uint64(b)),
		Name:     decodeUTF16(b[clientInfoHeaderLen:]),
	}, nil
}

func (c *ClientInfo) marshal() ([]byte, *Error) {
	name, err := utf16Field("marshal", "PAC_CLIENT_INFO.Name", c.Name, math.MaxUint16-1)
	if err != nil {
		return nil, err
	}
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, clientInfoHeaderLen+len(name)), uint64(c.ClientID))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	return append(b, name...), nil
}
