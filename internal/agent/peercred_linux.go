package agent

import (
	"fmt"
	"net"
	"os/user"
	"strconv"
	"syscall"
)

// peerCredentials identifies the process at the other end of a Unix socket
// with SO_PEERCRED: the kernel records its uid and gid at connect time, so
// a client cannot claim another's. The supplementary groups come from the
// group database (they are not part of SO_PEERCRED); a uid without an
// entry has none.
func peerCredentials(c net.Conn) (Caller, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Caller{}, fmt.Errorf("not a Unix socket connection: %T", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Caller{}, err
	}
	var cred *syscall.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Caller{}, err
	}
	if serr != nil {
		return Caller{}, fmt.Errorf("SO_PEERCRED: %w", serr)
	}
	caller := Caller{UID: int(cred.Uid), GID: int(cred.Gid), PID: int(cred.Pid)}
	if u, err := user.LookupId(strconv.Itoa(caller.UID)); err == nil {
		if gids, err := u.GroupIds(); err == nil {
			for _, g := range gids {
				if n, err := strconv.Atoi(g); err == nil {
					caller.Groups = append(caller.Groups, n)
				}
			}
		}
	}
	return caller, nil
}
