package agent

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// processStart returns a process's start time in clock ticks after boot
// (field 22 of /proc/PID/stat): with the pid it names one process for the
// whole uptime, since pids are reused but never at the same start time.
func processStart(pid int) (uint64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("pid %d unknown", pid)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold anything,
	// spaces and parentheses included: the fields after it follow the
	// last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	const startTime = 22 - 3 // f[0] is field 3, the state
	if len(f) <= startTime {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return strconv.ParseUint(f[startTime], 10, 64)
}
