//go:build unix

package postgres

import (
	"os/exec"
	"syscall"
)

// runAs makes cmd run as uid:gid (PostgreSQL refuses to run as root).
func runAs(cmd *exec.Cmd, uid, gid uint32) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
}
