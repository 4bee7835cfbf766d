package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kvenv/kvenv/webhook"
)

// render prints manifests as the webhook would mutate them, with the same
// pure function, so GitOps pipelines and reviewers can see the result.
func render(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlags := bindConfigFlags(fs)
	files := fileList{}
	fs.Var(&files, "f", "manifest file (multi-document YAML or JSON), - for standard input; repeatable (default -)")
	namespace := fs.String("namespace", "default", "namespace of objects that do not name one")
	nsAnnotations := keyValueFlag{}
	fs.Var(nsAnnotations, "namespace-annotation", "KEY=VALUE: an annotation of the namespaces the pods are rendered in, "+
		"as the webhook reads it from the cluster, e.g. kvenv.io/allowed-vaults=myvault (repeatable)")
	entrypoints := entrypointFlag{}
	fs.Var(entrypoints, "entrypoint", `CONTAINER='["prog","arg"]' (the image ENTRYPOINT) or CONTAINER='{"entrypoint":[...],"cmd":[...]}' `+
		`(ENTRYPOINT and CMD): what the image of a container that sets no command runs (repeatable; render reads no registry)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without this, a file named without -f would be ignored and render would
	// wait on (or print nothing from) standard input.
	if err := strayArgument(fs, args, "name manifest files with -f (- for standard input)"); err != nil {
		return err
	}
	cfg, err := cfgFlags.config()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		files = fileList{"-"}
	}
	in := webhook.Inputs{Namespace: *namespace, NamespaceAnnotations: nsAnnotations, Images: entrypoints}
	return renderFiles(files, stdin, stdout, stderr, in, cfg)
}

// renderFiles renders each file on its own, so that an error names its
// file and a JSON file may follow a YAML one, and prints them only when all
// of them render: a pipeline never applies half a render.
func renderFiles(files []string, stdin io.Reader, stdout, stderr io.Writer, in webhook.Inputs, cfg webhook.Config) error {
	var all bytes.Buffer
	var errs []error
	for _, name := range files {
		var one bytes.Buffer
		if err := renderFile(name, stdin, &one, stderr, in, cfg); err != nil {
			errs = append(errs, fmt.Errorf("render %s: %w", name, err))
			continue
		}
		if all.Len() > 0 && one.Len() > 0 {
			all.WriteString("---\n")
		}
		all.Write(one.Bytes())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w%s", err, entrypointHint(err))
	}
	_, err := stdout.Write(all.Bytes())
	return err
}

func renderFile(name string, stdin io.Reader, out, warnings io.Writer, in webhook.Inputs, cfg webhook.Config) error {
	data, err := readManifest(name, stdin)
	if err != nil {
		return err
	}
	return webhook.RenderObjectsWithWarnings(bytes.NewReader(data), out, warnings, in, cfg)
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
				return "\nrender reads no registry: give what the image runs with --entrypoint <container>=<JSON>, either its ENTRYPOINT as an argv," +
					` e.g. --entrypoint 'app=["java","-jar","/app.jar"]', or its ENTRYPOINT and CMD as {"entrypoint":[...],"cmd":[...]}, which` +
					` docker image inspect --format '{"entrypoint":{{json .Config.Entrypoint}},"cmd":{{json .Config.Cmd}}}' IMAGE prints`
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
