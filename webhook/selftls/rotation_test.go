package selftls_test

import (
	"context"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestRotationIsServedWithoutRestart runs kvenv's webhook server (with its
// certificate watcher) on self-managed certificates, and rotates them while
// it runs: the serving certificate, then the CA. After each step the next
// TLS handshake presents the Secret's current certificate, it verifies
// against the caBundle of the webhook configuration, and the real API server
// still admits (and kvenv mutates) an annotated pod.
//
// The test clock moves less than the certificates' backdating, so the API
// server, which uses the real clock, accepts every certificate made.
func TestRotationIsServedWithoutRestart(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-rotation", "127.0.0.1")
	c, mwc := api.Client, opts.WebhookConfigName
	port := createServedPodWebhook(t, c, mwc)

	start := time.Now()
	clk := testclock.New(start)
	opts.Now = clk.Now
	// Renewals at two thirds: serving certificates at 2m, the CA at 4m.
	opts.CAValidity, opts.CertValidity, opts.Propagation = 6*time.Minute, 3*time.Minute, 10*time.Second
	rotator, addr := startServing(t, api, opts, port)

	steps := []struct {
		name string
		at   time.Time
	}{
		{"first certificate", start},
		{"serving certificate renewed", start.Add(2*time.Minute + time.Second)},
		{"CA renewed, old certificate still served", start.Add(4 * time.Minute)},
		{"serving certificate from the new CA", start.Add(4*time.Minute + opts.Propagation)},
	}
	for _, step := range steps {
		reconcileAt(t, rotator, clk, step.at, step.name)
		want := servingCertOf(t, getSecret(t, c))
		servedAndAdmitted(t, c, mwc, addr, step.name, want)
	}
}

// createServedPodWebhook creates the namespace apps, opted in to injection,
// and the webhook configuration mwc for a webhook server on 127.0.0.1 at a
// free port, which it returns.
func createServedPodWebhook(t *testing.T, c kubernetes.Interface, mwc string) int {
	t.Helper()
	port := testcluster.FreeLoopbackPort(t)
	createNamespace(t, c, "apps", map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled})
	createPodWebhook(t, c, mwc, port)
	return port
}

// startServing bootstraps a rotator with opts and runs kvenv's webhook server
// on its certificates at 127.0.0.1:port; it returns the rotator and the
// server's address.
func startServing(t *testing.T, api *testcluster.APIServer, opts selftls.Options, port int) (*selftls.Rotator, string) {
	t.Helper()
	rotator := newRotator(t, api.Client, opts)
	if err := rotator.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rotator, startWebhook(t, api, port, opts.CertDir)
}

// reconcileAt moves clk to at and has rotator reconcile.
func reconcileAt(t *testing.T, rotator *selftls.Rotator, clk *testclock.Clock, at time.Time, step string) {
	t.Helper()
	clk.Set(at)
	if _, err := rotator.Reconcile(context.Background()); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// servedAndAdmitted checks that the webhook server at addr presents want,
// verified against the caBundle of mwc, and that the API server admits (and
// kvenv mutates) an annotated pod in the namespace apps.
func servedAndAdmitted(t *testing.T, c kubernetes.Interface, mwc, addr, step string, want *x509.Certificate) {
	t.Helper()
	if got := testcluster.WaitServed(t, c, mwc, addr, want); !got.Equal(want) {
		t.Fatalf("%s: the server presents serial %x, the Secret holds %x", step, got.SerialNumber, want.SerialNumber)
	}
	createAnnotatedPod(t, c, "apps", step)
}

func createAnnotatedPod(t *testing.T, c kubernetes.Interface, ns, step string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "app-", Annotations: map[string]string{
			webhook.AnnotationVault: "myvault", webhook.AnnotationEnvPrefix + "DB_PASSWORD": "DatasourcePassword",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1", Command: []string{"/app"}}}},
	}
	got, err := c.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: the API server could not use the webhook: %v", step, err)
	}
	if got.Annotations[webhook.AnnotationStatus] != webhook.StatusInjected {
		t.Fatalf("%s: pod not mutated: %v", step, got.Annotations)
	}
}

// startWebhook runs kvenv's webhook manager on 127.0.0.1:port and the
// rotator's certificate directory until the test ends, and returns its address.
func startWebhook(t *testing.T, api *testcluster.APIServer, port int, certDir string) string {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:test"
	mgr, err := webhook.NewManager(api.Config, webhook.ServerOptions{
		Host: "127.0.0.1", Port: port, CertDir: certDir, MetricsAddr: "0", ProbeAddr: "0", Config: cfg,
		Registerer: prometheus.NewRegistry(), // one per manager: several tests start one
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhook manager: %v", err)
		}
	})
	for range 100 {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhook did not listen on %s within 10s", addr)
	return ""
}
