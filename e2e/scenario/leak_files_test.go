package scenario

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvenv/kvenv/e2e/cluster"
)

// maxScannedFile bounds one file read whole (etcd's WAL segments are 64 MiB).
const maxScannedFile = 256 << 20

// fileScan is what a walk over a directory tree read.
type fileScan struct {
	files, bytes int
	skipped      []string            // memory-backed mounts left out
	found        map[string][]string // needle → files holding it
	match        matcher
}

// scanTree reads every regular file below root and records which needles
// match returns for it. Memory-backed mounts (tmpfs: the pods' kvenv
// volumes, projected tokens, the database's data) are skipped when
// skipMemory is set: values may and must live there.
func scanTree(root string, skipMemory bool, match matcher) (*fileScan, error) {
	scan := &fileScan{found: map[string][]string{}, match: match}
	memory := map[string]bool{}
	if skipMemory {
		var err error
		if memory, err = tmpfsMounts(); err != nil {
			return nil, err
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // vanished while walking (a pod going away)
		}
		if d.IsDir() && memory[path] {
			scan.skipped = append(scan.skipped, path)
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			scan.file(path)
		}
		return nil
	})
	return scan, err
}

func (s *fileScan) file(path string) {
	st, err := os.Stat(path)
	if err != nil || st.Size() > maxScannedFile {
		if err == nil {
			s.found["(too big to scan)"] = append(s.found["(too big to scan)"], path)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	s.files++
	s.bytes += len(data)
	for _, needle := range s.match(string(data)) {
		s.found[needle] = append(s.found[needle], path)
	}
}

// tmpfsMounts lists the mount points of memory-backed file systems.
func tmpfsMounts() (map[string]bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	points := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		left, right, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(left), strings.Fields(right)
		if !ok || len(fields) < 5 || len(after) < 1 {
			continue
		}
		if after[0] == "tmpfs" || after[0] == "ramfs" {
			points[cluster.UnescapeMountPath(fields[4])] = true
		}
	}
	return points, sc.Err()
}

func (s *fileScan) String() string {
	return fmt.Sprintf("%d files, %d MiB, %d memory-backed mounts skipped", s.files, s.bytes>>20, len(s.skipped))
}
