package agent

import "time"

// orphanCheck is how often leases tied to their creating process are
// checked.
const orphanCheck = 5 * time.Second

// collectOrphans deletes the leases tied to a process that has been gone
// for the orphan TTL, and returns when it wants to look again.
func (a *Agent) collectOrphans(now time.Time) time.Time {
	a.mu.Lock()
	if a.orphanSince == nil {
		a.orphanSince = map[string]time.Time{}
	}
	var tied []*Lease
	for _, l := range a.leases {
		if l.CreatorPID != 0 {
			tied = append(tied, l)
		}
	}
	a.mu.Unlock()
	next := now.Add(maxSleep)
	if len(tied) == 0 {
		return next
	}
	next = now.Add(min(orphanCheck, a.opt.OrphanTTL))
	for _, l := range tied {
		start, err := processStart(l.CreatorPID)
		alive := err == nil && start == l.CreatorStart
		a.mu.Lock()
		since, seen := a.orphanSince[l.ID]
		switch {
		case alive:
			delete(a.orphanSince, l.ID)
		case !seen:
			a.orphanSince[l.ID] = now
			since = now
		}
		a.mu.Unlock()
		if alive {
			continue
		}
		expire := since.Add(a.opt.OrphanTTL)
		if now.Before(expire) {
			if expire.Before(next) {
				next = expire
			}
			continue
		}
		a.log.Info("lease's process is gone: deleting the lease", "id", l.ID, "pid", l.CreatorPID)
		if err := a.Delete(Caller{}, l.ID); err != nil {
			a.log.Warn("deleting an orphaned lease", "id", l.ID, "err", err)
		}
		a.mu.Lock()
		delete(a.orphanSince, l.ID)
		a.mu.Unlock()
	}
	return next
}
