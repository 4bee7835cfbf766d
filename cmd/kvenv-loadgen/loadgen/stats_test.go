package loadgen

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = ms(float64(i + 1)) // 1..1000 ms
	}
	cases := []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{thousand, 50, ms(500)},
		{thousand, 99, ms(990)},
		{thousand, 99.9, ms(999)},
		{thousand, 100, ms(1000)},
		{thousand, 0.01, ms(1)},
		{[]time.Duration{ms(7)}, 99.9, ms(7)},
		{[]time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
		{[]time.Duration{ms(1), ms(2), ms(3), ms(4)}, 51, ms(3)},
		{[]time.Duration{ms(1), ms(2), ms(3), ms(4)}, 99, ms(4)},
		{nil, 50, 0},
	}
	for _, c := range cases {
		if got := percentile(c.samples, c.p); got != c.want {
			t.Errorf("p%g of %d samples = %v, want %v", c.p, len(c.samples), got, c.want)
		}
	}
}

func TestSummarizeSortsAndAverages(t *testing.T) {
	p := summarize([]time.Duration{ms(4), ms(1), ms(3), ms(2)})
	want := Percentiles{P50: ms(2), P90: ms(4), P99: ms(4), P999: ms(4), Max: ms(4), Mean: ms(2.5)}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
}

func TestMergeAddsConnectionsUp(t *testing.T) {
	a := &tally{sent: 3}
	a.ok(ms(1), ms(100))
	a.ok(ms(3), ms(200))
	a.fail(FailDenied, errors.New("no"), ms(150))
	b := &tally{sent: 2}
	b.ok(ms(2), ms(400))
	b.fail(FailTimeout, nil, ms(500))
	r := merge("saturation", []*tally{a, b})
	if r.Sent != 5 || r.OK != 3 || r.Failed() != 2 || r.Elapsed != ms(500) || r.Connections != 2 {
		t.Fatalf("report %+v", r)
	}
	if r.Throughput != 6 { // 3 answers in 0.5s
		t.Errorf("throughput %g, want 6", r.Throughput)
	}
	if r.Latency.P50 != ms(2) || r.Latency.Max != ms(3) || r.FirstError != "denied: no" {
		t.Errorf("latency %+v, first error %q", r.Latency, r.FirstError)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, s := range []string{"5 handed out (5 sent, 0 dropped unsent): 3 ok, 2 failed", "6.0 req/s", "p50 2.000 ms", "denied=1 timeout=1"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("printed report lacks %q:\n%s", s, out.String())
		}
	}
}

// Requests dropped unsent are failures but were never sent: counted
// against everything handed out, ok and failed add up.
func TestDroppedRequestsAreHandedOutButNotSent(t *testing.T) {
	a := &tally{sent: 2}
	a.ok(ms(1), ms(10))
	a.fail(FailTimeout, errors.New("no answer"), ms(20))
	a.drop(FailTimeout, errors.New("still queued"), ms(30))
	a.drop(FailTimeout, errors.New("still queued"), ms(40))
	b := &tally{}
	b.drop(FailInterrupted, errors.New("the run ended"), ms(50))
	r := merge("open loop, 100 req/s offered", []*tally{a, b})
	if r.Sent != 2 || r.Dropped != 3 || r.HandedOut() != 5 || r.OK+r.Failed() != r.HandedOut() {
		t.Fatalf("sent %d, dropped %d, handed out %d, ok %d, failed %d", r.Sent, r.Dropped, r.HandedOut(), r.OK, r.Failed())
	}
	if r.Failures[FailTimeout] != 3 || r.Failures[FailInterrupted] != 1 {
		t.Errorf("failures %v, want timeout=3 interrupted=1", r.Failures)
	}
	var out bytes.Buffer
	r.Print(&out)
	if want := "5 handed out (2 sent, 3 dropped unsent): 1 ok, 4 failed"; !strings.Contains(out.String(), want) {
		t.Errorf("printed report lacks %q:\n%s", want, out.String())
	}
}
