//go:build !unix

package postgres

import "os/exec"

// runAs is a no-op where there is no root to drop (Windows); Start only
// asks for it when running as root.
func runAs(*exec.Cmd, uint32, uint32) {}
