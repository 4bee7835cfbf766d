package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// gomaxprocsProbeEnv turns BenchmarkPhasesGOMAXPROCSProbe on. It is the
// subject of TestEveryPhaseOfAPinnedGeneratorRunsAtOneProc, not a figure
// of kvenv, so it skips (silently, without -v) in `make bench`.
const gomaxprocsProbeEnv = "KVENV_BENCH_GOMAXPROCS_PROBE"

// BenchmarkPhasesGOMAXPROCSProbe runs the load phases as the HTTPS
// benchmarks do, for a generator that is pinned, with a load that only
// prints the GOMAXPROCS it runs at.
func BenchmarkPhasesGOMAXPROCSProbe(b *testing.B) {
	if os.Getenv(gomaxprocsProbeEnv) == "" {
		b.Skip("run by TestEveryPhaseOfAPinnedGeneratorRunsAtOneProc")
	}
	runPhases(b, pinning{generator: true}, func(b *testing.B, rate float64) {
		fmt.Printf("probe %s GOMAXPROCS=%d\n", phaseName(rate), runtime.GOMAXPROCS(0))
	})
}

// probeLine may follow a benchmark's name on the same line: the runner
// prints the name before it runs the benchmark.
var probeLine = regexp.MustCompile(`probe (\S+) GOMAXPROCS=(\d+)`)

// The benchmark runner itself must set GOMAXPROCS between phases, so the
// probe runs under it: this test binary again, with -bench, -count 2 and
// -cpu 2 (what go test uses on a machine of two CPUs).
func TestEveryPhaseOfAPinnedGeneratorRunsAtOneProc(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkPhasesGOMAXPROCSProbe$",
		"-test.count=2", "-test.cpu=2", "-test.benchtime=1x", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), gomaxprocsProbeEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the probe benchmark failed: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	seen := map[string][]int{}
	for _, m := range probeLine.FindAllStringSubmatch(stdout.String(), -1) {
		procs, _ := strconv.Atoi(m[2])
		seen[m[1]] = append(seen[m[1]], procs)
	}
	for _, rate := range phaseRates {
		name := phaseName(rate)
		if got := seen[name]; len(got) != 2 || got[0] != 1 || got[1] != 1 {
			t.Errorf("phase %s ran at GOMAXPROCS %v over -count 2, want 1 every time; output:\n%s", name, got, stdout.String())
		}
	}
	if strings.Contains(stderr.String(), "left GOMAXPROCS") {
		t.Errorf("a phase did not restore the runner's GOMAXPROCS:\n%s", stderr.String())
	}
}

func TestAnUnpinnedPhaseKeepsTheRunnersGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	var inside int
	pinning{}.inPhase(func() { inside = runtime.GOMAXPROCS(0) })
	if inside != 3 {
		t.Errorf("an unpinned phase ran at GOMAXPROCS %d, want the runner's 3: it may use every CPU", inside)
	}
}
