package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"strings"

	"sigs.k8s.io/yaml"

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
// of them render: a pipeline never applies half a render. Namespace
// documents in any file stand for the cluster's namespaces of that name.
func renderFiles(files []string, stdin io.Reader, stdout, stderr io.Writer, in webhook.Inputs, cfg webhook.Config) error {
	var errs []error
	inputs := make([][][]byte, len(files))
	for i, name := range files {
		var err error
		if inputs[i], err = readDocuments(name, stdin); err != nil {
			errs = append(errs, fmt.Errorf("render %s: %w", name, err))
		}
	}
	r := &renderer{in: in, cfg: cfg, warnings: stderr, namespaces: namespacesIn(inputs), noted: map[string]bool{}}
	var all bytes.Buffer
	for i, name := range files {
		if inputs[i] == nil {
			continue
		}
		var one bytes.Buffer
		if err := r.renderDocuments(inputs[i], &one); err != nil {
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

// readDocuments reads one -f argument and splits it into its documents, as
// the webhook's render reads them.
func readDocuments(name string, stdin io.Reader) ([][]byte, error) {
	data, err := readManifest(name, stdin)
	if err != nil {
		return nil, err
	}
	docs, err := webhook.SplitDocuments(data)
	if docs == nil && err == nil {
		docs = [][]byte{} // not nil: nil marks a file that could not be read
	}
	return docs, err
}

// objectMeta is what render reads of every document to pick its namespace.
type objectMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func metaOf(doc []byte) (objectMeta, error) {
	var m objectMeta
	err := yaml.Unmarshal(doc, &m)
	return m, err
}

// namespacesIn returns the Namespace documents of the input by name. A
// document that does not parse is left to the render to report.
func namespacesIn(inputs [][][]byte) map[string]objectMeta {
	namespaces := map[string]objectMeta{}
	for _, docs := range inputs {
		for _, doc := range docs {
			if m, err := metaOf(doc); err == nil && m.Kind == "Namespace" && m.Metadata.Name != "" {
				namespaces[m.Metadata.Name] = m
			}
		}
	}
	return namespaces
}

// renderer renders documents one by one, each with the namespace it is
// rendered into: as the webhook reads it from the cluster, render reads it
// from a Namespace document of its input when there is one.
type renderer struct {
	in         webhook.Inputs
	cfg        webhook.Config
	warnings   io.Writer
	namespaces map[string]objectMeta
	noted      map[string]bool // namespaces whose opt-out was already noted
}

func (r *renderer) renderDocuments(docs [][]byte, out io.Writer) error {
	var all bytes.Buffer
	var errs []error
	for i, doc := range docs {
		var one bytes.Buffer
		if err := r.renderDocument(doc, &one); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i+1, err))
			continue
		}
		if all.Len() > 0 && one.Len() > 0 {
			all.WriteString("---\n")
		}
		all.Write(one.Bytes())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err := out.Write(all.Bytes())
	return err
}

func (r *renderer) renderDocument(doc []byte, out io.Writer) error {
	m, err := metaOf(doc)
	if err != nil {
		return err
	}
	in := r.in
	if m.Metadata.Namespace != "" {
		in.Namespace = m.Metadata.Namespace
	}
	if ns, ok := r.namespaces[in.Namespace]; ok {
		if ns.Metadata.Labels[webhook.NamespaceLabel] != webhook.NamespaceLabelEnabled {
			r.noteNotOptedIn(in.Namespace)
			return writeUntouched(doc, out)
		}
		// The flags override the input: they say what the cluster will hold.
		ann := maps.Clone(ns.Metadata.Annotations)
		if ann == nil {
			ann = map[string]string{}
		}
		maps.Copy(ann, in.NamespaceAnnotations)
		in.NamespaceAnnotations = ann
	}
	return webhook.RenderObjectsWithWarnings(bytes.NewReader(doc), out, r.warnings, in, r.cfg)
}

// noteNotOptedIn says, once per namespace, why its pods came out unchanged.
func (r *renderer) noteNotOptedIn(namespace string) {
	if r.noted[namespace] {
		return
	}
	r.noted[namespace] = true
	fmt.Fprintf(r.warnings, "render: namespace %q in the input has not opted in to kvenv (no label %s=%s), so the webhook never sees its pods: "+
		"they are printed unchanged; label the namespace to have them injected\n", namespace, webhook.NamespaceLabel, webhook.NamespaceLabelEnabled)
}

// writeUntouched writes a document as it came, in YAML, as render writes
// every document it leaves alone.
func writeUntouched(doc []byte, out io.Writer) error {
	text := doc
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' {
		var err error
		if text, err = yaml.JSONToYAML(doc); err != nil {
			return err
		}
	}
	if _, err := out.Write(text); err != nil || bytes.HasSuffix(text, []byte("\n")) {
		return err
	}
	_, err := io.WriteString(out, "\n")
	return err
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
