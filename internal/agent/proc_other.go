//go:build !linux

package agent

import "errors"

// processStart needs /proc: leases cannot be tied to a process elsewhere.
func processStart(int) (uint64, error) {
	return 0, errors.New("tying a lease to a process is supported on Linux only")
}
