package selftls_test

import (
	"context"
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
	if testing.Short() {
		t.Skip("needs a real kube-apiserver")
	}
	api := testcluster.StartAPIServer(t)
	c := api.Client
	const ns, secret, mwc = "kvenv", "kvenv-tls", "kvenv-rotation"
	port := testcluster.FreeLoopbackPort(t)
	createNamespace(t, c, ns, nil)
	createNamespace(t, c, "apps", map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled})
	testcluster.CreateLoopbackPodWebhook(t, c, mwc, port, "/mutate-v1-pod", map[string]string{"kvenv.io/injection": "enabled"})

	start := time.Now()
	clk := testclock.New(start)
	opts := selftls.DefaultOptions()
	opts.SecretName, opts.SecretNamespace, opts.WebhookConfigName = secret, ns, mwc
	opts.Hosts, opts.CertDir, opts.Now = []string{"127.0.0.1"}, t.TempDir(), clk.Now
	// Renewals at two thirds: serving certificates at 2m, the CA at 4m.
	opts.CAValidity, opts.CertValidity, opts.Propagation = 6*time.Minute, 3*time.Minute, 10*time.Second
	rotator, err := selftls.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rotator.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	startWebhook(t, api, port, opts.CertDir, addr)

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
		clk.Set(step.at)
		if _, err := rotator.Reconcile(context.Background()); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		want := servingCertOf(t, getSecret(t, c, ns, secret))
		got := testcluster.WaitServed(t, c, mwc, addr, want)
		if !got.Equal(want) {
			t.Fatalf("%s: the server presents serial %x, the Secret holds %x", step.name, got.SerialNumber, want.SerialNumber)
		}
		createAnnotatedPod(t, c, "apps", step.name)
	}
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

// startWebhook runs kvenv's webhook manager on the rotator's certificate
// directory until the test ends.
func startWebhook(t *testing.T, api *testcluster.APIServer, port int, certDir, addr string) {
	t.Helper()
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
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhook did not listen on %s within 10s", addr)
}
