package cluster

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// cgroupFor is the cgroupfs path (kubelet cgroupRoot) of a cluster directory:
// unique per cluster, and derivable from the directory alone so that the
// parent process can clean up after a child that died.
func cgroupFor(dir string) string { return "/kvenv-" + filepath.Base(dir) }

// cgroupMounts lists the mount points of every cgroup hierarchy (v1
// controllers and, on hybrid hosts, the unified v2 one).
func cgroupMounts() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		for i, field := range fields {
			if field == "-" && i+1 < len(fields) && strings.HasPrefix(fields[i+1], "cgroup") {
				mounts = append(mounts, fields[4])
			}
		}
	}
	return mounts, s.Err()
}

// createCgroup makes cgroup in every hierarchy: the kubelet refuses a
// cgroupRoot that does not exist. A new v1 cpuset starts with no CPUs and
// no memory nodes, so it gets its parent's.
func createCgroup(cgroup string) error {
	mounts, err := cgroupMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		dir := filepath.Join(m, cgroup)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if parent, err := os.ReadFile(filepath.Join(m, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dir, f), parent, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cgroupPIDs lists every process in cgroup or below it, in any hierarchy.
func cgroupPIDs(cgroup string) []int {
	mounts, _ := cgroupMounts()
	seen := map[int]bool{}
	for _, m := range mounts {
		_ = filepath.WalkDir(filepath.Join(m, cgroup), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			for _, pid := range readPIDs(p) {
				seen[pid] = true
			}
			return nil
		})
	}
	pids := make([]int, 0, len(seen))
	for pid := range seen {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids
}

func readPIDs(path string) []int {
	data, _ := os.ReadFile(path)
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeCgroup deletes cgroup and its children (deepest first) everywhere.
// Only empty cgroups can go, so it runs after their processes are killed.
func removeCgroup(cgroup string) {
	mounts, _ := cgroupMounts()
	for _, m := range mounts {
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(m, cgroup), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = syscall.Rmdir(dirs[i])
		}
	}
}
