package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// servedWithin bounds WaitServed: kvenv's certificate watcher reacts to file
// events, and polls every 10s as a fallback.
const servedWithin = 15 * time.Second

// WaitServed handshakes with the webhook server at addr until it presents
// want, for up to 15s, and returns the last certificate presented: want,
// unless the time ran out. Every handshake must verify, for the host
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
	tlsConfig := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	got, err := waitServed(addr, tlsConfig, want, servedWithin)
	if err != nil {
		t.Fatalf("webhook configuration %s: %v", mwc, err)
	}
	return got
}

// waitServed is WaitServed's loop. The deadline covers each connect and
// handshake too: a server that accepts but never answers would otherwise
// hold a handshake, and the test, forever.
func waitServed(addr string, cfg *tls.Config, want *x509.Certificate, within time.Duration) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	dialer := &tls.Dialer{Config: cfg}
	var got *x509.Certificate
	for {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		switch {
		case err != nil && ctx.Err() != nil && got != nil:
			return got, nil // the time ran out; the caller compares
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("no TLS handshake with %s completed within %s: %w", addr, within, err)
		case err != nil:
			return nil, fmt.Errorf("a handshake with %s failed against the caBundle: %w", addr, err)
		}
		got = conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
		conn.Close()
		if got.Equal(want) {
			return got, nil
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return got, nil
		}
	}
}

// sleepCtx waits d, or less when ctx ends first, and says whether ctx is
// still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
