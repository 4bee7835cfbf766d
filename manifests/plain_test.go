package manifests

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite kvenv.yaml from the chart")

const plainManifest = "kvenv.yaml"

// plainHeader opens kvenv.yaml: the namespace the rendering assumes, with
// PSA restricted enforced (the webhook's pods comply), then the chart.
const plainHeader = `# kvenv, plain YAML for kubectl apply: the Helm chart in charts/kvenv rendered
# with default values into the namespace kvenv (self-managed TLS). Generated,
# do not edit; regenerate with
#   go test ./manifests -run TestPlainManifestIsCurrent -update
apiVersion: v1
kind: Namespace
metadata:
  name: kvenv
  labels:
    pod-security.kubernetes.io/enforce: restricted
`

// TestPlainManifestIsCurrent fails when kvenv.yaml is not what the chart
// renders with default values, so the two can never drift apart.
func TestPlainManifestIsCurrent(t *testing.T) {
	want := append([]byte(plainHeader), template(t, "kvenv", "kvenv")...)
	if *update {
		if err := os.WriteFile(plainManifest, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(plainManifest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: it is not the chart's default rendering; run\n  go test ./manifests -run TestPlainManifestIsCurrent -update", plainManifest)
	}
}
