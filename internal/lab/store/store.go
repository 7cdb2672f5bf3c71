package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configures a Store. The zero value is the production setting.
type Options struct {
	// Now is the clock for whenCreated/whenChanged; default time.Now.
	Now func() time.Time
	// Rand is the source of objectGUIDs; default crypto/rand.
	Rand io.Reader
	// LockTimeout bounds the wait for the file lock; default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. For benchmarks and throw-away
	// databases only: an acknowledged write may then be lost in a crash.
	NoSync bool
}

// Store is an open lab database.
type Store struct {
	db   *bbolt.DB
	path string
	now  func() time.Time
	rand io.Reader
}

// Bucket names. Entries, roots (naming-context roots, by key), meta (the
// caller's key/values), sys (the store's own counters) and index (one
// sub-bucket per indexed attribute).
var (
	bucketEntries = []byte("entries")
	bucketRoots   = []byte("roots")
	bucketMeta    = []byte("meta")
	bucketSys     = []byte("sys")
	bucketIndex   = []byte("index")

	sysFormat = []byte("format")
	sysUSN    = []byte("usn")
	sysCount  = []byte("count")
)

// formatVersion is the database layout version kept in sys/format.
const formatVersion = 1

// Open opens the database file at path, creating it (mode 0600) when it
// does not exist. It refuses a directory, and fails after about a second
// with an error matching ErrInUse when another process has it open.
func Open(path string, opt Options) (*Store, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("lab database %s is a directory, not a database file", path)
	}
	timeout := opt.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, NoSync: opt.NoSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &messageError{msg: fmt.Sprintf("lab database %s is in use by another process", path), err: ErrInUse}
	}
	if err != nil {
		return nil, fmt.Errorf("lab database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: opt.Now, rand: opt.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketEntries, bucketRoots, bucketMeta, bucketSys, bucketIndex} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		idx := tx.Bucket(bucketIndex)
		for _, a := range indexes {
			if _, err := idx.CreateBucketIfNotExists([]byte(a.name)); err != nil {
				return err
			}
		}
		sys := tx.Bucket(bucketSys)
		switch v := sys.Get(sysFormat); {
		case v == nil:
			return sys.Put(sysFormat, binary.BigEndian.AppendUint64(nil, formatVersion))
		case len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion:
			return fmt.Errorf("format version %x is not %d (written by a newer gmsa?)", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("lab database %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database and releases its lock.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// View runs fn in a read-only transaction: a consistent snapshot.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(btx *bbolt.Tx) error { return fn(s.wrap(btx)) })
}

// Update runs fn in a read-write transaction. When fn returns an error
// nothing is written; when Update returns nil the changes are on disk
// (fsynced, unless Options.NoSync).
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(btx *bbolt.Tx) error { return fn(s.wrap(btx)) })
}

func (s *Store) wrap(btx *bbolt.Tx) *Tx {
	return &Tx{
		s:       s,
		btx:     btx,
		entries: btx.Bucket(bucketEntries),
		roots:   btx.Bucket(bucketRoots),
		meta:    btx.Bucket(bucketMeta),
		sys:     btx.Bucket(bucketSys),
		index:   btx.Bucket(bucketIndex),
	}
}
