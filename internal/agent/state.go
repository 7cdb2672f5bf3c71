package agent

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StateFile is the lease database's name in the state directory.
const StateFile = "state.db"

var leasesBucket = []byte("leases")

// store persists leases (their requests and owners; never tickets or keys)
// in a bbolt file, so that a restarted agent restores them.
type store struct{ db *bolt.DB }

func openStore(dir string) (*store, error) {
	path := filepath.Join(dir, StateFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("agent: state database %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(leasesBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("agent: state database %s: %w", path, err)
	}
	return &store{db}, nil
}

func (s *store) put(l *Lease) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(leasesBucket).Put([]byte(l.ID), b) })
}

func (s *store) delete(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(leasesBucket).Delete([]byte(id)) })
}

func (s *store) all() ([]*Lease, error) {
	var out []*Lease
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(leasesBucket).ForEach(func(k, v []byte) error {
			var l Lease
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("agent: state database: lease %q: %w", k, err)
			}
			out = append(out, &l)
			return nil
		})
	})
	return out, err
}

func (s *store) close() error { return s.db.Close() }
