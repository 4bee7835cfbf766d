// kvenv-webhook is kvenv's admission server, and offline tools that use the
// same pure mutation: `render` shows what the webhook does to manifests.
package main

import (
	"fmt"
	"os"
)

const usage = `kvenv-webhook: kvenv's mutating admission webhook.

Usage:
  kvenv-webhook [serve] [flags]     run the admission server (default)
  kvenv-webhook render -f FILE|-    print manifests as the webhook would mutate them
  kvenv-webhook migrate -f FILE|-   turn SecretProviderClass + secretKeyRef workloads into kvenv annotations
  kvenv-webhook help                this text

Run a subcommand with -h for its flags.
`

func main() {
	if err := mainErr(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kvenv-webhook:", err)
		os.Exit(1)
	}
}

func mainErr(args []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "render":
		return render(args, os.Stdin, os.Stdout, os.Stderr)
	case "migrate":
		return migrate(args, os.Stdin, os.Stdout, os.Stderr)
	case "help":
		fmt.Print(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}
