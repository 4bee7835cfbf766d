package cluster

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// tailLines is how much of a log an error or failure report shows.
const tailLines = 40

// tailBytes bounds how much of a big log tail reads.
const tailBytes = 64 << 10

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > tailBytes {
		_, _ = f.Seek(-tailBytes, io.SeekEnd)
	}
	data, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// LogFiles lists the component logs of the cluster (etcd.log, kubelet.log, ...).
func (c *Cluster) LogFiles() []string {
	files, _ := filepath.Glob(filepath.Join(c.LogDir, "*.log"))
	sort.Strings(files)
	return files
}

// ReportLogs hands the last lines of every component log to logf; tests
// call it when they fail, so the cause is in the test output.
func (c *Cluster) ReportLogs(logf func(format string, args ...any)) {
	for _, f := range c.LogFiles() {
		logf("---- last %d lines of %s ----\n%s", tailLines, f, tail(f, tailLines))
	}
}

// CopyLogs copies the component logs into dir (test artefacts that outlive Stop).
func (c *Cluster) CopyLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range c.LogFiles() {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
