package docs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/testcluster"
)

// The migration section starts from the tutorial's state: these files are
// also applied for real with kubectl, as the tutorial did, so that the
// page's kubectl lines that change them meet what they would in a cluster.
var tutorialState = map[string]bool{"spc.yaml": true, "sampleapp-csi.yaml": true}

// Whose shown output depends on a running cluster (pods, addresses, times):
// they run, and only a usage error fails them.
var exampleOutput = []string{
	"kubectl -n kvenv rollout status", "kubectl -n sampleapp rollout status",
	"kubectl -n sampleapp logs", "kubectl -n sampleapp get service", "kubectl -n sampleapp get events",
}

// TestQuickstartOnAPIServer walks the page in order against a real
// kube-apiserver: kubectl and helm lines run (helm installs the real chart),
// and every yaml block, as written and as the webhook renders it, is applied
// with server-side dry-run in namespaces created for real first.
func TestQuickstartOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	bin := testcluster.NeedBinaries(t, "kubectl", "helm")
	api := testcluster.StartAPIServer(t)
	c := newCluster(t, api.Config)
	c.installSecretProviderClassCRD(t)
	dir := t.TempDir()
	kubeconfig := api.WriteKubeconfig(t)
	blocks := readBlocks(t, quickstart)
	writeFiles(t, blocks, dir, func(string) bool { return false })
	all := steps(t, blocks)
	ran, applied := 0, 0
	for _, b := range blocks {
		if b.lang == "yaml" {
			applied++
			c.applyAll(t, b, b.body)
			if tutorialState[b.file] {
				runTool(t, bin, dir, kubeconfig, step{block: b, cmd: command{line: b.line, text: "kubectl apply -f " + b.file},
					words: words{args: []string{"kubectl", "apply", "-f", b.file}}}, false)
			}
			if rendered, err := render(b.body); err == nil && rendered != b.body {
				c.applyAll(t, b, rendered)
			}
			continue
		}
		for _, s := range all {
			if s.block.line != b.line || (s.words.args[0] != "kubectl" && s.words.args[0] != "helm") {
				continue
			}
			ran++
			runTool(t, bin, dir, kubeconfig, s, true)
		}
	}
	if ran < 10 || applied < 5 {
		t.Errorf("ran %d kubectl/helm lines and applied %d yaml blocks: the page parser is broken", ran, applied)
	}
}

// runTool runs one kubectl or helm line; compare says whether the page
// shows its output.
func runTool(t *testing.T, bin, dir, kubeconfig string, s step, compare bool) {
	t.Helper()
	args := s.words.args
	for i, a := range args {
		if timeoutFlag.MatchString(a) {
			args[i] = "--timeout=1s" // nothing becomes ready here: don't wait for it
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, args[0]), args[1:]...)
	cmd.Dir = dir
	if args[0] == "helm" {
		cmd.Dir = ".." // the page runs helm from the repository's root
	}
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+dir,
		"HELM_CACHE_HOME="+filepath.Join(dir, ".helm/cache"), "HELM_CONFIG_HOME="+filepath.Join(dir, ".helm/config"),
		"HELM_DATA_HOME="+filepath.Join(dir, ".helm/data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String() + stderr.String()
	switch {
	case usageError(out):
		t.Errorf("%s: %s rejects the line: %s", s.cmd, args[0], out)
	case isExample(s.cmd.text):
	case err != nil:
		t.Errorf("%s: %v\n%s", s.cmd, err, out)
	case !compare:
	case args[0] == "helm":
		if missing := notInOrder(withoutLine(s.cmd.output, "LAST DEPLOYED:"), stdout.String()); missing != "" {
			t.Errorf("%s: shown line %q not in helm's output:\n%s", s.cmd, missing, out)
		}
	case strings.TrimSpace(out) != strings.TrimSpace(s.cmd.output):
		t.Errorf("%s: the page shows\n%s\nkubectl prints\n%s", s.cmd, s.cmd.output, out)
	}
}

func usageError(out string) bool {
	for _, sign := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument", "See 'kubectl"} {
		if strings.Contains(out, sign) {
			return true
		}
	}
	return false
}

func isExample(line string) bool {
	for _, p := range exampleOutput {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func withoutLine(s, prefix string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

type cluster struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newCluster(t *testing.T, cfg *rest.Config) *cluster {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{dyn: dynamic.NewForConfigOrDie(cfg), mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// installSecretProviderClassCRD stands in for the driver's CRD, which this
// repository does not ship: a schema-less SecretProviderClass, so that the
// page's SecretProviderClass is checked for apiVersion, kind and metadata.
func (c *cluster) installSecretProviderClassCRD(t *testing.T) {
	t.Helper()
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(spcCRD), &crd.Object); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := c.dyn.Resource(gvr).Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gk := schema.GroupKind{Group: "secrets-store.csi.x-k8s.io", Kind: "SecretProviderClass"}
	for i := 0; i < 100; i++ {
		c.mapper.Reset()
		if _, err := c.mapper.RESTMapping(gk, "v1"); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the SecretProviderClass CRD was not served within 10s")
}

const spcCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: secretproviderclasses.secrets-store.csi.x-k8s.io}
spec:
  group: secrets-store.csi.x-k8s.io
  scope: Namespaced
  names: {kind: SecretProviderClass, plural: secretproviderclasses, singular: secretproviderclass, listKind: SecretProviderClassList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// applyAll applies each document of manifests with server-side dry-run,
// creating its namespace for real first (dry-run needs it).
func (c *cluster) applyAll(t *testing.T, b block, manifests string) {
	t.Helper()
	ctx := context.Background()
	for _, doc := range splitYAML(t, []byte(manifests)) {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			t.Fatalf("line %d: %v", b.line, err)
		}
		gvk := obj.GroupVersionKind()
		m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Errorf("line %d: %s: %v", b.line, gvk, err)
			continue
		}
		var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if obj.GetNamespace() == "" {
				obj.SetNamespace("default")
			}
			c.ensureNamespace(t, obj.GetNamespace())
			ri = c.dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		opts := metav1.ApplyOptions{FieldManager: "kvenv-docs-test", Force: true, DryRun: []string{metav1.DryRunAll}}
		if _, err := ri.Apply(ctx, obj.GetName(), obj, opts); err != nil {
			t.Errorf("line %d (%s): server-side dry-run of %s %s: %v", b.line, b.file, gvk.Kind, obj.GetName(), err)
		}
	}
}

func (c *cluster) ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := c.dyn.Resource(gvr).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
