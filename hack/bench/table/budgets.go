package main

import "fmt"

// budget is a target a benchmark figure must meet. Budgets are checked
// here, on medians, and never in timed test assertions.
type budget struct {
	what   string
	bench  string
	unit   string
	limit  float64
	atMost bool // true: figure ≤ limit; false: figure ≥ limit
	show   func(float64) string
}

var budgets = []budget{
	{"HTTPS admission p99 at 500 req/s", "BenchmarkHTTPSAdmission/rate=500", "p99-ms", 2, true, ms},
	{"HTTPS admission p99 at 1000 req/s", "BenchmarkHTTPSAdmission/rate=1000", "p99-ms", 2, true, ms},
	{"HTTPS saturation throughput", "BenchmarkHTTPSAdmission/saturation", "req/s", 5000, false, perSecond},
	{"webhook peak RSS", "BenchmarkHTTPSAdmission/saturation", "peak-RSS-MiB", 40, true, mib},
	{"warm registry path over command set", "BenchmarkAdmission/registry-cache-hit-over-typical", "extra-µs", 200, true, usAsMs},
	{"10 secrets at 20 ms, cold", "BenchmarkFetch/secrets=10/latency=20ms/cold", "round-trips/op", 4, true, roundTrips},
	{"kvenv-exec size (stripped)", "BenchmarkExecOverhead", "wrapper-bytes", 2_000_000, true, megabytes},
	{"kvenv-exec exec overhead", "BenchmarkExecOverhead", "overhead-µs", 1000, true, usAsMs},
}

// verdict is a budget's median figure and whether it is met; ok is false
// when the benchmark did not run.
func (b budget) verdict(res *results) (figure float64, met, ok bool) {
	figure, ok = res.median(b.bench, b.unit)
	if !ok {
		return 0, false, false
	}
	if b.atMost {
		return figure, figure <= b.limit, true
	}
	return figure, figure >= b.limit, true
}

func (b budget) target() string {
	if b.atMost {
		return "≤ " + b.show(b.limit)
	}
	return "≥ " + b.show(b.limit)
}

func ms(v float64) string         { return fmt.Sprintf("%.2f ms", v) }
func usAsMs(v float64) string     { return fmt.Sprintf("%.2f ms", v/1e3) }
func perSecond(v float64) string  { return fmt.Sprintf("%.0f req/s", v) }
func mib(v float64) string        { return fmt.Sprintf("%.1f MiB", v) }
func megabytes(v float64) string  { return fmt.Sprintf("%.2f MB", v/1e6) }
func roundTrips(v float64) string { return fmt.Sprintf("%.2f round trips", v) }
