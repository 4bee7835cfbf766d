package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// hangingConn is a connection to a webhook that never answers. The
// handler reads the body first: only then does the server notice the
// client hanging up, which ends the handler and lets the test close.
func hangingConn(t *testing.T) *conn {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	o, err := Options{Target: srv.URL + "/mutate-v1-pod", Requests: 1, Duration: time.Second,
		TLS: &tls.Config{RootCAs: roots}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	rv, err := newReview(o.Pod)
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(o, rv)
	t.Cleanup(c.close)
	return c
}

// Ctrl-C cuts a request off in flight: interrupted, not a timeout.
func TestARequestInFlightWhenTheRunIsInterruptedIsInterrupted(t *testing.T) {
	c := hangingConn(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if kind, err := c.send(ctx, 1, time.Minute); kind != FailInterrupted {
		t.Fatalf("send = %q, %v; want %q", kind, err, FailInterrupted)
	}
}

func TestARequestUnansweredWithinItsTimeoutIsATimeout(t *testing.T) {
	c := hangingConn(t)
	if kind, err := c.send(context.Background(), 1, 50*time.Millisecond); kind != FailTimeout {
		t.Fatalf("send = %q, %v; want %q", kind, err, FailTimeout)
	}
}
