package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RequireEnv set (to anything) turns a missing prerequisite into a test
// failure instead of a skip; CI sets it so that the e2e cannot silently pass.
// KVENV_REQUIRE_CLUSTER, which `make test` sets, counts as well.
const RequireEnv = "KVENV_REQUIRE_E2E"

// ArtifactsEnv names a directory that receives the component logs of every
// test cluster on Stop; without it only a failed test copies them, into
// e2e/_artifacts/<test>.
const ArtifactsEnv = "KVENV_E2E_ARTIFACTS"

// StartForTest starts a cluster for t and stops it when t ends. It skips t
// when the machine lacks a prerequisite (fails under RequireEnv), and when
// t fails it prints the end of every component log and keeps the logs.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kvenv e2e: starts a real cluster; skipped under -short")
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	opts = opts.withDefaults()
	if missing := MissingPrerequisites(opts.ToolsDir); len(missing) > 0 {
		msg := "kvenv e2e: cannot start a cluster, missing:\n  " + strings.Join(missing, "\n  ")
		if os.Getenv(RequireEnv) != "" || os.Getenv("KVENV_REQUIRE_CLUSTER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts.BeforeRemove = func(c *Cluster) { keepLogsOfTest(t, c) }
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// keepLogsOfTest prints the end of every log when t failed, and copies the
// logs to $KVENV_E2E_ARTIFACTS/<test>, or after a failure to
// e2e/_artifacts/<test>.
func keepLogsOfTest(t testing.TB, c *Cluster) {
	failed := t.Failed() || c.startErr != nil
	if failed {
		c.ReportLogs(t.Logf)
	}
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" && failed {
		dir = artifactsDir()
	}
	if dir == "" {
		return
	}
	dest := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := c.CopyLogs(dest); err != nil {
		t.Logf("kvenv e2e: copying the logs to %s: %v", dest, err)
		return
	}
	t.Logf("kvenv e2e: component logs are in %s", dest)
}

// artifactsDir is e2e/_artifacts of the module (git-ignored), found from the
// test's working directory, which is its package directory.
func artifactsDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join(os.TempDir(), "kvenv-e2e-artifacts")
	}
	for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if filepath.Base(dir) == "e2e" {
			return filepath.Join(dir, "_artifacts")
		}
	}
	return filepath.Join(wd, "_artifacts")
}
