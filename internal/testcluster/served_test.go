package testcluster

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWaitServedGivesUpOnAStalledHandshake: a server that accepts the
// connection and never answers must not hold WaitServed past its bound.
func TestWaitServedGivesUpOnAStalledHandshake(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16) // accepted, never answered
	accepting := make(chan struct{})
	defer func() {
		l.Close()
		<-accepting
		close(held)
		for conn := range held {
			conn.Close()
		}
	}()
	go func() {
		defer close(accepting)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			held <- conn
		}
	}()
	const within = 300 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		_, err := waitServed(l.Addr().String(), &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, nil, within)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("waitServed reported success against a server that never answered")
		}
	case <-time.After(within + 5*time.Second):
		t.Fatalf("waitServed still waits for a stalled handshake %s after its %s bound", 5*time.Second, within)
	}
}

// TestWaitServedReturnsTheLastCertificateWhenTimeRunsOut: a server that
// keeps presenting another certificate than the one awaited is not an
// error; the caller sees which certificate it got.
func TestWaitServedReturnsTheLastCertificateWhenTimeRunsOut(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	other := &x509.Certificate{Raw: []byte("not the served one")}

	got, err := waitServed(srv.Listener.Addr().String(), cfg, other, 300*time.Millisecond)
	if err != nil || !got.Equal(srv.Certificate()) {
		t.Fatalf("waiting for another certificate: got a certificate %v, error %v; want the served one and no error", got != nil, err)
	}
	got, err = waitServed(srv.Listener.Addr().String(), cfg, srv.Certificate(), 5*time.Second)
	if err != nil || !got.Equal(srv.Certificate()) {
		t.Fatalf("waiting for the served certificate: error %v", err)
	}
}

// TestWaitServedFailsAHandshakeTheCABundleDoesNotVerify: an unverifiable
// certificate fails at once, not after the bound.
func TestWaitServedFailsAHandshakeTheCABundleDoesNotVerify(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	cfg := &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	begin := time.Now()
	if _, err := waitServed(srv.Listener.Addr().String(), cfg, srv.Certificate(), 5*time.Second); err == nil {
		t.Fatal("a certificate outside the caBundle was accepted")
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("an unverifiable handshake took %s to fail; it must fail at once", d)
	}
}
