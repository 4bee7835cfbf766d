package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// testStopLeavesNothing stops c and checks, from /proc, the cgroup and mount
// tables and the shared host directories, that no process, mount, cgroup or
// file of it is left. It first records the pause and shim processes, the
// shims' sockets, the cgroups and the host files that exist, so it cannot
// pass vacuously.
func testStopLeavesNothing(t *testing.T, c *Cluster) {
	pause, shims := processesByCommand(c.cgroup, "/pause"), processesMentioningCommand(c.Dir, "containerd-shim-runc-v2")
	if len(pause) == 0 || len(shims) == 0 {
		t.Fatalf("before Stop: %d /pause and %d shim processes; the deployment's pod should have one of each", len(pause), len(shims))
	}
	sockets := shimSockets(t, shims)
	mounts, err := cgroupMounts()
	if err != nil || len(mounts) == 0 {
		t.Fatalf("no cgroup hierarchy to check (%v)", err)
	}
	if dirs := existingCgroupDirs(mounts, c.cgroup); len(dirs) != len(mounts) {
		t.Fatalf("before Stop: cgroup %s exists in %d of the %d hierarchies %v", c.cgroup, len(dirs), len(mounts), mounts)
	}
	if links, results := hostFilesMentioning(c.Dir); len(links) == 0 || len(results) == 0 {
		t.Fatalf("before Stop: %d container log links and %d CNI results of %s; the running pods should have some of each", len(links), len(results), c.Dir)
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
	if left := existingCgroupDirs(mounts, c.cgroup); len(left) > 0 {
		t.Errorf("cgroup %s still exists after Stop: %v", c.cgroup, left)
	}
	links, results := hostFilesMentioning(c.Dir)
	for _, p := range append(append(links, results...), existing(sockets)...) {
		t.Errorf("%s, left by the cluster in a shared host directory, still exists after Stop", p)
	}
}

// existingCgroupDirs lists the directories of cgroup that exist in the
// hierarchies mounted at mounts.
func existingCgroupDirs(mounts []string, cgroup string) []string {
	var dirs []string
	for _, m := range mounts {
		if _, err := os.Stat(filepath.Join(m, cgroup)); err == nil {
			dirs = append(dirs, filepath.Join(m, cgroup))
		}
	}
	return dirs
}

// hostFilesMentioning lists the container log links that point below dir,
// and the CNI results whose content names dir: read here byte for byte,
// independently of how Stop finds them.
func hostFilesMentioning(dir string) (links, results []string) {
	entries, _ := os.ReadDir(sharedHostDirs.containerLogs)
	for _, e := range entries {
		p := filepath.Join(sharedHostDirs.containerLogs, e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, dir+"/") {
			links = append(links, p)
		}
	}
	entries, _ = os.ReadDir(sharedHostDirs.cniResults)
	for _, e := range entries {
		p := filepath.Join(sharedHostDirs.cniResults, e.Name())
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), dir+"/") {
			results = append(results, p)
		}
	}
	return links, results
}

// shimSockets are the sockets of the running shims, named from their
// command lines (-namespace, -id, -address); each must exist, which also
// proves shimSocketName right.
func shimSockets(t *testing.T, shims []int) []string {
	t.Helper()
	var sockets []string
	for _, pid := range shims {
		args := strings.Fields(cmdline(pid))
		flag := func(name string) string {
			if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
				return args[i+1]
			}
			t.Fatalf("shim %d has no %s argument: %q", pid, name, args)
			return ""
		}
		p := filepath.Join(sharedHostDirs.shimSockets, shimSocketName(flag("-address"), flag("-namespace")+"/"+flag("-id"), false))
		if _, err := os.Lstat(p); err != nil {
			t.Fatalf("before Stop: shim %d (%q) has no socket %s: %v", pid, args, p, err)
		}
		sockets = append(sockets, p)
	}
	return sockets
}

func existing(paths []string) []string {
	var left []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			left = append(left, p)
		}
	}
	return left
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
