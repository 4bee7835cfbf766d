package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kvenv/kvenv/webhook"
)

// render prints manifests as the webhook would mutate them, with the same
// pure function, so GitOps pipelines and reviewers can see the result.
func render(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlags := bindConfigFlags(fs)
	file := fs.String("f", "-", "manifest file (multi-document YAML or JSON), - for standard input")
	namespace := fs.String("namespace", "default", "namespace of objects that do not name one")
	entrypoints := entrypointFlag{}
	fs.Var(entrypoints, "entrypoint", `CONTAINER='["prog","arg"]': the image ENTRYPOINT of a container that sets no command (repeatable; render reads no registry)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without this, a file named without -f would be ignored and render would
	// wait on (or print nothing from) standard input.
	if fs.NArg() > 0 {
		return fmt.Errorf("render: unexpected argument %q: name the manifest file with -f (- for standard input)", fs.Arg(0))
	}
	cfg, err := cfgFlags.config()
	if err != nil {
		return err
	}
	in := webhook.Inputs{Namespace: *namespace, Images: entrypoints}
	r := stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	if err := webhook.RenderObjectsWithWarnings(r, stdout, stderr, in, cfg); err != nil {
		return fmt.Errorf("render %s: %w%s", *file, err, entrypointHint(err))
	}
	return nil
}

// unknownEntrypoint is how the webhook's denial says that a container sets
// no `command` and kvenv does not know its image's ENTRYPOINT.
const unknownEntrypoint = "sets no `command` and its ENTRYPOINT is unknown"

// entrypointHint adds, when a container's ENTRYPOINT was needed, the flag
// that gives it: the webhook reads it from the registry, render never does,
// and the webhook's own advice (set `command`) is not the only way out.
func entrypointHint(err error) string {
	for _, d := range denials(err) {
		for _, p := range d.Problems {
			if strings.Contains(p, unknownEntrypoint) {
				return "\nrender reads no registry: give the image's ENTRYPOINT with --entrypoint <container>=<JSON argv>," +
					` e.g. --entrypoint 'app=["java","-jar","/app.jar"]' (docker image inspect --format '{{json .Config.Entrypoint}}' IMAGE prints it)`
			}
		}
	}
	return ""
}

// denials returns every webhook denial in err's tree: render joins one error
// per document, each wrapping the denial of its pod template.
func denials(err error) []*webhook.Denial {
	switch e := err.(type) {
	case nil:
		return nil
	case *webhook.Denial:
		return []*webhook.Denial{e}
	case interface{ Unwrap() []error }:
		var all []*webhook.Denial
		for _, inner := range e.Unwrap() {
			all = append(all, denials(inner)...)
		}
		return all
	}
	return denials(errors.Unwrap(err))
}
