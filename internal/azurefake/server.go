package azurefake

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Stopper is implemented by handlers that can hold a request open (Key Vault
// with injected latency). Stop releases those requests so the server can close.
type Stopper interface{ Stop() }

// Serve runs h over TLS on l, with a certificate from ca naming l's IP address
// plus names (DNS names an end-to-end test routes to l). The caller closes the
// returned server; URL is https://<l's address>.
func Serve(l net.Listener, ca *CA, h http.Handler, names ...string) (*httptest.Server, error) {
	host, _, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("listener address %s: %w", l.Addr(), err)
	}
	cert, err := ca.Issue(append([]string{host}, names...)...)
	if err != nil {
		return nil, err
	}
	// Handshake errors are expected when a test checks that an untrusted
	// certificate is refused; they would only clutter the test log.
	quiet := log.New(io.Discard, "", 0)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h, ErrorLog: quiet}}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	return srv, nil
}

// StartLoopback serves h on 127.0.0.1 for the duration of the test.
func StartLoopback(t testing.TB, ca *CA, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on loopback: %v", err)
	}
	srv, err := Serve(l, ca, h)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, ok := h.(Stopper); ok {
			s.Stop()
		}
		srv.Close()
	})
	return srv
}

// LoopbackTransport trusts only ca and dials only loopback addresses, so a
// client misconfigured toward a real Azure host fails at once instead of
// waiting on the network.
func LoopbackTransport(ca *CA) *http.Transport {
	dialer := &net.Dialer{}
	return &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := RequireLoopback(addr); err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}
}

// RequireLoopback refuses any host:port whose host is not a loopback IP.
func RequireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("test dialer refuses %s: only loopback addresses are allowed", addr)
	}
	return nil
}
