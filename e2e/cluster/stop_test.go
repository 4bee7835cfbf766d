package cluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testStopLeavesNothing stops c and checks, from /proc and the cgroup and
// mount tables, that no process, mount, cgroup or file of it is left. It
// first records the pause and shim processes that run, so it cannot pass
// vacuously.
func testStopLeavesNothing(t *testing.T, c *Cluster) {
	pause, shims := processesByCommand(c.cgroup, "/pause"), processesMentioningCommand(c.Dir, "containerd-shim-runc-v2")
	if len(pause) == 0 || len(shims) == 0 {
		t.Fatalf("before Stop: %d /pause and %d shim processes; the deployment's pod should have one of each", len(pause), len(shims))
	}
	c.Stop()
	for _, pid := range append(pause, shims...) {
		if cmd := cmdline(pid); cmd != "" {
			t.Errorf("process %d (%s) still runs after Stop", pid, cmd)
		}
	}
	if left := processesInCgroup(c.cgroup); len(left) > 0 {
		t.Errorf("processes still in cgroup %s after Stop: %v", c.cgroup, left)
	}
	if left := processesMentioning(c.Dir); len(left) > 0 {
		t.Errorf("processes still run from %s after Stop: %v", c.Dir, left)
	}
	if left := mountsUnder(c.Dir); len(left) > 0 {
		t.Errorf("mounts left below %s: %v", c.Dir, left)
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Stop (%v)", c.Dir, err)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", c.cgroup)); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still exists after Stop (%v)", c.cgroup, err)
	}
}

// processesInCgroup reads every /proc/<pid>/cgroup, independently of the
// cgroup.procs files that Stop uses.
func processesInCgroup(cgroup string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if strings.Contains(string(data), ":"+cgroup+"/") || strings.Contains(string(data), ":"+cgroup+"\n") {
			pids = append(pids, pid)
		}
	}
	return pids
}

func processesByCommand(cgroup, command string) []int {
	var pids []int
	for _, pid := range processesInCgroup(cgroup) {
		if cmdline(pid) == command {
			pids = append(pids, pid)
		}
	}
	return pids
}

func processesMentioningCommand(dir, command string) []int {
	var pids []int
	for _, pid := range processesMentioning(dir) {
		if strings.Contains(cmdline(pid), command) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cmdline is the command line of pid, space-separated; empty when gone.
func cmdline(pid int) string {
	data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
}
