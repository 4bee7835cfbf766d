package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// userHZ is the unit of /proc/PID/stat's CPU times: the kernel reports
// them to user space in 1/100 s on every architecture Linux runs Go on.
const userHZ = 100

// cpuTime is the server's CPU time so far, user and system, every thread.
// Over a phase of a few seconds at thousands of requests per second, the
// 10 ms unit is a fraction of a microsecond per request.
func (s *serverProcess) cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := procStatCPU(string(stat))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// procStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) is in parentheses and
// may hold spaces or parentheses itself, so fields are counted from the
// last ')'.
func procStatCPU(line string) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name in /proc stat line %.80q", line)
	}
	fields := strings.Fields(line[i+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc stat line %.80q", line)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat CPU field %q: %w", f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuPerAnswer is the server's CPU time per answered request, in µs: what
// bounds saturation on one core (10⁶ / it, the core fully busy), and less
// bent than throughput by a generator or a neighbour slowed down.
func cpuPerAnswer(cpu time.Duration, answers int) float64 {
	if answers == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(answers)
}

func TestProcStatCPUReadsUserAndSystemTime(t *testing.T) {
	// A command name with a space and a ')' in it, utime 250 and stime 50 ticks.
	line := "4242 (srv (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
	got, err := procStatCPU(line)
	if err != nil || got != 3*time.Second {
		t.Fatalf("procStatCPU = %v, %v; want 3s (300 ticks)", got, err)
	}
	if _, err := procStatCPU("4242 (srv) S 1 2"); err == nil {
		t.Fatal("a short line must be an error")
	}
}

func TestCPUTimeOfARunningProcessGrows(t *testing.T) {
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	before, err := procStatCPU(string(self))
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged 20 ms more (two of its 10 ms ticks
	// at least), however busy the machine; bounded by a minute of wall time.
	after := before
	for deadline := time.Now().Add(time.Minute); after < before+20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stayed at %v for a minute of spinning from %v", after, before)
		}
		self, _ = os.ReadFile("/proc/self/stat")
		if after, err = procStatCPU(string(self)); err != nil {
			t.Fatal(err)
		}
	}
}
