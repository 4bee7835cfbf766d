package migrate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// document is one YAML document of the input. It is kept as a node tree so
// that an edited document keeps its field order and comments, and as raw
// bytes so that a document migrate did not touch is written back verbatim.
type document struct {
	raw     []byte
	node    *yaml.Node // the DocumentNode; nil for a document of comments only
	objects []*object  // one, or the items of a kind: List
	changed bool
}

// object is one Kubernetes object: a whole document or an item of a List.
type object struct {
	node       *yaml.Node // mapping
	apiVersion string
	kind       string
	name       string
	namespace  string
	dropped    bool
	doc        *document
}

// group is the API group of the object's apiVersion ("" for core).
func (o *object) group() string {
	g, _, found := strings.Cut(o.apiVersion, "/")
	if !found {
		return ""
	}
	return g
}

// String names the object in the report: Kind namespace/name.
func (o *object) String() string {
	if o.namespace == "" {
		return o.kind + " " + o.name
	}
	return o.kind + " " + o.namespace + "/" + o.name
}

// decode reads a node into a Kubernetes type through its JSON tags, the way
// kubectl reads manifests. Aliases are expanded first: on its own, the part
// would name anchors it does not hold.
func decode(n *yaml.Node, into any) error {
	expanded, err := expandAliases(n)
	if err != nil {
		return err
	}
	raw, err := yaml.Marshal(expanded)
	if err != nil {
		return err
	}
	return sigsyaml.Unmarshal(raw, into)
}

// readDocuments splits multi-document YAML. Only input that is not YAML, or a
// document that is not a mapping, is an error: that is "unreadable input".
func readDocuments(in []byte) ([]*document, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(in)))
	var docs []*document
	for i := 1; ; i++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		d, err := parseDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		docs = append(docs, d)
	}
}

func parseDocument(raw []byte) (*document, error) {
	d := &document{raw: raw}
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	if n.Kind == 0 || len(n.Content) == 0 {
		return d, nil // comments only: written back as they are
	}
	root := n.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a Kubernetes object (a YAML mapping), line %d", root.Line)
	}
	d.node = &n
	top := newObject(root, d)
	if top.kind != "List" || !strings.HasSuffix(top.apiVersion, "v1") {
		d.objects = []*object{top}
		return d, nil
	}
	items := get(root, "items")
	if items == nil {
		return d, nil
	}
	if items.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("List items: not a sequence, line %d", items.Line)
	}
	for _, item := range items.Content {
		if item.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("List item: not a Kubernetes object, line %d", item.Line)
		}
		d.objects = append(d.objects, newObject(item, d))
	}
	return d, nil
}

func newObject(n *yaml.Node, d *document) *object {
	meta := get(n, "metadata")
	return &object{
		node: n, doc: d,
		apiVersion: scalar(get(n, "apiVersion")),
		kind:       scalar(get(n, "kind")),
		name:       scalar(get(meta, "name")),
		namespace:  scalar(get(meta, "namespace")),
	}
}

// writeDocuments joins the documents again; untouched ones byte for byte.
func writeDocuments(docs []*document) ([]byte, error) {
	var out bytes.Buffer
	first := true
	for _, d := range docs {
		body, keep, err := d.bytes()
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if !first {
			out.WriteString("---\n")
		}
		first = false
		out.Write(body)
		if !bytes.HasSuffix(body, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), nil
}

// bytes renders one document; keep is false when every object in it was dropped.
func (d *document) bytes() (body []byte, keep bool, err error) {
	if d.node == nil || !d.changed {
		return d.raw, true, nil
	}
	root := d.node.Content[0]
	if len(d.objects) == 1 && d.objects[0].node == root {
		if d.objects[0].dropped {
			return nil, false, nil
		}
	} else if items := get(root, "items"); items != nil {
		kept := items.Content[:0]
		for _, o := range d.objects {
			if !o.dropped {
				kept = append(kept, o.node)
			}
		}
		items.Content = kept
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	enc.CompactSeqIndent() // "- " at the parent's indentation, as kubectl writes it
	if err := enc.Encode(d.node); err != nil {
		return nil, false, err
	}
	if err := enc.Close(); err != nil {
		return nil, false, err
	}
	return out.Bytes(), true, nil
}
