//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// runAs makes cmd run as uid:gid with no supplementary groups, as
// `docker run --user UID:GID` does.
func runAs(cmd *exec.Cmd, uid, gid int) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	return nil
}
