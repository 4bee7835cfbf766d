package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvenv/kvenv/e2e/cluster"
)

// maxEventBytes bounds what the recorder keeps of `ctr events`.
const maxEventBytes = 16 << 20

// taskEvents records containerd's task events (start, exit) with their
// nanosecond timestamps, for timings finer than the API's seconds.
type taskEvents struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (e *taskEvents) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.buf.Len()+len(p) <= maxEventBytes {
		e.buf.Write(p)
	}
	return len(p), nil
}

// recordTaskEvents runs `ctr events` against the cluster's containerd until t ends.
func recordTaskEvents(t *testing.T, c *cluster.Cluster) *taskEvents {
	e := &taskEvents{}
	cmd := exec.Command(filepath.Join(cluster.ToolsBinDir(), "ctr"),
		"--address", filepath.Join(c.Dir, "containerd", "containerd.sock"), "--namespace", "k8s.io", "events")
	cmd.Stdout = e
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting ctr events: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return e
}

// ctrTimeLayout is how ctr prints an event's time (time.Time's String).
const ctrTimeLayout = "2006-01-02 15:04:05.999999999 -0700 MST"

// startToExit is the time from the /tasks/start to the /tasks/exit event of
// the container's main process.
func (e *taskEvents) startToExit(containerID string) (time.Duration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var start, exit time.Time
	sc := bufio.NewScanner(bytes.NewReader(e.buf.Bytes()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 7) // date time offset zone namespace topic json
		if len(f) < 7 || (f[5] != "/tasks/start" && f[5] != "/tasks/exit") {
			continue
		}
		var ev struct {
			ContainerID string `json:"container_id"`
			ID          string `json:"id"`
		}
		if json.Unmarshal([]byte(f[6]), &ev) != nil || ev.ContainerID != containerID || (ev.ID != "" && ev.ID != containerID) {
			continue
		}
		at, err := time.Parse(ctrTimeLayout, strings.Join(f[:4], " "))
		if err != nil {
			return 0, fmt.Errorf("event time %q: %w", strings.Join(f[:4], " "), err)
		}
		if f[5] == "/tasks/start" {
			start = at
		} else {
			exit = at
		}
	}
	if start.IsZero() || exit.IsZero() {
		return 0, fmt.Errorf("no start and exit events of container %s among %d bytes of events", containerID, e.buf.Len())
	}
	return exit.Sub(start), nil
}
