package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Admission results, the label values of kvenv_admission_requests_total.
const (
	ResultInjected = "injected" // the pod was mutated
	ResultSkipped  = "skipped"  // nothing to do (no references, opted out, already converged)
	ResultDenied   = "denied"   // bad input: the user gets a message
	ResultError    = "error"    // kvenv could not decide (look-up or encoding failure, or a panic)
)

// Metrics are the webhook's own Prometheus metrics. controller-runtime adds
// per-path request counts and latencies of its own beside them.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewMetrics creates kvenv's admission metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvenv_admission_requests_total",
			Help: "Pod admission requests handled by kvenv, by result (injected, skipped, denied, error).",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kvenv_admission_duration_seconds",
			Help: "Time kvenv spent on one pod admission request, registry look-ups included.",
			// Admission is sub-millisecond on a warm path and bounded by the
			// webhook timeout on a cold registry look-up.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	reg.MustRegister(m.requests, m.latency)
	for _, r := range []string{ResultInjected, ResultSkipped, ResultDenied, ResultError} {
		m.requests.WithLabelValues(r)
	}
	return m
}

func (m *Metrics) observe(result string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(result).Inc()
	m.latency.Observe(d.Seconds())
}
