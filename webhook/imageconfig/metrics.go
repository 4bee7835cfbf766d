package imageconfig

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Look-up results, the label values of kvenv_image_lookups_total.
const (
	resultResolved = "resolved"  // the registry answered and the config was read
	resultDenied   = "denied"    // every credential got 401/403
	resultNotFound = "not_found" // no such image, tag or platform
	resultTimeout  = "timeout"   // the look-up timeout ran out
	resultError    = "error"     // anything else (unreachable, bad TLS, ...)
)

// Cache names, the label values of kvenv_image_cache_hits_total.
const (
	cacheTag    = "tag"    // answered wholly from memory, no registry request
	cacheConfig = "config" // the registry confirmed the digest, the config came from memory
)

type metrics struct {
	lookups   *prometheus.CounterVec
	cacheHits *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvenv_image_lookups_total",
			Help: "Registry look-ups of image ENTRYPOINT/CMD, by result (resolved, denied, not_found, timeout, error).",
		}, []string{"result"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvenv_image_cache_hits_total",
			Help: "Image look-ups answered from memory: tag (no registry request) or config (digest checked, config not refetched).",
		}, []string{"cache"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kvenv_image_lookup_duration_seconds",
			Help: "Time of one registry look-up, all mirrors and credentials included.",
			// From a loopback registry (milliseconds) to the look-up timeout.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 8},
		}),
	}
	for _, r := range []string{resultResolved, resultDenied, resultNotFound, resultTimeout, resultError} {
		m.lookups.WithLabelValues(r)
	}
	for _, c := range []string{cacheTag, cacheConfig} {
		m.cacheHits.WithLabelValues(c)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.lookups, m.cacheHits, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) hit(cache string) { m.cacheHits.WithLabelValues(cache).Inc() }

func (m *metrics) observe(err error, d time.Duration) {
	m.lookups.WithLabelValues(resultOf(err)).Inc()
	m.latency.Observe(d.Seconds())
}

func resultOf(err error) string {
	var f *lookupFailure
	if err == nil {
		return resultResolved
	}
	if !errors.As(err, &f) {
		return resultError
	}
	return f.kind.result()
}
