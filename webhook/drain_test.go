package webhook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/kvenv/kvenv/webhook"
)

// stubManager records the readiness check and when its context ends.
type stubManager struct {
	ready     healthz.Checker
	started   chan struct{}
	stopped   chan struct{}
	stoppedAt time.Time // set before stopped is closed
}

func (m *stubManager) AddReadyzCheck(_ string, c healthz.Checker) error { m.ready = c; return nil }

func (m *stubManager) Start(ctx context.Context) error {
	close(m.started)
	<-ctx.Done()
	m.stoppedAt = time.Now()
	close(m.stopped)
	return nil
}

// TestDrainFailsReadinessThenStopsAfterTheDelay: after the stop signal
// /readyz fails at once, while the server keeps serving (its context is
// live) for the whole delay, and stops soon after it.
func TestDrainFailsReadinessThenStopsAfterTheDelay(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	// Generous: only a server that never stopped, or one that waited for
	// something other than the delay, takes this long.
	const lateBy = 10 * time.Second
	m := &stubManager{started: make(chan struct{}), stopped: make(chan struct{})}
	d, err := webhook.NewDrain(m)
	if err != nil {
		t.Fatal(err)
	}
	signal, sendSignal := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(signal, delay, logr.Discard()) }()
	<-m.started
	if err := m.ready(nil); err != nil {
		t.Fatalf("ready before the signal: %v", err)
	}
	signalledAt := time.Now()
	sendSignal()
	waitFor(t, func() bool { return m.ready(nil) != nil }, "readiness to fail after the signal")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(delay + lateBy):
		t.Fatalf("the server still serves %s after the signal; the delay is %s", delay+lateBy, delay)
	}
	served := m.stoppedAt.Sub(signalledAt)
	if served < delay {
		t.Fatalf("the server stopped %s after the signal, before the %s delay: no time to leave the Service's endpoints", served, delay)
	}
}

// TestDrainReturnsWhenTheManagerFails: a manager that ends on its own (a
// port in use) ends Run with its error, with no signal.
func TestDrainReturnsWhenTheManagerFails(t *testing.T) {
	t.Parallel()
	want := errors.New("listen tcp :9443: address already in use")
	d, err := webhook.NewDrain(failingManager{want})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background(), time.Hour, logr.Discard()); !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

type failingManager struct{ err error }

func (failingManager) AddReadyzCheck(string, healthz.Checker) error { return nil }
func (f failingManager) Start(context.Context) error                { return f.err }

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
