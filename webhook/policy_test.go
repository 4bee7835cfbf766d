package webhook_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/leakcheck"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// TestPolicyOnRealAPIServer checks kvenv's policies end to end: the API
// server calls the webhook of manifests/ served by a replica configured with
// a cluster-wide list of allowed vaults.
func TestPolicyOnRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	api := testcluster.StartAPIServer(t, loadWebhookConfiguration(t, "../manifests/kvenv.yaml"))
	r := startReplica(t, api, api.Webhook.LocalServingPort, func(o *webhook.ServerOptions) {
		o.Config.AllowedVaults = []string{"myvault", "othervault"}
	})
	warnings := &warningRecorder{}
	c := clientWithWarnings(api, warnings)
	optedIn := map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled}
	apps := createNamespace(t, c, "apps", optedIn)
	narrow := createNamespaceWith(t, c, "narrow", optedIn, map[string]string{webhook.NamespaceAllowedVaults: "othervault"})

	t.Run("the cluster's list denies a vault outside it", func(t *testing.T) {
		requireDenied(t, c, apps, podVault("thirdvault"), "thirdvault.vault.azure.net is not among the vaults this cluster allows")
	})
	t.Run("a namespace narrows the cluster's list", func(t *testing.T) {
		requireDenied(t, c, narrow, podVault("myvault"), "not among the vaults namespace narrow allows in its annotation "+webhook.NamespaceAllowedVaults)
		assertInjected(t, createPod(t, c, narrow, podVault("othervault")))
	})
	t.Run("the node identity warning reaches the client", func(t *testing.T) {
		requireNodeIdentityWarning(t, c, apps, warnings)
	})
	t.Run("an opted-out pod is created untouched", func(t *testing.T) {
		if got := createPod(t, c, apps, optedOut()); len(got.Spec.InitContainers) != 0 || got.Annotations[webhook.AnnotationStatus] != "" {
			t.Fatalf("an opted-out pod was mutated: %v", got.Annotations)
		}
	})
	t.Run("the webhook itself skips an opted-out pod", func(t *testing.T) {
		requireWebhookSkips(t, api, r.addr)
	})
	t.Run("the API server's denial does not repeat a pasted value", func(t *testing.T) {
		for name, annotations := range pastedCases {
			_, err := c.CoreV1().Pods(apps).Create(context.Background(), podWith(annotations), metav1.CreateOptions{})
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			leakcheck.Check(t, name+": API server error", err.Error(), pastedPassword, pastedToken, pastedSecret, pastedPEM)
		}
	})
	t.Run("the IMDS NetworkPolicy of docs/security.md is valid", func(t *testing.T) {
		requireDocNetworkPolicy(t, c)
	})
	t.Run("TLS below the configured minimum is refused", func(t *testing.T) {
		requireTLSMinimum(t, api, r.addr, tls.VersionTLS12)
		strict := startReplica(t, api, testcluster.FreeLoopbackPort(t), func(o *webhook.ServerOptions) { o.TLSMinVersion = tls.VersionTLS13 })
		requireTLSMinimum(t, api, strict.addr, tls.VersionTLS13)
	})
}

func podVault(vault string) *corev1.Pod {
	pod := annotatedPod("app")
	pod.Annotations[webhook.AnnotationVault] = vault
	return pod
}

func optedOut() *corev1.Pod {
	pod := annotatedPod("app")
	pod.Annotations[webhook.AnnotationInject] = "false"
	return pod
}

func requireDenied(t *testing.T, c kubernetes.Interface, ns string, pod *corev1.Pod, want string) {
	t.Helper()
	_, err := c.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), `admission webhook "pods.kvenv.io" denied the request`) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant kvenv's denial saying %q", err, want)
	}
}

func requireNodeIdentityWarning(t *testing.T, c kubernetes.Interface, ns string, warnings *warningRecorder) {
	const want = "kvenv: no workload identity and no " + webhook.AnnotationClientID
	warnings.reset()
	createPod(t, c, ns, annotatedPod("app"))
	if !warnings.has(want) {
		t.Fatalf("warnings %q lack %q", warnings.list(), want)
	}
	warnings.reset()
	withID := annotatedPod("app")
	withID.Annotations[webhook.AnnotationClientID] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	createPod(t, c, ns, withID)
	if warnings.has(want) {
		t.Error("the node identity warning for a pod that names its managed identity")
	}
}

// requireWebhookSkips posts reviews to the replica directly, as the API
// server would if the webhook configuration had no matchConditions.
func requireWebhookSkips(t *testing.T, api *testcluster.APIServer, addr string) {
	out := postDirect(t, api, addr, optedOut())
	if !out.Allowed || len(out.Patch) > 0 {
		t.Fatalf("the webhook answered an opted-out pod with allowed=%v and a %d-byte patch", out.Allowed, len(out.Patch))
	}
	if in := postDirect(t, api, addr, annotatedPod("app")); !in.Allowed || len(in.Patch) == 0 {
		t.Fatalf("the same pod without the opt-out got allowed=%v and no patch: the direct call proves nothing", in.Allowed)
	}
}

func postDirect(t *testing.T, api *testcluster.APIServer, addr string, pod *corev1.Pod) admissionResponse {
	t.Helper()
	pod.Name, pod.Namespace = "direct", "apps"
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: trusting(t, api)}}
	resp, err := client.Post("https://"+addr+webhook.MutatePath, "application/json", bytes.NewReader(reviewOf(t, pod)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAnswer(t, body)
}

// requireTLSMinimum: a client capped one version below min is refused by the
// webhook's real server; one at min is served.
func requireTLSMinimum(t *testing.T, api *testcluster.APIServer, addr string, min uint16) {
	t.Helper()
	old := trusting(t, api)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, min-1
	if conn, err := tls.Dial("tcp", addr, old); err == nil {
		conn.Close()
		t.Fatalf("%s accepted a TLS %s client", addr, tls.VersionName(min-1))
	} else if !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("%s refused a TLS %s client for another reason: %v", addr, tls.VersionName(min-1), err)
	}
	current := trusting(t, api)
	current.MinVersion, current.MaxVersion = min, min
	conn, err := tls.Dial("tcp", addr, current)
	if err != nil {
		t.Fatalf("%s refused a TLS %s client: %v", addr, tls.VersionName(min), err)
	}
	conn.Close()
}

// trusting verifies the webhook's certificate as the API server does.
func trusting(t *testing.T, api *testcluster.APIServer) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(api.Webhook.LocalServingCAData) {
		t.Fatal("no CA for the webhook's serving certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func createNamespaceWith(t *testing.T, c kubernetes.Interface, name string, labels, annotations map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

// warningRecorder is client-go's warning handler: it keeps the Warning
// headers the API server returns, admission webhooks' warnings among them.
type warningRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warningRecorder) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = nil
}

func (w *warningRecorder) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

func (w *warningRecorder) has(prefix string) bool {
	for _, s := range w.list() {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func clientWithWarnings(api *testcluster.APIServer, w rest.WarningHandler) kubernetes.Interface {
	cfg := rest.CopyConfig(api.Config)
	cfg.WarningHandler = w
	return kubernetes.NewForConfigOrDie(cfg)
}

// requireDocNetworkPolicy creates the NetworkPolicy that docs/security.md
// recommends, decoded strictly, so that a user can apply it as written.
func requireDocNetworkPolicy(t *testing.T, c kubernetes.Interface) {
	page, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(page), "### Blocking IMDS")
	_, rest, found2 := strings.Cut(rest, "```yaml\n")
	block, _, found3 := strings.Cut(rest, "```")
	if !found || !found2 || !found3 {
		t.Fatal("docs/security.md has no yaml block under \"### Blocking IMDS\"")
	}
	np := &networkingv1.NetworkPolicy{}
	if err := yaml.UnmarshalStrict([]byte(block), np); err != nil {
		t.Fatalf("the documented NetworkPolicy does not decode: %v", err)
	}
	createNamespace(t, c, np.Namespace, nil)
	if _, err := c.NetworkingV1().NetworkPolicies(np.Namespace).Create(context.Background(), np, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refuses the documented NetworkPolicy: %v", err)
	}
}
