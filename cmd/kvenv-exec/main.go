// Command kvenv-exec is the entrypoint the webhook gives each target
// container: `kvenv-exec -- <original command>`. It adds the values the
// kvenv-init container fetched to the environment and execs the command.
package main

import (
	"os"

	"github.com/kvenv/kvenv/injector/wrapper"
)

func main() { os.Exit(wrapper.Main(os.Args[1:], os.Environ(), os.Stderr)) }
