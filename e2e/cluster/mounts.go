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

// mountsUnder lists the mount points at or below dir, deepest first, so
// that unmounting them in order never meets a busy parent.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var points []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		p := UnescapeMountPath(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	sort.Slice(points, func(i, j int) bool { return strings.Count(points[i], "/") > strings.Count(points[j], "/") })
	return points
}

// unmountAll detaches every mount below dir: container root filesystems,
// memory-backed volumes, pod network namespaces, shm. Detaching (lazy)
// succeeds even while something still holds a mount open.
// It returns the mount points it detached.
func unmountAll(dir string) []string {
	var detached []string
	for round := 0; round < 3; round++ {
		points := mountsUnder(dir)
		if len(points) == 0 {
			break
		}
		for _, p := range points {
			if syscall.Unmount(p, syscall.MNT_DETACH) == nil {
				detached = append(detached, p)
			}
		}
	}
	return detached
}

// UnescapeMountPath undoes mountinfo's octal escapes (\040 is a space).
func UnescapeMountPath(p string) string {
	if !strings.Contains(p, `\`) {
		return filepath.Clean(p)
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+3 < len(p) {
			if n, err := strconv.ParseUint(p[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
