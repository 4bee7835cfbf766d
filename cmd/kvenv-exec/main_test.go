package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/leakcheck"
)

// These tests build kvenv-exec exactly as the image does and run it as a
// process. The program it execs is this test binary again, in helper mode
// (see helper_test.go), found on PATH under the name helperName.

var execBin string

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperModeEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	dir, err := os.MkdirTemp("", "kvenv-exec-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	execBin = filepath.Join(dir, "kvenv-exec")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", execBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kvenv-exec:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestBinaryIsSmallAndLinksNoAzureOrKubernetes(t *testing.T) {
	t.Parallel()
	st, err := os.Stat(execBin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() >= 2<<20 {
		t.Errorf("kvenv-exec is %d bytes, want < 2 MiB", st.Size())
	}
	out, err := exec.Command("go", "version", "-m", execBin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	modules := 0
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || (fields[0] != "mod" && fields[0] != "dep") {
			continue
		}
		modules++
		if p := strings.ToLower(fields[1]); strings.Contains(p, "azure") || strings.Contains(p, "k8s.io") {
			t.Errorf("kvenv-exec links %s", fields[1])
		}
	}
	if modules == 0 {
		t.Errorf("go version -m listed no modules, so the check proved nothing:\n%s", out)
	}
}

// TestLinksNoPackageWithCostlyInit keeps os (and what imports it) out of
// kvenv-exec: their package initialisation and size cost every container
// start about 0.15 ms before the app runs (BenchmarkExecOverhead with
// KVENV_BENCH_EXEC_BASELINE set to a build that links os shows it).
func TestLinksNoPackageWithCostlyInit(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "syscall") {
		t.Fatalf("go list -deps did not list syscall, so the check proves nothing:\n%s", out)
	}
	for _, costly := range []string{"os", "internal/godebug", "internal/poll", "time"} {
		if slices.Contains(deps, costly) {
			t.Errorf("kvenv-exec links %s; use package syscall (see injector/wrapper/files.go)", costly)
		}
	}
}

// volume is a kvenv volume as the init container leaves it.
type volume struct {
	dir       string
	helperDir string // holds the helper under helperName
}

func newVolume(t *testing.T, done bool, values map[string]string) volume {
	t.Helper()
	v := volume{dir: t.TempDir(), helperDir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(v.dir, "env"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, value := range values {
		if err := os.WriteFile(filepath.Join(v.dir, "env", name), []byte(value), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	if done {
		if err := os.WriteFile(filepath.Join(v.dir, ".done"), []byte("done\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(v.helperDir, helperName)); err != nil {
		t.Fatal(err)
	}
	return v
}

// command is kvenv-exec -- argv..., with env as its whole environment.
func (v volume) command(ctx context.Context, env []string, argv ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, execBin, append([]string{"--"}, argv...)...)
	cmd.Env = append([]string{"KVENV_DIR=" + v.dir}, env...)
	return cmd
}

// run runs to completion and returns stdout, stderr and the exit code.
func run(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running kvenv-exec: %v", err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

const (
	password  = "ThisIsTest#123"
	multiLine = "line one\nline=two with = signs\n\ttabbed \"quoted\" $NOT_EXPANDED\n"
	// keyVaultMaxValue is the largest secret value Key Vault stores: more
	// than kvenv-exec reads in one go.
	keyVaultMaxValue = 25 << 10
)

// largeValue is n bytes in which every 16-byte block differs, so a value
// cut short, repeated or reordered does not match.
func largeValue(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "block %09d\n", i)
	}
	return b.String()[:n]
}

func TestValuesReachTheProgramWithArgvAndPIDUnchanged(t *testing.T) {
	t.Parallel()
	large := largeValue(keyVaultMaxValue)
	v := newVolume(t, true, map[string]string{
		"DB_PASSWORD": password, "CERT": multiLine, "EMPTY": "", "LARGE": large, helperModeEnv: "report",
	})
	argv := []string{helperName, "--", "", "two words", "*", "$HOME", "-x=1"}
	cmd := v.command(testContext(t), []string{"PATH=/nonexistent:" + v.helperDir, "DB_PASSWORD=old", "KEEP=me", "DB_PASSWORD=dup"}, argv...)
	stdout, stderr, code := run(t, cmd)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var got report
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("helper output %q: %v", stdout, err)
	}
	if got.PID != cmd.Process.Pid {
		t.Errorf("program ran as PID %d, kvenv-exec was %d: exec must replace the wrapper", got.PID, cmd.Process.Pid)
	}
	if strings.Join(got.Args, "\x00") != strings.Join(argv, "\x00") {
		t.Errorf("argv %q, want %q", got.Args, argv)
	}
	env := map[string][]string{}
	for _, kv := range got.Env {
		k, val, _ := strings.Cut(kv, "=")
		env[k] = append(env[k], val)
	}
	for name, want := range map[string]string{"DB_PASSWORD": password, "CERT": multiLine, "EMPTY": "", "LARGE": large, "KEEP": "me"} {
		if vals := env[name]; len(vals) != 1 || vals[0] != want {
			t.Errorf("%s: program saw %d values, matching=%v; want exactly the file's value", name, len(vals), len(vals) == 1 && vals[0] == want)
		}
	}
	leakcheck.Check(t, "kvenv-exec stderr", stderr, password, multiLine, large)
}

func TestPATHFromValueFileIsSearched(t *testing.T) {
	t.Parallel()
	v3 := newVolume(t, true, map[string]string{helperModeEnv: "exit:3"})
	if err := os.WriteFile(filepath.Join(v3.dir, "env", "PATH"), []byte(v3.helperDir), 0o400); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, v3.command(testContext(t), []string{"PATH=/nonexistent"}, helperName)); code != 3 {
		t.Errorf("exit %d stderr %q; want the helper's 3, found through the value file's PATH", code, stderr)
	}
}

// A PATH set through kvenv.io/env.PATH is a Key Vault value: the messages
// about the program it was searched for name the annotation, never the
// value or one of its directories.
func TestPATHFromValueFileIsNeverShown(t *testing.T) {
	t.Parallel()
	const secretPATH = "/nonexistent/s3cr3t-path-value:/also-not/s3cr3t-dir"
	processPATH := newVolume(t, true, nil).helperDir
	v := newVolume(t, true, map[string]string{"PATH": secretPATH})
	// The value file's PATH replaces the process PATH, so the helper on the
	// process PATH must not be found.
	_, stderr, code := run(t, v.command(testContext(t), []string{"PATH=" + processPATH}, helperName))
	want := `"` + helperName + `": not found in the PATH kvenv set from the pod's kvenv.io/env.PATH annotation`
	if code != 127 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "make that secret's value list the program's directory") {
		t.Errorf("exit %d stderr %q; want 127 naming the program and the annotation, and what to do", code, stderr)
	}
	leakcheck.Check(t, "kvenv-exec stderr", stderr, append(strings.Split(secretPATH, ":"), secretPATH)...)

	// Found through that PATH, but exec fails: the message names the
	// program as the command gave it, not the path it was found at.
	for script, wantCode := range map[string]int{"#!/nonexistent/interpreter\n": 127, "not an executable\n": 126} {
		secretDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(secretDir, "prog"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		v := newVolume(t, true, map[string]string{"PATH": secretDir})
		_, stderr, code := run(t, v.command(testContext(t), nil, "prog"))
		if code != wantCode || !strings.Contains(stderr, `"prog" (found through the PATH kvenv set from the pod's kvenv.io/env.PATH annotation)`) {
			t.Errorf("%q: exit %d stderr %q; want %d naming the program and the annotation", script, code, stderr, wantCode)
		}
		leakcheck.Check(t, "kvenv-exec stderr", stderr, secretDir)
	}
}

func TestPathWithSlashIsUsedAsIs(t *testing.T) {
	t.Parallel()
	v := newVolume(t, true, map[string]string{helperModeEnv: "exit:5"})
	_, stderr, code := run(t, v.command(testContext(t), []string{"PATH=/nonexistent"}, filepath.Join(v.helperDir, helperName)))
	if code != 5 {
		t.Errorf("exit %d stderr %q, want 5", code, stderr)
	}
}

func TestExitCodeIsPropagated(t *testing.T) {
	t.Parallel()
	for _, want := range []int{0, 1, 77} {
		v := newVolume(t, true, map[string]string{helperModeEnv: fmt.Sprintf("exit:%d", want)})
		if _, stderr, code := run(t, v.command(testContext(t), []string{"PATH=" + v.helperDir}, helperName)); code != want {
			t.Errorf("exit %d (stderr %q), want %d", code, stderr, want)
		}
	}
}

func TestSIGTERMReachesTheProgram(t *testing.T) {
	t.Parallel()
	v := newVolume(t, true, map[string]string{helperModeEnv: "term"})
	cmd := v.command(testContext(t), []string{"PATH=" + v.helperDir}, helperName)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("helper did not report ready; stderr %q", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper never became ready")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != termExitCode {
		t.Errorf("exit %d after SIGTERM, want %d from the program's own handler (stderr %q)", code, termExitCode, stderr.String())
	}
}

func TestMissingDoneIsRefused(t *testing.T) {
	t.Parallel()
	v := newVolume(t, false, map[string]string{"DB_PASSWORD": password, helperModeEnv: "exit:0"})
	_, stderr, code := run(t, v.command(testContext(t), []string{"PATH=" + v.helperDir}, helperName))
	if code != 126 || !strings.Contains(stderr, ".done is missing") || !strings.Contains(stderr, "kvenv-init") {
		t.Errorf("exit %d stderr %q; want 126 explaining the missing .done", code, stderr)
	}
	leakcheck.Check(t, "kvenv-exec stderr", stderr, password)
}

func TestMissingProgramIs127(t *testing.T) {
	t.Parallel()
	v := newVolume(t, true, map[string]string{"DB_PASSWORD": password})
	runChecked := func(env []string, argv ...string) (string, int) {
		t.Helper()
		_, stderr, code := run(t, v.command(testContext(t), env, argv...))
		leakcheck.Check(t, "kvenv-exec stderr", stderr, password)
		return stderr, code
	}
	// The container's own PATH comes from the pod spec or the image, which
	// are no secret, so it is shown.
	stderr, code := runChecked([]string{"PATH=/usr/local/bin:/nowhere"}, "no-such-program")
	if code != 127 || !strings.Contains(stderr, `"no-such-program": not found in PATH=/usr/local/bin:/nowhere (the container's PATH)`) ||
		!strings.Contains(stderr, "give the program's full path") {
		t.Errorf("exit %d stderr %q; want 127 naming the program and PATH, and what to do", code, stderr)
	}
	stderr, code = runChecked(nil, "/nowhere/prog")
	if code != 127 || !strings.Contains(stderr, `"/nowhere/prog"`) {
		t.Errorf("absolute path: exit %d stderr %q; want 127", code, stderr)
	}
}

func TestUsageWithoutDoubleDash(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(testContext(t), execBin, "prog")
	if _, stderr, code := run(t, cmd); code != 126 || !strings.Contains(stderr, "usage: kvenv-exec --") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}
