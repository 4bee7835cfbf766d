package main

import (
	"flag"
	"fmt"
	"io"
	"os"

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
		return fmt.Errorf("render %s: %w", *file, err)
	}
	return nil
}
