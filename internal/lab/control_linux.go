//go:build linux

package lab

import (
	"net"
	"syscall"
)

// peerUID returns the uid of the process at the other end of a Unix
// socket connection (SO_PEERCRED); ok is false when it cannot be known.
func peerUID(c net.Conn) (uid int, ok bool, err error) {
	uc, isUnix := c.(*net.UnixConn)
	if !isUnix {
		return -1, false, nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, false, err
	}
	var cred *syscall.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return -1, false, err
	}
	if gerr != nil {
		return -1, false, gerr
	}
	return int(cred.Uid), true, nil
}
