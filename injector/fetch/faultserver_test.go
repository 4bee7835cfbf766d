package fetch

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// The faults here happen below HTTP answers (resets, hangs, handshakes), or on
// the token endpoint, which the azurefake hooks do not cover.

type faultKind int

const (
	resetConnection    faultKind = iota // TCP RST instead of an answer
	hangUntilAbandoned                  // no answer until the client gives up on the try
	serviceUnavailable                  // 503 with an OAuth-style error body
)

// flaky fails the next `left` requests that match (all of them while left
// is negative), then passes everything to next.
type flaky struct {
	next  http.Handler
	match func(*http.Request) bool
	kind  faultKind
	stop  chan struct{}

	mu     sync.Mutex
	left   int
	failed int
}

func newFlaky(next http.Handler, match func(*http.Request) bool, kind faultKind, times int) *flaky {
	return &flaky{next: next, match: match, kind: kind, left: times, stop: make(chan struct{})}
}

// authorized matches Key Vault requests that carry a token: the challenge
// before them is left alone, so the client's handshake is undisturbed.
func authorized(r *http.Request) bool { return r.Header.Get("Authorization") != "" }

// tokenRequest matches the token endpoint, not the OpenID configuration.
func tokenRequest(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token")
}

func (fl *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !fl.match(r) || !fl.take() {
		fl.next.ServeHTTP(w, r)
		return
	}
	switch fl.kind {
	case resetConnection:
		resetConnectionOf(w)
	case hangUntilAbandoned:
		select {
		case <-r.Context().Done():
		case <-fl.stop:
		}
		panic(http.ErrAbortHandler) // drop the connection without an answer
	case serviceUnavailable:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"temporarily_unavailable","error_description":"AADSTS90033: injected outage"}`)
	}
}

func (fl *flaky) take() bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.left == 0 {
		return false
	}
	if fl.left > 0 {
		fl.left--
	}
	fl.failed++
	return true
}

// failAlways fails every later matching request, until clear.
func (fl *flaky) failAlways() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.left = -1
}

// clear ends the fault: every later request is passed on.
func (fl *flaky) clear() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.left = 0
}

func (fl *flaky) failures() int {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.failed
}

// resetConnectionOf aborts the TCP connection under the request with a RST: lingering
// off, then closing the raw socket below TLS, so no close_notify is sent.
func resetConnectionOf(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}

// serveTLS runs h on loopback over TLS with tlsCfg, for faults in the handshake.
func serveTLS(t *testing.T, h http.Handler, tlsCfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(tls.NewListener(l, tlsCfg))
	t.Cleanup(func() { srv.Close() })
	return "https://" + l.Addr().String()
}

// handshakeFaults serves the first `failures` TLS handshakes with an alert
// instead of a certificate, then presents cert; it counts every handshake.
func handshakeFaults(cert tls.Certificate, failures int32, count *atomic.Int32) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			if count.Add(1) <= failures {
				return nil, errors.New("injected handshake failure")
			}
			return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
		},
	}
}

// behind serves fl on loopback and returns its URL.
func (f *fixture) behind(fl *flaky) string {
	url := azurefake.StartLoopback(f.t, f.ca, fl).URL
	// Registered after the server, so it runs first: held requests end
	// before the server waits for them to close.
	f.t.Cleanup(func() { close(fl.stop) })
	return url
}
