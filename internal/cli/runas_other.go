//go:build !unix

package cli

import (
	"errors"
	"os/exec"
)

func runAs(*exec.Cmd, int, int) error {
	return errors.New("running the command as another user is supported on Unix only")
}
