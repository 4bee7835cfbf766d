package webhook

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// Drain keeps a replica serving for a while after it is told to stop, with
// /readyz failing. The API server calls the webhook through its Service, and
// a terminating replica leaves the Service's endpoints only some time after
// the signal; a server that closed at once would refuse the admissions still
// routed to it, and with failurePolicy Fail those pods would be refused.
type Drain struct {
	mgr      drainable
	draining atomic.Bool
}

// drainable is what Drain needs of a controller-runtime manager.
type drainable interface {
	AddReadyzCheck(name string, check healthz.Checker) error
	Start(ctx context.Context) error
}

// NewDrain adds Drain's readiness check to mgr; call it before Run.
func NewDrain(mgr drainable) (*Drain, error) {
	d := &Drain{mgr: mgr}
	err := mgr.AddReadyzCheck("not-shutting-down", func(*http.Request) error {
		if d.draining.Load() {
			return errors.New("kvenv is shutting down")
		}
		return nil
	})
	return d, err
}

// Run starts the manager and stops it delay after stop is done, failing
// readiness meanwhile. A second signal still ends the process at once
// (controller-runtime's signal handler exits on it).
func (d *Drain) Run(stop context.Context, delay time.Duration, log logr.Logger) error {
	serving, closeServer := context.WithCancel(context.WithoutCancel(stop))
	defer closeServer()
	go func() {
		select {
		case <-stop.Done():
		case <-serving.Done():
			return // the manager ended on its own
		}
		d.draining.Store(true)
		log.Info("shutting down: /readyz fails, admissions are still served", "for", delay.String())
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-serving.Done():
		}
		closeServer()
	}()
	return d.mgr.Start(serving)
}
