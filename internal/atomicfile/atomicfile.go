// Package atomicfile replaces files so that a reader — a container's
// Kerberos library, a restarted lab, a klist — sees the old content or the
// new one, never half of one, and a crash loses neither: the data goes to a
// temporary file in the same directory with its final mode (and owner),
// which is fsynced and renamed over the target, and the directory is
// fsynced so that the rename survives a power loss. Ticket caches, keytabs,
// keys, credential specs and the lab's files are all written through it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode mode.
func Write(path string, data []byte, mode os.FileMode) error {
	return WriteOwned(path, data, mode, -1, -1)
}

// WriteOwned is Write with the owner set to uid:gid (unless uid is -1)
// before the file appears under its name.
func WriteOwned(path string, data []byte, mode os.FileMode, uid, gid int) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	err = f.Chmod(mode)
	if err == nil && uid != -1 {
		err = f.Chown(uid, gid)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	SyncDir(dir)
	return nil
}

// SyncDir makes the renames in dir durable. Not every platform can sync a
// directory (Windows cannot); the rename is done either way, so a failure
// is not reported.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
