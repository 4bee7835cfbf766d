package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// typicalRefs and typicalValueSize are the typical pod's value files: 3
// references, 64 bytes each (a password, a URL, a user name fit well within).
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
//
// In the same rounds it runs the target behind the Go floor, a Go program
// that only execs its arguments (execFloorSource): what any wrapper written
// in Go costs on this machine. floor-µs is that program's overhead and
// above-floor-µs what kvenv-exec's own work adds to it.
//
// KVENV_BENCH_EXEC_BASELINE names another kvenv-exec binary (built from
// another tree) to run in the same rounds too, for before/after
// comparisons that a busy machine cannot skew: baseline-overhead-µs.
func BenchmarkExecOverhead(b *testing.B) {
	dir := b.TempDir()
	wrapper := buildCmd(b, dir, "github.com/kvenv/kvenv/cmd/kvenv-exec")
	floor := buildExecFloor(b, dir)
	baseline := os.Getenv(execBaselineEnv)
	target := writeTinyTarget(b, dir)
	vol, volumeBytes := typicalVolume(b, wrapper)
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "KVENV_DIR=" + vol}
	var t execTimes
	for b.Loop() {
		t.direct = append(t.direct, spawn(b, target, []string{target}, env))
		t.wrapped = append(t.wrapped, spawn(b, wrapper, []string{wrapper, "--", target}, env))
		t.floor = append(t.floor, spawn(b, floor, []string{floor, target}, env))
		if baseline != "" {
			t.baseline = append(t.baseline, spawn(b, baseline, []string{baseline, "--", target}, env))
		}
	}
	st, err := os.Stat(wrapper)
	if err != nil {
		b.Fatal(err)
	}
	t.report(b)
	b.ReportMetric(float64(st.Size()), "wrapper-bytes")
	b.ReportMetric(float64(volumeBytes), "volume-bytes")
}

// execTimes are the spawn times of each round, per way of running the target.
type execTimes struct{ direct, wrapped, floor, baseline []time.Duration }

func (t execTimes) report(b *testing.B) {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	direct := median(t.direct)
	b.ReportMetric(us(direct), "direct-µs")
	b.ReportMetric(us(median(t.wrapped)), "wrapped-µs")
	b.ReportMetric(us(median(t.wrapped)-direct), "overhead-µs")
	b.ReportMetric(us(median(t.floor)-direct), "floor-µs")
	b.ReportMetric(us(median(t.wrapped)-median(t.floor)), "above-floor-µs")
	if len(t.baseline) > 0 {
		b.ReportMetric(us(median(t.baseline)-direct), "baseline-overhead-µs")
	}
}

const execBaselineEnv = "KVENV_BENCH_EXEC_BASELINE"

// execFloorSource is the least a Go wrapper can do: exec its arguments,
// taking them the way kvenv-exec does (without package os).
const execFloorSource = `package main

import (
	"syscall"
	_ "unsafe"
)

//go:linkname commandLine os.runtime_args
func commandLine() []string

func main() {
	args := commandLine()
	syscall.Exec(args[1], args[1:], syscall.Environ())
	syscall.Exit(127)
}
`

// buildExecFloor builds execFloorSource as buildCmd builds kvenv-exec, in a
// module of its own at this module's Go version (which sets the runtime's
// default settings, so both start the same way).
func buildExecFloor(b *testing.B, dir string) string {
	goVersion, err := exec.Command("go", "list", "-m", "-f", "{{.GoVersion}}").Output()
	if err != nil {
		b.Fatalf("go list -m: %v", err)
	}
	src := filepath.Join(dir, "execfloor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		b.Fatal(err)
	}
	goMod := "module execfloor\n\ngo " + strings.TrimSpace(string(goVersion)) + "\n"
	for name, content := range map[string]string{"go.mod": goMod, "main.go": execFloorSource} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(dir, "execfloor-bin")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if msg, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the exec floor: %v\n%s", err, msg)
	}
	return out
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
