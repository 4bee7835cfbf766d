package webhook_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestRotationUnderLoad rotates the webhook's self-managed certificates (the
// serving certificate, then the CA, then a serving certificate from the new
// CA) while a steady stream of pods is admitted through the real API server.
// No admission may fail, so no handshake of the API server failed; and each
// step is checked to be served, verified against the caBundle the API
// server reads.
func TestRotationUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	api := testcluster.StartAPIServer(t)
	c := quietClient(t, api)
	port := testcluster.FreeLoopbackPort(t)
	const mwc = "kvenv-rotation"
	createNamespace(t, c, "kvenv", nil)
	ns := createNamespace(t, c, "rotating", map[string]string{"kvenv-test/rotation": "enabled"})
	testcluster.CreateLoopbackPodWebhook(t, c, mwc, port, webhook.MutatePath, map[string]string{"kvenv-test/rotation": "enabled"})

	start := time.Now()
	clk := testclock.New(start)
	opts := selftls.DefaultOptions()
	opts.SecretName, opts.SecretNamespace, opts.WebhookConfigName = "kvenv-tls", "kvenv", mwc
	opts.Hosts, opts.CertDir, opts.Now = []string{"127.0.0.1"}, t.TempDir(), clk.Now
	// Renewals at two thirds: the serving certificate at 2m, the CA at 4m. The
	// clock moves less than the certificates' backdating, so the API server,
	// on the real clock, accepts each one.
	opts.CAValidity, opts.CertValidity, opts.Propagation = 6*time.Minute, 3*time.Minute, 10*time.Second
	rotator, err := selftls.New(api.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rotator.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, api, port, func(o *webhook.ServerOptions) { o.CertDir = opts.CertDir })

	s := startStream(t, c, ns, streamWorkers, 5000)
	s.waitFor(t, 10)
	for _, at := range []time.Duration{2*time.Minute + time.Second, 4 * time.Minute, 4*time.Minute + opts.Propagation} {
		clk.Set(start.Add(at))
		if _, err := rotator.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := servingCert(t, c, opts)
		if got := testcluster.WaitServed(t, c, mwc, r.addr, want); !got.Equal(want) {
			t.Fatal("the rotated certificate was not served within 15s")
		}
		s.waitFor(t, 15) // admissions across the switch, before the next step
	}
	n, faults := s.finish()
	if len(faults) > 0 {
		t.Fatalf("%d admissions failed during rotation: %v", len(faults), firstFew(faults))
	}
	t.Logf("%d pods admitted and mutated across three rotations", n)
}

// servingCert returns the Secret's current serving certificate.
func servingCert(t *testing.T, c kubernetes.Interface, opts selftls.Options) *x509.Certificate {
	t.Helper()
	s, err := c.CoreV1().Secrets(opts.SecretNamespace).Get(context.Background(), opts.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(s.Data[selftls.KeyServingCert])
	if block == nil {
		t.Fatal("no serving certificate in the Secret")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
