package store

import (
	"errors"
	"fmt"
)

// Errors returned (wrapped with the DN or attribute concerned) by the
// methods of [Tx]; test for them with errors.Is.
var (
	// ErrNotFound: no entry has the DN.
	ErrNotFound = errors.New("no such entry")
	// ErrExists: an entry with the DN already exists.
	ErrExists = errors.New("entry already exists")
	// ErrNoParent: the parent of a new or renamed entry does not exist.
	ErrNoParent = errors.New("parent entry does not exist")
	// ErrNotLeaf: the entry to delete has children.
	ErrNotLeaf = errors.New("entry has children")
	// ErrNotIndexed: Lookup on an attribute that has no index.
	ErrNotIndexed = errors.New("attribute is not indexed")
	// ErrStop, returned by a Walk callback, ends the walk without error.
	ErrStop = errors.New("stop walk")
	// ErrSkipSubtree, returned by a Walk callback in a subtree walk, skips
	// the children of the entry just visited (as filepath.SkipDir does).
	ErrSkipSubtree = errors.New("skip subtree")
	// ErrInUse: another process holds the database's lock.
	ErrInUse = errors.New("database in use by another process")
	// ErrCorrupt: a stored record or index does not decode or disagrees
	// with the entries; the error is a *CorruptError.
	ErrCorrupt = errors.New("corrupt database record")
)

// CorruptError reports a stored record that does not decode, or an index
// that disagrees with the entries. Key is the bucket key concerned.
type CorruptError struct {
	Key    []byte // bucket key (an entry key is the reversed normalized DN)
	Reason string
}

// Error names the key and the problem.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("lab store: corrupt record %s: %s", keyText(e.Key), e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// messageError is an error with its own message that matches err.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }
