package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/testcluster"
)

const (
	chartDir = "charts/kvenv"
	// kubeVersion is the Kubernetes the tests run (hack/build-tools.sh). Helm
	// built from source assumes an old default, below the chart's kubeVersion.
	kubeVersion = "1.37.2"
)

// helm runs the helm binary from the tools cache with a throw-away home,
// so no user configuration or repository influences the result.
func helm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	bin := filepath.Join(testcluster.NeedBinaries(t, "helm"), "helm")
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), errors.New(strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// template renders the chart as `helm template` does; set holds --set
// arguments (key=value).
func template(t *testing.T, release, namespace string, set ...string) []byte {
	t.Helper()
	out, err := helm(t, templateArgs(release, namespace, set...)...)
	if err != nil {
		t.Fatalf("helm template %s -n %s %v: %v", release, namespace, set, err)
	}
	return out
}

func templateArgs(release, namespace string, set ...string) []string {
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	return append(args, setFlags(set)...)
}

// setFlags turns key=value into --set key=value; an entry that is a flag
// already (--set-file=key=path) passes as it is.
func setFlags(set []string) []string {
	var out []string
	for _, s := range set {
		if strings.HasPrefix(s, "--") {
			out = append(out, s)
		} else {
			out = append(out, "--set", s)
		}
	}
	return out
}

// rendered is a chart rendering, object by object.
type rendered []*unstructured.Unstructured

func render(t *testing.T, release, namespace string, set ...string) rendered {
	t.Helper()
	return decodeObjects(t, template(t, release, namespace, set...))
}

func decodeObjects(t *testing.T, data []byte) rendered {
	t.Helper()
	var objs rendered
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := docs.Read()
		if err == io.EOF {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// all returns the objects of a kind.
func (r rendered) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one decodes the single object of into's kind; into's Go type names it.
func (r rendered) one(t *testing.T, kind string, into any) {
	t.Helper()
	objs := r.all(kind)
	if len(objs) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(objs))
	}
	strictDecode(t, objs[0], into)
}

// strictDecode fails on any field the Go type does not know: a typo in a
// template shows here, before an API server is involved.
func strictDecode(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	raw, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

func (r rendered) kinds() map[string]int {
	out := map[string]int{}
	for _, o := range r {
		out[o.GetKind()]++
	}
	return out
}
