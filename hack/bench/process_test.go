package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvenv/kvenv/e2e/images"
)

// buildCmd builds a command of this module as the image does (static,
// stripped) into dir and returns the binary's path.
func buildCmd(tb testing.TB, dir, pkg string) string {
	tb.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	if err := images.BuildGo(context.Background(), pkg, out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Knobs for comparing builds and settings (before/after an optimisation):
// KVENV_BENCH_SERVER runs a prebuilt server binary (go build
// ./hack/bench/server in another tree) instead of building this tree's;
// KVENV_BENCH_SERVER_ENV adds space-separated VAR=value pairs (GOGC=200)
// to the server's environment only.
const (
	serverBinaryEnv = "KVENV_BENCH_SERVER"
	serverEnvEnv    = "KVENV_BENCH_SERVER_ENV"
)

func serverBinary(tb testing.TB) string {
	if bin := os.Getenv(serverBinaryEnv); bin != "" {
		tb.Logf("server binary from %s: %s", serverBinaryEnv, bin)
		return bin
	}
	return buildCmd(tb, tb.TempDir(), "github.com/kvenv/kvenv/hack/bench/server")
}

// pinning keeps the webhook and the load generator off each other's CPU:
// the server on CPU 0, this process (and everything it starts later,
// such as the API server) on CPU 1. Without two CPUs or taskset, nothing
// is pinned and the results say so.
type pinning struct {
	server    []string // the command prefix that pins the server to CPU 0
	generator bool     // this process, the load generator, is pinned to CPU 1
}

func pinIfPossible(tb testing.TB) pinning {
	tb.Helper()
	if runtime.NumCPU() < 2 {
		tb.Log("one CPU: webhook and load generator share it")
		return pinning{}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		tb.Log("taskset (util-linux) not found: nothing is pinned")
		return pinning{}
	}
	pid := strconv.Itoa(os.Getpid())
	all := fmt.Sprintf("0-%d", runtime.NumCPU()-1)
	if out, err := exec.Command("taskset", "-a", "-p", "-c", "1", pid).CombinedOutput(); err != nil {
		tb.Logf("taskset: %v %s: nothing is pinned", err, out)
		return pinning{}
	}
	tb.Cleanup(func() { exec.Command("taskset", "-a", "-p", "-c", all, pid).Run() })
	return pinning{server: []string{"taskset", "-c", "0"}, generator: true}
}

// inPhase runs one load phase (or the warm-up) with GOMAXPROCS 1 when the
// generator is pinned: one P per CPU it may use, so its goroutines do not
// fight over the one CPU. It is set per phase, not once, because go test
// sets GOMAXPROCS (to -cpu, by default the CPU count) before every
// sub-benchmark and every -count repeat; it is restored after, as the
// runner expects to find its own value.
func (p pinning) inPhase(phase func()) {
	if !p.generator {
		phase()
		return
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	phase()
}

// serverProcess is the webhook under test, in its own process.
type serverProcess struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

func startServer(tb testing.TB, p pinning, bin string, args ...string) *serverProcess {
	tb.Helper()
	argv := append(append(append([]string{}, p.server...), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), strings.Fields(os.Getenv(serverEnvEnv))...)
	s := &serverProcess{cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

func (s *serverProcess) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// waitTLS waits until addr completes a TLS handshake: the server has a
// certificate and listens. Bounded, so a server that died fails the run.
func (s *serverProcess) waitTLS(tb testing.TB, addr string, conf *tls.Config) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, conf)
		if err == nil {
			conn.Close()
			return
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("the server on %s did not come up; its log:\n%s", addr, s.log.String())
}

// peakRSS is the server's resident high-water mark (VmHWM), in MiB.
func (s *serverProcess) peakRSS(tb testing.TB) float64 {
	tb.Helper()
	// taskset execs the server, so the PID is the server's.
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatal("no VmHWM in /proc status")
	return 0
}
