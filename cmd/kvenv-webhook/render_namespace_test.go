package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvenv/kvenv/webhook"
)

// namespaceDoc is a Namespace document named "default", the namespace
// podWithCommand is rendered into, with the given labels and annotations
// (YAML mappings, "{}" for none).
func namespaceDoc(labels, annotations string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: " + labels + "\n  annotations: " + annotations + "\n"
}

var optedIn = "{" + webhook.NamespaceLabel + ": " + webhook.NamespaceLabelEnabled + "}"

func renderWithStderr(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = render(append([]string{"--injector-image", injectorImage}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// The webhook reads the namespace's kvenv.io/allowed-vaults; render ignored
// them when the input's own Namespace document carried them.
func TestRenderReadsTheInputsNamespaceAnnotations(t *testing.T) {
	ns := namespaceDoc(optedIn, "{"+webhook.NamespaceAllowedVaults+": othervault}")
	out, _, err := renderWithStderr(t, ns+"---\n"+podWithCommand)
	if err == nil || !strings.Contains(err.Error(), "myvault") {
		t.Fatalf("a vault the input's namespace does not allow was rendered (err %v):\n%s", err, out)
	}
	// Also when the Namespace comes in another file than the pod.
	file := filepath.Join(t.TempDir(), "namespace.yaml")
	writeFile(t, file, []byte(ns))
	if _, _, err := renderWithStderr(t, podWithCommand, "-f", file, "-f", "-"); err == nil {
		t.Fatal("the Namespace of another -f file was ignored")
	}
	// The flag says what the cluster will hold; it wins over the input.
	if _, _, err := renderWithStderr(t, ns+"---\n"+podWithCommand, "--namespace-annotation", webhook.NamespaceAllowedVaults+"=myvault"); err != nil {
		t.Errorf("--namespace-annotation did not override the input's namespace: %v", err)
	}
}

// The webhook never sees the pods of a namespace without the injection
// label; render injected them anyway.
func TestRenderLeavesPodsOfANamespaceNotOptedIn(t *testing.T) {
	input := namespaceDoc("{}", "{}") + "---\n" + podWithCommand
	out, stderr, err := renderWithStderr(t, input)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "kvenv-init") || !strings.Contains(out, "name: second") || !strings.Contains(out, "kind: Namespace") {
		t.Errorf("want every document printed unchanged, got:\n%s", out)
	}
	if !strings.Contains(stderr, `namespace "default"`) || !strings.Contains(stderr, webhook.NamespaceLabel+"="+webhook.NamespaceLabelEnabled) {
		t.Errorf("want a note naming the namespace and the label, got %q", stderr)
	}
	// Opted in, the same pod is injected; a pod of another namespace is
	// not governed by this Namespace at all.
	if out, _, _ := renderWithStderr(t, namespaceDoc(optedIn, "{}")+"---\n"+podWithCommand); !strings.Contains(out, "kvenv-init") {
		t.Errorf("the pod of an opted-in namespace was not injected:\n%s", out)
	}
	if out, _, _ := renderWithStderr(t, input, "--namespace", "team-a"); !strings.Contains(out, "kvenv-init") {
		t.Errorf("the pod of namespace team-a was left alone for namespace default's label:\n%s", out)
	}
}
