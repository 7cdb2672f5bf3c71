package agent

import (
	"errors"
	"os"
	"syscall"
)

func owner(fi os.FileInfo) (int, int) {
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
