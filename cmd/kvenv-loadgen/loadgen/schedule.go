package loadgen

import (
	"context"
	"math"
	"time"
)

// clock is time since the run began. Tests replace it so that schedules
// and latencies can be checked exactly, without real waiting.
type clock interface {
	now() time.Duration
	// sleepUntil returns once now() >= t, or false if ctx ends first.
	sleepUntil(ctx context.Context, t time.Duration) bool
}

type realClock struct{ start time.Time }

func (c realClock) now() time.Duration { return time.Since(c.start) }

func (c realClock) sleepUntil(ctx context.Context, t time.Duration) bool {
	d := t - c.now()
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// schedule is an open-loop plan: request i is due at i/rate, whatever
// happened to the ones before it.
type schedule struct {
	rate     float64
	requests int
	duration time.Duration
}

// due is when request i should be sent.
func (s schedule) due(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / s.rate)
}

// size is how many requests fit in both bounds.
func (s schedule) size() int {
	inDuration := int(math.Ceil(s.duration.Seconds() * s.rate))
	return max(0, min(s.requests, inDuration))
}

// slot is one request of an open-loop run: when it was due, and when the
// dispatcher actually handed it out. The two differ by the generator's own
// lateness (a timer firing late on an idle CPU), which is not the server's
// doing and is reported apart; everything after the hand-out, including
// waiting for a free connection, is the request's latency.
type slot struct{ due, handed time.Duration }

// dispatch hands out each request at its due time, or at once if it is
// already overdue, so the offered rate holds on average. It never waits
// for a connection (out holds size() slots): if the server falls behind,
// requests queue and their latency shows it (no coordinated omission).
func (s schedule) dispatch(ctx context.Context, c clock, out chan<- slot) {
	defer close(out)
	for i := range s.size() {
		due := s.due(i)
		if !c.sleepUntil(ctx, due) {
			return
		}
		out <- slot{due: due, handed: c.now()}
	}
}
