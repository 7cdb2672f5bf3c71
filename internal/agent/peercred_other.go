//go:build !linux

package agent

import (
	"errors"
	"net"
)

// peerCredentials needs SO_PEERCRED, which is Linux-only: elsewhere every
// caller is refused.
func peerCredentials(net.Conn) (Caller, error) {
	return Caller{}, errors.New("peer credentials (SO_PEERCRED) are supported on Linux only")
}
