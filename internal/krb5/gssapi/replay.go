package gssapi

import (
	"sync"
	"time"
)

// ReplayKey identifies an authenticator for the replay cache, RFC 4120
// §3.2.3: the client, the service, and the authenticator's ctime and
// cusec.
type ReplayKey struct {
	Client, Service string
	CTime           time.Time
	CUSec           int32
}

// ReplayCache remembers authenticators until they expire. Seen records key
// and reports whether it was already there; expires is when the
// authenticator falls out of the skew window and may be forgotten, and now
// is the acceptor's clock. Implementations must be safe for concurrent use.
type ReplayCache interface {
	Seen(key ReplayKey, expires, now time.Time) bool
}

// MemoryReplayCache is an in-memory [ReplayCache]. The zero value is ready;
// it drops expired entries as it goes. One cache must be shared by every
// acceptor of a service, or it protects nothing.
type MemoryReplayCache struct {
	mu      sync.Mutex
	entries map[ReplayKey]time.Time
	sweep   time.Time
}

// Seen implements [ReplayCache].
func (c *MemoryReplayCache) Seen(key ReplayKey, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[ReplayKey]time.Time)
	}
	if now.After(c.sweep) {
		for k, e := range c.entries {
			if now.After(e) {
				delete(c.entries, k)
			}
		}
		c.sweep = now.Add(time.Minute)
	}
	key.CTime = key.CTime.UTC()
	if e, ok := c.entries[key]; ok && !now.After(e) {
		return true
	}
	c.entries[key] = expires
	return false
}

// defaultReplayCache is used by acceptors whose config names none, so
// that every acceptor of the process shares one cache.
var defaultReplayCache MemoryReplayCache
