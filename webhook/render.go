package webhook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// RenderObjects is RenderObjectsWithWarnings with the warnings dropped.
func RenderObjects(r io.Reader, w io.Writer, in Inputs, cfg Config) error {
	return RenderObjectsWithWarnings(r, w, io.Discard, in, cfg)
}

// RenderObjectsWithWarnings prints manifests as the webhook would mutate
// them, through the same Mutate. It reads multi-document YAML (or a stream
// of JSON objects) and writes multi-document YAML: Pods and the pod
// templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
// CronJobs (and of List items) are mutated with the object's namespace, or
// in.Namespace; every other document, and every object Mutate leaves alone,
// is written as it came.
//
// Admission warnings are written to warnings, one line each, prefixed with
// Kind/name, so that they never mix with the manifests. Denials are
// returned, all of them, each prefixed with Kind/name; nothing is written to
// w then, so a pipeline never applies half a render.
func RenderObjectsWithWarnings(r io.Reader, w, warnings io.Writer, in Inputs, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("kvenv configuration: %w", err)
	}
	docs, err := readDocuments(r)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	var errs []error
	for _, d := range docs {
		rendered, warns, err := renderDocument(d, in, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, msg := range warns {
			fmt.Fprintln(warnings, msg)
		}
		if out.Len() > 0 {
			out.WriteString("---\n")
		}
		out.Write(rendered)
		if !bytes.HasSuffix(rendered, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err = w.Write(out.Bytes())
	return err
}

// document is one input document: its JSON form, and its original YAML
// text (nil for JSON input) to write back untouched.
type document struct {
	yaml, json []byte
}

func readDocuments(r io.Reader) ([]document, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	raw, err := SplitDocuments(data)
	if err != nil {
		return nil, err
	}
	if isJSONStream(data) {
		docs := make([]document, len(raw))
		for i, j := range raw {
			docs[i] = document{json: j}
		}
		return docs, nil
	}
	var docs []document
	for i, doc := range raw {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if string(bytes.TrimSpace(j)) != "null" { // blank or comments only
			docs = append(docs, document{yaml: doc, json: j})
		}
	}
	return docs, nil
}

// isJSONStream: input that starts with '{' is read as a stream of JSON
// objects, anything else as YAML.
func isJSONStream(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// SplitDocuments splits manifests into documents as render reads them: a
// stream of JSON objects, or multi-document YAML (every document, blank
// ones included). Errors name the document by its place.
func SplitDocuments(data []byte) ([][]byte, error) {
	if isJSONStream(data) {
		return splitJSON(data)
	}
	var docs [][]byte
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		docs = append(docs, doc)
	}
}

func splitJSON(data []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for i := 1; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, fmt.Errorf("JSON document %d: %w", i, err)
		}
		docs = append(docs, raw)
	}
}

// renderDocument mutates the pod templates of one document.
func renderDocument(d document, in Inputs, cfg Config) ([]byte, []string, error) {
	obj, err := decodeJSONObject(d.json)
	if err != nil {
		return nil, nil, err
	}
	changed := false
	var warnings []string
	for _, t := range podTemplates(obj) {
		c, warns, err := renderTemplate(t, in, cfg)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range warns {
			warnings = append(warnings, t.object+": "+w)
		}
		changed = changed || c
	}
	if !changed {
		if d.yaml != nil {
			return d.yaml, warnings, nil
		}
		out, err := yaml.JSONToYAML(d.json)
		return out, warnings, err
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	out, err := yaml.JSONToYAML(raw)
	return out, warnings, err
}

func renderTemplate(t podTemplate, in Inputs, cfg Config) (bool, []string, error) {
	pod, err := t.pod()
	if err != nil {
		return false, nil, err
	}
	if t.namespace != "" {
		in.Namespace = t.namespace
	}
	original := pod.Namespace
	pod.Namespace = in.Namespace
	result, err := Mutate(pod, in, cfg)
	if err != nil {
		return false, nil, fmt.Errorf("%s: %w", t.object, err)
	}
	if !result.Changed {
		return false, result.Warnings, nil
	}
	pod.Namespace = original
	return true, result.Warnings, t.set(pod)
}
