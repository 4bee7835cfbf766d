package loadgen

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Failure kinds, the keys of Report.Failures.
const (
	FailTransport = "transport"   // connection or TLS error
	FailStatus    = "http-status" // an HTTP status other than 200
	FailBody      = "bad-body"    // not an AdmissionReview answering this request
	FailDenied    = "denied"      // the webhook refused the pod
	FailNoPatch   = "no-patch"    // allowed, but the pod was not mutated
	FailTimeout   = "timeout"     // no answer within Timeout of being handed out (dropped ones too)
	// FailInterrupted: cut off, in flight or still queued, because the run
	// was interrupted (Ctrl-C): neither the server's fault nor a timeout.
	FailInterrupted = "interrupted"
)

// Report is the outcome of a run.
type Report struct {
	Mode        string // "open loop, 500 req/s offered" or "saturation"
	Connections int
	Sent        int // requests sent
	// Dropped are requests handed out but never sent: they waited for a
	// free connection until Timeout had passed (failed as timeouts, as the
	// API server would have given up), or until the run was interrupted
	// (failed as interrupted).
	Dropped    int
	OK         int            // answers that met the expectation
	Failures   map[string]int // by kind, dropped requests included; absent kinds had none
	FirstError string         // one example, to start debugging from
	Elapsed    time.Duration  // from the start to the last answer
	Throughput float64        // OK answers per second of Elapsed
	Latency    Percentiles    // of the OK answers
	// GeneratorLag is how late the generator handed requests out against
	// their schedule (open loop only). Large values mean the generator,
	// not the server, could not keep the rate: its CPU is too busy.
	GeneratorLag Percentiles
}

// HandedOut is every request the run counts: sent or dropped. OK and
// Failed add up to it.
func (r Report) HandedOut() int { return r.Sent + r.Dropped }

// Failed is the number of requests that did not succeed, sent or not.
func (r Report) Failed() int {
	n := 0
	for _, v := range r.Failures {
		n += v
	}
	return n
}

// Percentiles summarise latencies. In open-loop runs a latency runs from
// when the generator handed the request out to its answer, so time spent
// queued for a connection counts; the generator's own lateness is reported
// apart (Report.GeneratorLag).
type Percentiles struct {
	P50, P90, P99, P999, Max, Mean time.Duration
}

// summarize computes Percentiles over samples, which it sorts.
func summarize(samples []time.Duration) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	return Percentiles{
		P50: percentile(samples, 50), P90: percentile(samples, 90), P99: percentile(samples, 99),
		P999: percentile(samples, 99.9), Max: samples[len(samples)-1],
		Mean: sum / time.Duration(len(samples)),
	}
}

// percentile is the nearest-rank percentile of sorted samples: the
// smallest sample that at least p percent of all samples do not exceed.
// No interpolation: every figure reported is a latency that was measured.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// Rounding guards against 99.9/100*1000 landing a hair above 999.
	rank := int(math.Ceil(math.Round(p/100*float64(len(sorted))*1e6) / 1e6))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// tally is one connection's results; merged once the connection is done,
// so recording needs no lock.
type tally struct {
	latencies  []time.Duration
	lags       []time.Duration
	sent       int
	dropped    int
	failures   map[string]int
	firstError string
	lastAnswer time.Duration
}

func (t *tally) ok(latency, at time.Duration) {
	t.latencies = append(t.latencies, latency)
	t.lastAnswer = max(t.lastAnswer, at)
}

func (t *tally) fail(kind string, err error, at time.Duration) {
	if t.failures == nil {
		t.failures = map[string]int{}
	}
	t.failures[kind]++
	if t.firstError == "" && err != nil {
		t.firstError = kind + ": " + err.Error()
	}
	t.lastAnswer = max(t.lastAnswer, at)
}

// drop records a request that was never sent, and why.
func (t *tally) drop(kind string, err error, at time.Duration) {
	t.dropped++
	t.fail(kind, err, at)
}

func merge(mode string, tallies []*tally) Report {
	r := Report{Mode: mode, Connections: len(tallies), Failures: map[string]int{}}
	var all, lags []time.Duration
	for _, t := range tallies {
		all = append(all, t.latencies...)
		lags = append(lags, t.lags...)
		r.Sent += t.sent
		r.Dropped += t.dropped
		for k, v := range t.failures {
			r.Failures[k] += v
		}
		if r.FirstError == "" {
			r.FirstError = t.firstError
		}
		r.Elapsed = max(r.Elapsed, t.lastAnswer)
	}
	r.OK = len(all)
	if r.Elapsed > 0 {
		r.Throughput = float64(r.OK) / r.Elapsed.Seconds()
	}
	r.Latency = summarize(all)
	r.GeneratorLag = summarize(lags)
	return r
}

// Print writes the report for people.
func (r Report) Print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "mode:        %s, %d connections\n", r.Mode, r.Connections)
	fmt.Fprintf(w, "requests:    %d handed out (%d sent, %d dropped unsent): %d ok, %d failed in %s\n",
		r.HandedOut(), r.Sent, r.Dropped, r.OK, r.Failed(), r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "throughput:  %.1f req/s\n", r.Throughput)
	fmt.Fprintf(w, "latency:     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s\n",
		ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.P999), ms(r.Latency.Max), ms(r.Latency.Mean))
	if r.GeneratorLag.Max > 0 {
		fmt.Fprintf(w, "generator:   lag behind schedule p99 %s  max %s\n", ms(r.GeneratorLag.P99), ms(r.GeneratorLag.Max))
	}
	if r.Failed() == 0 {
		return
	}
	kinds := make([]string, 0, len(r.Failures))
	for k, v := range r.Failures {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "failures:    %s\n", strings.Join(kinds, " "))
	fmt.Fprintf(w, "first error: %s\n", r.FirstError)
}
