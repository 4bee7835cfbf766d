// kvenv-webhook is kvenv's admission server, and offline tools that use the
// same pure mutation: `render` shows what the webhook does to manifests.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const usage = `kvenv-webhook: kvenv's mutating admission webhook.

Usage:
  kvenv-webhook [serve] [flags]         run the admission server (default)
  kvenv-webhook render [-f FILE|-]...   print manifests as the webhook would mutate them
  kvenv-webhook migrate [-f FILE|-]...  turn SecretProviderClass + secretKeyRef workloads into kvenv annotations
  kvenv-webhook help                    this text

Run a subcommand with -h for its flags.
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run returns the exit status: 0 also when -h asked for the flags, which
// the flag package has printed by then.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := mainErr(args, stdin, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "kvenv-webhook:", err)
	return 1
}

func mainErr(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "render":
		return render(args, stdin, stdout, stderr)
	case "migrate":
		return migrate(args, stdin, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}

// strayArgument refuses the words left after parsing. Go's flag parser
// stops at the first word that is not a flag and leaves the rest unread, so
// `--disable-instance-discovery false --port=1` would silently drop both
// `false` and `--port=1`. advice, if not empty, says what the word may
// have been meant for.
func strayArgument(fs *flag.FlagSet, args []string, advice string) error {
	if fs.NArg() == 0 {
		return nil
	}
	stray := fs.Arg(0)
	msg := fmt.Sprintf("%s: unexpected argument %q: it and every flag after it were not read", fs.Name(), stray)
	if advice != "" {
		msg += "; " + advice
	}
	return errors.New(msg + "; " + booleanAdvice(args, len(args)-fs.NArg(), stray))
}

// booleanAdvice explains how a boolean flag takes a value, naming the flag
// when the stray word at args[i] is a value given to the flag before it.
func booleanAdvice(args []string, i int, stray string) string {
	if _, err := strconv.ParseBool(stray); err == nil && i > 0 && args[i-1] != "--" && strings.HasPrefix(args[i-1], "-") {
		return fmt.Sprintf("a boolean flag takes its value after =: write %s=%s", args[i-1], stray)
	}
	return "a boolean flag takes its value after =, e.g. --disable-instance-discovery=false"
}
