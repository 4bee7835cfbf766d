// Package wrapper is kvenv-exec: it becomes each target container's
// entrypoint, adds the fetched values to the environment and replaces itself
// with the app (same PID, so the app gets signals and its exit code is the
// container's).
//
// It imports only the standard library and internal/layout: the binary is
// copied into every pod's memory volume, so it must stay small, and it must
// not carry an Azure SDK or Kubernetes client into the app's process image.
// Of the standard library it avoids os (and what imports it, such as
// path/filepath): every container start pays for their package
// initialisation before the app runs (see files.go).
package wrapper

import (
	"io"
	"path"
	"strings"
	"syscall"

	"github.com/kvenv/kvenv/internal/layout"
)

// Exit codes, as a shell reports them.
const (
	ExitCannotRun = 126 // refused or exec failed
	ExitNotFound  = 127 // program not found
)

// DirEnv moves the kvenv volume away from layout.MountPath. The webhook never
// sets it; it exists so tests (and anyone running the wrapper outside a pod)
// can use a directory they can create without root.
const DirEnv = "KVENV_DIR"

// Main runs `kvenv-exec -- prog args...` with the process environment
// environ. It returns only on failure, with the exit code to use.
func Main(args, environ []string, stderr io.Writer) int {
	argv, ok := command(args)
	if !ok {
		return fail(stderr, ExitCannotRun, "usage: kvenv-exec -- <program> [<argument>...]")
	}
	dir := lookup(environ, DirEnv)
	if dir == "" {
		dir = layout.MountPath
	}
	if msg := checkDone(dir); msg != "" {
		return fail(stderr, ExitCannotRun, msg)
	}
	vars, err := readValues(volumePath(dir, layout.EnvDir))
	if err != nil {
		return fail(stderr, ExitCannotRun, err.Error())
	}
	env := merge(environ, vars)
	_, pathIsAValue := vars["PATH"]
	prog, ok := lookPath(argv[0], env)
	if !ok {
		return fail(stderr, ExitNotFound, notFound(argv[0], env, pathIsAValue))
	}
	err = syscall.Exec(prog, argv, env)
	shown := showProgram(argv[0], prog, pathIsAValue)
	if err == syscall.ENOENT {
		return fail(stderr, ExitNotFound, shown+": no such file (or its interpreter is missing)")
	}
	return fail(stderr, ExitCannotRun, "cannot execute "+shown+": "+err.Error())
}

// command returns the argv after the leading "--".
func command(args []string) ([]string, bool) {
	if len(args) < 2 || args[0] != "--" {
		return nil, false
	}
	return args[1:], true
}

// checkDone refuses a volume the init container did not finish: starting
// the app without its secrets would only fail later and less clearly.
func checkDone(dir string) string {
	done := volumePath(dir, layout.DoneFile)
	if mode, err := fileMode(done, true); err != nil || !isRegular(mode) {
		return done + " is missing: the " + layout.InitContainerName +
			" init container has not finished fetching secrets; refusing to start the app without them (see that container's log)"
	}
	return ""
}

// volumePath maps a layout path into the volume mounted at dir.
func volumePath(dir, layoutPath string) string {
	return path.Join(dir, strings.TrimPrefix(layoutPath, layout.MountPath))
}

func fail(w io.Writer, code int, msg string) int {
	io.WriteString(w, "kvenv-exec: "+msg+"\n")
	return code
}

func quote(s string) string { return `"` + s + `"` }
