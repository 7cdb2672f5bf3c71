package agent

import (
	"os"
	"path/filepath"

	"github.com/opengmsa/gmsa/internal/atomicfile"
)

// writeFileAtomic writes data to dir/name atomically (a reader — a
// container's Kerberos library — sees the old file or the new one, never
// half of one), with mode and, when uid is not -1, the owner uid:gid.
func writeFileAtomic(dir, name string, data []byte, mode os.FileMode, uid, gid int) error {
	return atomicfile.WriteOwned(filepath.Join(dir, name), data, mode, uid, gid)
}

// makeDir creates dir with mode and owner, or fixes them on an existing one.
func makeDir(dir string, mode os.FileMode, uid, gid int) error {
	if err := os.Mkdir(dir, mode); err != nil && !os.IsExist(err) {
		return err
	}
	if err := os.Chmod(dir, mode); err != nil {
		return err
	}
	if uid != -1 {
		return os.Chown(dir, uid, gid)
	}
	return nil
}
