package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// typicalValues is the size of each value file in the typical pod (3
// references): a password, a URL, a user name fit well within it.
const (
	typicalRefs      = 3
	typicalValueSize = 64
)

// BenchmarkExecOverhead measures what kvenv-exec adds in front of an app:
// it runs a tiny static target directly and behind the wrapper (built as
// the image builds it, with a volume of 3 values), alternately, and
// reports the medians and their difference: the time from exec'ing the
// wrapper to the target's first instruction, beyond what the target's own
// exec costs. It also reports the wrapper's size and the memory the
// pod's volume takes (wrapper plus values, as tmpfs charges it).
func BenchmarkExecOverhead(b *testing.B) {
	dir := b.TempDir()
	wrapper := buildCmd(b, dir, "github.com/kvenv/kvenv/cmd/kvenv-exec")
	target := writeTinyTarget(b, dir)
	vol, volumeBytes := typicalVolume(b, wrapper)
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "KVENV_DIR=" + vol}
	var direct, wrapped []time.Duration
	for b.Loop() {
		direct = append(direct, spawn(b, target, []string{target}, env))
		wrapped = append(wrapped, spawn(b, wrapper, []string{wrapper, "--", target}, env))
	}
	st, err := os.Stat(wrapper)
	if err != nil {
		b.Fatal(err)
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(median(direct)), "direct-µs")
	b.ReportMetric(us(median(wrapped)), "wrapped-µs")
	b.ReportMetric(us(median(wrapped)-median(direct)), "overhead-µs")
	b.ReportMetric(float64(st.Size()), "wrapper-bytes")
	b.ReportMetric(float64(volumeBytes), "volume-bytes")
}

// spawn runs argv and waits; the time is fork to reaped exit.
func spawn(b *testing.B, path string, argv, env []string) time.Duration {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	fd := devnull.Fd()
	start := time.Now()
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: []uintptr{fd, fd, fd}})
	if err != nil {
		b.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if ws.ExitStatus() != 0 {
		b.Fatalf("%s exited %d", strings.Join(argv, " "), ws.ExitStatus())
	}
	return elapsed
}

// typicalVolume lays the volume out as kvenv-init leaves it, on tmpfs
// (/dev/shm) when there is one, and returns it with the bytes it occupies.
func typicalVolume(b *testing.B, wrapper string) (string, int64) {
	parent := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		parent = "/dev/shm"
	}
	vol, err := os.MkdirTemp(parent, "kvenv-bench-volume-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(vol) })
	exe, err := os.ReadFile(wrapper)
	if err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{"bin/kvenv-exec": exe, ".done": []byte("done\n")}
	for i := range typicalRefs {
		files[fmt.Sprintf("env/SECRET_%d", i)] = []byte(strings.Repeat("v", typicalValueSize))
	}
	var used int64
	for name, content := range files {
		p := filepath.Join(vol, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o555); err != nil {
			b.Fatal(err)
		}
		used += diskUsage(b, p)
	}
	return vol, used
}

// diskUsage is what the file occupies: tmpfs charges whole pages.
func diskUsage(b *testing.B, path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		b.Fatal(err)
	}
	return st.Blocks * 512
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
