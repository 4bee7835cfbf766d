package manifests

import (
	"strings"
	"testing"
)

// TestRegistryCABundleAlone: registry.caBundle without azure.caBundle still
// gets its ConfigMap, mount and flag, and hands the init container no
// --ca-bundle-file (that one is for Entra ID and Key Vault only).
func TestRegistryCABundleAlone(t *testing.T) {
	r := render(t, "kvenv", "kvenv", "--set-file=registry.caBundle=testdata/extra-ca.pem")
	d := deployment(t, r)
	got := args(t, d)
	if _, ok := got["ca-bundle-file"]; ok {
		t.Errorf("registry.caBundle alone must not set --ca-bundle-file (the init container's CAs): %q", got["ca-bundle-file"])
	}
	file := got["registry-ca-bundle-file"]
	if !strings.HasPrefix(file, "/") {
		t.Fatalf("--registry-ca-bundle-file %q, want the mounted file", file)
	}
	checkCABundleMounted(t, r, d, file)
}
