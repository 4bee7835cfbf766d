package cluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
)

// Environment the parent hands to its re-executed child.
const (
	envInNetns   = "KVENV_E2E_NETNS"       // "1" in the child, which runs in a private network namespace
	envNetnsErr  = "KVENV_E2E_NETNS_ERROR" // why no private namespace could be made (the cluster then refuses to start)
	envWorkDir   = "KVENV_E2E_WORKDIR"     // the parent's directory; clusters live below it
	envGoBinDir  = "KVENV_E2E_GOBIN"       // static Go binaries the parent built
	pauseBinName = "pause"
)

// GoBinary is a main package that the parent builds (static, CGO_ENABLED=0)
// before it enters the private network namespace, where the module proxy is
// unreachable. Inside, GoBinaryPath(Name) is its path.
type GoBinary struct {
	Name    string
	Package string
}

// RunInNetns is a whole TestMain: the test binary, built outside, builds the
// Go binaries of the images, then runs itself again in a new network
// namespace, where the tests run and start clusters. The parent waits, then
// removes whatever the child left behind (also after a test timeout panic).
func RunInNetns(m *testing.M, bins ...GoBinary) {
	flag.Parse()
	if testing.Short() || InPrivateNetns() {
		os.Exit(m.Run())
	}
	os.Exit(Main(m.Run, bins...))
}

// Main is RunInNetns for commands such as the demo: run is called in the
// child, inside the private network namespace. Main returns the exit code.
func Main(run func() int, bins ...GoBinary) int {
	if InPrivateNetns() {
		return run()
	}
	if os.Geteuid() != 0 {
		// Clusters then refuse to start, and tests skip saying why.
		os.Setenv(envNetnsErr, "not root: the namespace, containerd and the kubelet need root")
		return run()
	}
	workDir, err := os.MkdirTemp("", "kvenv-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "kvenv e2e: creating the work directory: %v\n", err)
		return 1
	}
	defer reapWorkDir(workDir, logStderr)
	goBin, err := buildGoBinaries(workDir, bins)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kvenv e2e: %v\n", err)
		return 1
	}
	code, err := runChildInNetns(workDir, goBin)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		// No namespace: run here, but clusters refuse to start and say why.
		os.Setenv(envNetnsErr, fmt.Sprintf("cannot create a network namespace (%v); run as root", err))
		os.Setenv(envWorkDir, workDir)
		os.Setenv(envGoBinDir, goBin)
		return run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kvenv e2e: running in a private network namespace: %v\n", err)
		return 1
	}
	return code
}

// InPrivateNetns reports whether this process is the re-executed child.
func InPrivateNetns() bool { return os.Getenv(envInNetns) == "1" }

// runChildInNetns runs this executable again with the same arguments in a
// new network namespace and returns its exit code.
func runChildInNetns(workDir, goBin string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInNetns+"=1", envWorkDir+"="+workDir, envGoBinDir+"="+goBin)
	// Pdeathsig is tied to the thread that forks: keep this goroutine on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	// The parent must outlive the child to clean up after it, so it catches
	// Ctrl-C and termination and hands them on. (Ignoring them instead would
	// be inherited by the child and every component.)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		for sig := range signals {
			_ = cmd.Process.Signal(sig)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

func logStderr(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kvenv e2e: "+format+"\n", args...)
}
