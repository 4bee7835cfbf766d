package loadgen

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestScheduleSpacesRequestsEvenlyFromZero(t *testing.T) {
	s := schedule{rate: 500, requests: 10, duration: time.Minute}
	for i, want := range []time.Duration{0, ms(2), ms(4), ms(6)} {
		if got := s.due(i); got != want {
			t.Errorf("due(%d) = %v, want %v", i, got, want)
		}
	}
	if got := (schedule{rate: 3, requests: 10, duration: time.Minute}).due(1); got != 333333333 {
		t.Errorf("due(1) at 3 req/s = %v, want 333.333333ms", got)
	}
}

func TestScheduleSizeIsTheTighterBound(t *testing.T) {
	cases := []struct {
		s    schedule
		want int
	}{
		{schedule{rate: 1000, requests: 50, duration: time.Second}, 50},   // count first
		{schedule{rate: 100, requests: 1000, duration: time.Second}, 100}, // duration first
		{schedule{rate: 3, requests: 1000, duration: time.Second}, 3},     // due at 0, 1/3, 2/3 s
		{schedule{rate: 2.5, requests: 1000, duration: time.Second}, 3},   // 0, 0.4, 0.8 s
		{schedule{rate: 1000, requests: 1000, duration: time.Millisecond}, 1},
	}
	for _, c := range cases {
		if got := c.s.size(); got != c.want {
			t.Errorf("%+v: size %d, want %d", c.s, got, c.want)
		}
		if last := c.s.due(c.s.size() - 1); last >= c.s.duration {
			t.Errorf("%+v: last request due at %v, not inside the duration", c.s, last)
		}
	}
}

func TestDispatchKeepsTheScheduleAndRecordsLateness(t *testing.T) {
	s := schedule{rate: 100, requests: 5, duration: time.Minute}
	clk := &fakeClock{}
	clk.advance(ms(25)) // the dispatcher starts late: the first three are overdue
	out := make(chan slot, s.size())
	s.dispatch(context.Background(), clk, out)
	got := collect(out)
	want := []slot{{0, ms(25)}, {ms(10), ms(25)}, {ms(20), ms(25)}, {ms(30), ms(30)}, {ms(40), ms(40)}}
	if !slices.Equal(got, want) {
		t.Fatalf("dispatched %v, want %v", got, want)
	}
	if !slices.Equal(clk.slept, []time.Duration{0, ms(10), ms(20), ms(30), ms(40)}) {
		t.Errorf("slept until %v, want each due time", clk.slept)
	}
}

func TestDispatchStopsWhenTheRunEnds(t *testing.T) {
	s := schedule{rate: 100, requests: 5, duration: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := make(chan slot, s.size())
	s.dispatch(ctx, &fakeClock{}, out)
	if n := len(collect(out)); n != 0 {
		t.Fatalf("dispatched %d requests after the run ended", n)
	}
}

// A server slower than the offered rate: closed-loop measurement would
// report 25ms for every request; the open loop reports the queueing too.
func TestOpenLoopLatencyIncludesTimeQueued(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(25)}
	due := dueChan(0, ms(10), ms(20), ms(30))
	var seq atomic.Uint64
	tl := drainDue(context.Background(), clk, snd, due, &seq, time.Second)
	want := []time.Duration{ms(25), ms(40), ms(55), ms(70)}
	if !slices.Equal(tl.latencies, want) {
		t.Fatalf("latencies %v, want %v (answered at 25, 50, 75, 100ms; due at 0, 10, 20, 30ms)", tl.latencies, want)
	}
	if tl.sent != 4 || tl.lastAnswer != ms(100) || !slices.Equal(snd.sent, []uint64{1, 2, 3, 4}) || len(tl.lags) != 4 || tl.lags[3] != 0 {
		t.Errorf("sent %d (%v), last answer %v", tl.sent, snd.sent, tl.lastAnswer)
	}
}

// The generator's own lateness (its timer firing late) is not charged to
// the server: latency runs from the hand-out, and the lag is kept apart.
func TestGeneratorLagIsReportedApart(t *testing.T) {
	clk := &fakeClock{}
	clk.advance(ms(100))
	snd := &fakeSender{clk: clk, service: ms(1)}
	due := make(chan slot, 1)
	due <- slot{due: ms(97), handed: ms(100)}
	close(due)
	var seq atomic.Uint64
	tl := drainDue(context.Background(), clk, snd, due, &seq, time.Second)
	if !slices.Equal(tl.latencies, []time.Duration{ms(1)}) || !slices.Equal(tl.lags, []time.Duration{ms(3)}) {
		t.Fatalf("latencies %v, lags %v", tl.latencies, tl.lags)
	}
}

func TestOpenLoopDropsRequestsQueuedPastTheTimeout(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(50)}
	var seq atomic.Uint64
	tl := drainDue(context.Background(), clk, snd, dueChan(0, ms(10), ms(20)), &seq, ms(45))
	// 0 → answered at 50; 10 → waited 40, sent, answered at 100; 20 → waited 80: dropped.
	if !slices.Equal(tl.latencies, []time.Duration{ms(50), ms(90)}) || tl.sent != 2 || tl.dropped != 1 || tl.failures[FailTimeout] != 1 {
		t.Fatalf("latencies %v, sent %d, dropped %d, failures %v", tl.latencies, tl.sent, tl.dropped, tl.failures)
	}
	// Waited counts from the hand-out (at 20ms, due at 20ms), to the turn at 100ms.
	if want := "timeout: still queued 80ms after hand-out, past the 45ms timeout: never sent"; tl.firstError != want {
		t.Errorf("first error %q, want %q", tl.firstError, want)
	}
}

// The wait is measured from the hand-out, not the due time: a request
// handed out late by the generator is not dropped for the generator's lag.
func TestOpenLoopTimesTheQueueFromTheHandOut(t *testing.T) {
	clk := &fakeClock{}
	clk.advance(ms(60))
	snd := &fakeSender{clk: clk, service: ms(1)}
	due := make(chan slot, 1)
	due <- slot{due: 0, handed: ms(30)}
	close(due)
	var seq atomic.Uint64
	tl := drainDue(context.Background(), clk, snd, due, &seq, ms(40))
	if tl.sent != 1 || tl.dropped != 0 || len(tl.latencies) != 1 {
		t.Fatalf("queued 30ms after hand-out (60ms after its due time) with a 40ms timeout: sent %d, dropped %d, failures %v",
			tl.sent, tl.dropped, tl.failures)
	}
}

// Requests still queued when the run is interrupted (Ctrl-C) were cut off
// by it: interrupted, not timeouts, and never sent.
func TestQueuedRequestsOfAnInterruptedRunAreInterrupted(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(1)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var seq atomic.Uint64
	tl := drainDue(ctx, clk, snd, dueChan(0, ms(10)), &seq, time.Second)
	if tl.sent != 0 || tl.dropped != 2 || tl.failures[FailInterrupted] != 2 || tl.failures[FailTimeout] != 0 {
		t.Fatalf("sent %d, dropped %d, failures %v; want 2 interrupted, never sent", tl.sent, tl.dropped, tl.failures)
	}
	if !strings.Contains(tl.firstError, "the run ended while it was queued") {
		t.Errorf("first error %q", tl.firstError)
	}
}

// The run's own bound (Duration plus Timeout) ending a queued request is a
// timeout: nobody interrupted it.
func TestQueuedRequestsPastTheRunsBoundAreTimeouts(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(1)}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	<-ctx.Done()
	var seq atomic.Uint64
	tl := drainDue(ctx, clk, snd, dueChan(0), &seq, time.Second)
	if tl.dropped != 1 || tl.failures[FailTimeout] != 1 || tl.failures[FailInterrupted] != 0 {
		t.Fatalf("dropped %d, failures %v; want 1 timeout", tl.dropped, tl.failures)
	}
}

func TestFailuresAreCountedNotTimed(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(1), fail: map[uint64]string{2: FailDenied}}
	var seq atomic.Uint64
	tl := drainDue(context.Background(), clk, snd, dueChan(0, ms(10), ms(20)), &seq, time.Second)
	if len(tl.latencies) != 2 || tl.failures[FailDenied] != 1 || tl.firstError == "" {
		t.Fatalf("latencies %v, failures %v, first error %q", tl.latencies, tl.failures, tl.firstError)
	}
}

func TestSaturationStopsAtTheRequestBound(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(2)}
	b := &budget{requests: 7, duration: time.Hour}
	tl := backToBack(context.Background(), clk, snd, b, time.Second)
	if tl.sent != 7 || len(tl.latencies) != 7 || tl.latencies[6] != ms(2) {
		t.Fatalf("sent %d, latencies %v", tl.sent, tl.latencies)
	}
}

func TestSaturationStopsAtTheDurationBound(t *testing.T) {
	clk := &fakeClock{}
	snd := &fakeSender{clk: clk, service: ms(3)}
	b := &budget{requests: 1000, duration: ms(10)}
	tl := backToBack(context.Background(), clk, snd, b, time.Second)
	// Started at 0, 3, 6 and 9ms; the fifth would start at 12ms.
	if tl.sent != 4 {
		t.Fatalf("sent %d, want 4", tl.sent)
	}
}

// dueChan holds slots handed out on time.
func dueChan(ds ...time.Duration) chan slot {
	ch := make(chan slot, len(ds))
	for _, d := range ds {
		ch <- slot{due: d, handed: d}
	}
	close(ch)
	return ch
}

func collect(ch chan slot) []slot {
	var out []slot
	for s := range ch {
		out = append(out, s)
	}
	return out
}
