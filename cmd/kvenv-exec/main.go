// Command kvenv-exec is the entrypoint the webhook gives each target
// container: `kvenv-exec -- <original command>`. It adds the values the
// kvenv-init container fetched to the environment and execs the command.
//
// It does not import os (see injector/wrapper), so it takes its arguments,
// environment and stderr from package syscall and the runtime directly.
package main

import (
	"syscall"
	_ "unsafe" // for go:linkname

	"github.com/kvenv/kvenv/injector/wrapper"
)

// commandLine is os.Args without package os: the runtime provides
// os.runtime_args for os, marked with go:linkname on its side, which is
// what lets another package use it. Should a Go release withdraw it, the
// build fails at link time; reading /proc/self/cmdline would replace it.
//
//go:linkname commandLine os.runtime_args
func commandLine() []string

// stderr writes to file descriptor 2 without an os.File.
type stderr struct{}

func (stderr) Write(b []byte) (int, error) { return syscall.Write(2, b) }

func main() {
	syscall.Exit(wrapper.Main(commandLine()[1:], syscall.Environ(), stderr{}))
}
