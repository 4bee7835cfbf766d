package manifests

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kvenv/kvenv/internal/testcluster"
)

// cluster applies and removes rendered objects on a real API server, the way
// `helm install` and `helm uninstall` do.
type cluster struct {
	api    *testcluster.APIServer
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	api := testcluster.StartAPIServer(t)
	disc, err := discovery.NewDiscoveryClientForConfig(api.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{
		api: api, dyn: dynamic.NewForConfigOrDie(api.Config),
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
	}
}

func (c *cluster) resource(t *testing.T, o *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		return c.dyn.Resource(m.Resource)
	}
	return c.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
}

// apply server-side applies every object with strict field validation, so
// a field the API (or a CRD's schema) does not know is an error, not pruned.
func (c *cluster) apply(t *testing.T, objs rendered) {
	t.Helper()
	force := true
	for _, o := range objs {
		data, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.resource(t, o).Patch(context.Background(), o.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: "helm", Force: &force, FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("applying %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

// uninstall deletes every object of a release, as `helm uninstall` does.
func (c *cluster) uninstall(t *testing.T, objs rendered) {
	t.Helper()
	for _, o := range objs {
		err := c.resource(t, o).Delete(context.Background(), o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("deleting %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

func (c *cluster) exists(t *testing.T, o *unstructured.Unstructured) bool {
	t.Helper()
	_, err := c.resource(t, o).Get(context.Background(), o.GetName(), metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// installCertManagerCRDs installs cert-manager's own CRDs, from the module
// kvenv's go.mod pins, so the chart's Issuers and Certificates meet the real
// schemas.
func (c *cluster) installCertManagerCRDs(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/cert-manager/cert-manager").Output()
	if err != nil {
		t.Fatalf("locating the cert-manager module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "deploy", "crds")
	if _, err := envtest.InstallCRDs(c.api.Config, envtest.CRDInstallOptions{Paths: []string{dir}, ErrorIfPathMissing: true}); err != nil {
		t.Fatalf("installing cert-manager's CRDs from %s: %v", dir, err)
	}
	c.mapper.Reset()
}

// pointAtLoopback makes the API server call the in-process webhook on
// 127.0.0.1 instead of the Service, which has no pods behind it here.
func pointAtLoopback(t *testing.T, objs rendered, url string) {
	t.Helper()
	for _, o := range objs.all("MutatingWebhookConfiguration") {
		hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
		for _, h := range hooks {
			h.(map[string]any)["clientConfig"] = map[string]any{"url": url}
		}
		if err := unstructured.SetNestedSlice(o.Object, hooks, "webhooks"); err != nil {
			t.Fatal(err)
		}
	}
}
