package manifests

import (
	"context"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// helmOn runs helm against the test API server.
func (c *cluster) helmOn(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helm(t, append([]string{"--kubeconfig", c.api.WriteKubeconfig(t)}, args...)...)
	if err != nil {
		t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// helmInstall installs the chart with `helm install`, points the installed
// webhook configuration at loopback, and runs the release's webhook.
func helmInstall(t *testing.T, c *cluster, name, namespace string) (release, string) {
	t.Helper()
	requireVersionedAPIServer(t, c)
	notes := c.helmOn(t, "install", name, chartDir, "--namespace", namespace)
	objs := decodeObjects(t, []byte(c.helmOn(t, "get", "manifest", name, "--namespace", namespace)))
	port := testcluster.FreeLoopbackPort(t)
	pointLiveAtLoopback(t, c, webhookConfig(t, objs).Name, "https://127.0.0.1:"+strconv.Itoa(port)+webhook.MutatePath)
	return release{objs: objs, webhook: runChartWebhook(t, c, objs, port, t.TempDir())}, notes
}

// requireVersionedAPIServer: helm install checks the chart's kubeVersion
// against the API server's /version, and a kube-apiserver built without
// its version stamped into k8s.io/component-base/version reports
// v0.0.0-master, which no install can pass.
func requireVersionedAPIServer(t *testing.T, c *cluster) {
	t.Helper()
	v, err := c.api.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(v.GitVersion, "v0.0.0") {
		t.Fatalf("kube-apiserver in %s reports version %s, which fails the chart's kubeVersion: build it with -ldflags "+
			"'-X k8s.io/component-base/version.gitVersion=<its version>' (hack/build-tools.sh)", testcluster.BinDir(), v.GitVersion)
	}
}

func pointLiveAtLoopback(t *testing.T, c *cluster, name, url string) {
	t.Helper()
	mwcs := c.api.Client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	mwc, err := mwcs.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range mwc.Webhooks {
		mwc.Webhooks[i].ClientConfig.Service, mwc.Webhooks[i].ClientConfig.URL = nil, &url
	}
	if _, err := mwcs.Update(context.Background(), mwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkNotes: the install notes walk the user through the next steps; the
// render line names the injector image, without which render refuses to run.
func checkNotes(t *testing.T, notes string) {
	t.Helper()
	for _, step := range []string{"kubectl label namespace my-app kvenv.io/injection=enabled", "kvenv.io/vault:", "kvenv.io/env.", "kvenv-webhook render -f deployment.yaml \\\n       --injector-image=ghcr.io/kvenv/kvenv:"} {
		if !strings.Contains(notes, step) {
			t.Errorf("NOTES lack %q:\n%s", step, notes)
		}
	}
}
