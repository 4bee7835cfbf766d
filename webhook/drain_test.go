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

// stubManager records the readiness check and reports when its context ends.
type stubManager struct {
	ready   healthz.Checker
	started chan struct{}
	stopped chan struct{}
}

func (m *stubManager) AddReadyzCheck(_ string, c healthz.Checker) error { m.ready = c; return nil }

func (m *stubManager) Start(ctx context.Context) error {
	close(m.started)
	<-ctx.Done()
	close(m.stopped)
	return nil
}

// TestDrainFailsReadinessThenStopsAfterTheDelay: after the stop signal the
// server keeps serving (its context is live) while /readyz fails, and only
// then stops.
func TestDrainFailsReadinessThenStopsAfterTheDelay(t *testing.T) {
	t.Parallel()
	m := &stubManager{started: make(chan struct{}), stopped: make(chan struct{})}
	d, err := webhook.NewDrain(m)
	if err != nil {
		t.Fatal(err)
	}
	signal, sendSignal := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(signal, 2*time.Second, logr.Discard()) }()
	<-m.started
	if err := m.ready(nil); err != nil {
		t.Fatalf("ready before the signal: %v", err)
	}
	sendSignal()
	waitFor(t, func() bool { return m.ready(nil) != nil }, "readiness to fail after the signal")
	select {
	case <-m.stopped:
		t.Fatal("the server stopped as soon as readiness failed: no time to leave the Service's endpoints")
	default:
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop after the delay")
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
