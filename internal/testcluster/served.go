package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// WaitServed handshakes with the webhook server at addr until it presents
// want, for up to 15s (kvenv's certificate watcher reacts to file events, and
// polls every 10s as a fallback), and returns the last certificate presented:
// want, unless the time ran out. Every handshake must verify, for the host
// 127.0.0.1, against the caBundle of the MutatingWebhookConfiguration mwc,
// the way the API server verifies the webhook.
func WaitServed(t testing.TB, c kubernetes.Interface, mwc, addr string, want *x509.Certificate) *x509.Certificate {
	t.Helper()
	cfg, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(context.Background(), mwc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cfg.Webhooks[0].ClientConfig.CABundle)
	var got *x509.Certificate
	for range 150 {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatalf("a handshake failed against the webhook configuration's caBundle: %v", err)
		}
		got = conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if got.Equal(want) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}
