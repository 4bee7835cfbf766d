package cluster

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// killRounds bounds how often reaping looks again for processes that a
// dying one might have forked.
const killRounds = 20

// processesMentioning lists the processes whose command line contains dir:
// every component, and every containerd shim (its -address is in dir).
func processesMentioning(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	needle := []byte(dir + "/")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killAll SIGKILLs what list returns until it returns nothing (bounded),
// and returns how many processes it killed.
func killAll(list func() []int) int {
	killed := map[int]bool{}
	for round := 0; round < killRounds; round++ {
		pids := list()
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed[pid] = true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return len(killed)
}

// reapClusterDir removes the traces of a cluster that its directory alone
// identifies: processes in its pod cgroup, processes naming the directory
// (shims, components), mounts below it, its cgroups, what it left in the
// shared host directories (sharedHostDirs: container log links, shim
// sockets, CNI results), and the directory itself unless keep. Stop ends
// with it; the parent runs it after its child.
func reapClusterDir(dir string, keep bool, logf func(string, ...any)) {
	cgroup := cgroupFor(dir)
	if n := killAll(func() []int { return cgroupPIDs(cgroup) }); n > 0 {
		logf("killed %d leftover pod processes of %s", n, dir)
	}
	if n := killAll(func() []int { return processesMentioning(dir) }); n > 0 {
		logf("killed %d leftover processes running from %s", n, dir)
	}
	if points := unmountAll(dir); len(points) > 0 {
		logf("unmounted %d leftover mounts below %s: %v", len(points), dir, points)
	}
	removeCgroup(cgroup)
	if removed := sharedHostDirs.removeClusterFiles(dir); len(removed) > 0 {
		logf("removed %d files that %s left in the shared host directories: %v", len(removed), dir, removed)
	}
	if keep {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		logf("removing %s: %v", dir, err)
	}
}

// reapWorkDir reaps every cluster below the work directory of Main, then
// removes it (after a child that panicked or was killed, nothing else will).
func reapWorkDir(workDir string, logf func(string, ...any)) {
	clusters, _ := filepath.Glob(filepath.Join(workDir, "cluster-*"))
	for _, dir := range clusters {
		keep := fileExists(filepath.Join(dir, keepMarker))
		reapClusterDir(dir, keep, logf)
		if keep {
			logf("kept %s", dir)
		}
	}
	if len(clusters) == 0 || !anyKept(clusters) {
		if err := os.RemoveAll(workDir); err != nil {
			logf("removing %s: %v", workDir, err)
		}
	}
}

// keepMarker in a cluster directory asks the parent's reaping to leave it.
const keepMarker = ".keep"

func anyKept(dirs []string) bool {
	for _, d := range dirs {
		if fileExists(filepath.Join(d, keepMarker)) {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
