package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Run sends the requests o describes and reports what came back. It ends
// when Requests have been sent or Duration has passed, whichever comes
// first, plus at most Timeout for the answers still due.
func Run(ctx context.Context, o Options) (Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Report{}, err
	}
	rv, err := newReview(o.Pod)
	if err != nil {
		return Report{}, err
	}
	senders := make([]sender, o.Connections)
	for i := range senders {
		c := newConn(o, rv)
		defer c.close()
		if err := c.warm(ctx, uint64(MaxRequests+i), o.Timeout); err != nil {
			return Report{}, err
		}
		senders[i] = c
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration+o.Timeout)
	defer cancel()
	clk := realClock{start: time.Now()}
	if o.Rate > 0 {
		return openLoop(ctx, clk, senders, o), nil
	}
	return saturation(ctx, clk, senders, o), nil
}

// openLoop sends on schedule; each connection takes the next due request
// as soon as it is free.
func openLoop(ctx context.Context, clk clock, senders []sender, o Options) Report {
	s := schedule{rate: o.Rate, requests: o.Requests, duration: o.Duration}
	due := make(chan slot, s.size())
	go s.dispatch(ctx, clk, due)
	var seq atomic.Uint64
	tallies := each(senders, func(snd sender) *tally {
		return drainDue(ctx, clk, snd, due, &seq, o.Timeout)
	})
	return merge(fmt.Sprintf("open loop, %g req/s offered", o.Rate), tallies)
}

// drainDue sends each request it is handed and measures from the hand-out,
// so time spent queued for a connection counts. A request already older
// than timeout when its turn comes is dropped, not sent: the API server
// would have given up on it. So is one whose run was interrupted.
func drainDue(ctx context.Context, clk clock, snd sender, due <-chan slot, seq *atomic.Uint64, timeout time.Duration) *tally {
	t := &tally{}
	for s := range due {
		t.lags = append(t.lags, s.handed-s.due)
		now := clk.now()
		waited := now - s.handed
		if ctx.Err() != nil {
			t.drop(cutOff(ctx), fmt.Errorf("the run ended while it was queued, %s after hand-out: never sent",
				waited.Round(time.Millisecond)), now)
			continue
		}
		if waited >= timeout {
			t.drop(FailTimeout, fmt.Errorf("still queued %s after hand-out, past the %s timeout: never sent",
				waited.Round(time.Millisecond), timeout), now)
			continue
		}
		t.sent++
		kind, err := snd.send(ctx, seq.Add(1), timeout-waited)
		at := clk.now()
		if err != nil {
			t.fail(kind, err, at)
			continue
		}
		t.ok(at-s.handed, at)
	}
	return t
}

// cutOff is the failure kind of a request the run did not let finish:
// interrupted when the run was cancelled (Ctrl-C), a timeout otherwise
// (its own timeout, or the run's bound).
func cutOff(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return FailInterrupted
	}
	return FailTimeout
}

// saturation keeps every connection busy: a closed loop, so latency is
// the server's answer time and throughput its capacity.
func saturation(ctx context.Context, clk clock, senders []sender, o Options) Report {
	b := &budget{requests: uint64(o.Requests), duration: o.Duration}
	tallies := each(senders, func(snd sender) *tally {
		return backToBack(ctx, clk, snd, b, o.Timeout)
	})
	return merge("saturation", tallies)
}

// budget hands out request numbers until either bound is reached.
type budget struct {
	requests uint64
	duration time.Duration
	next     atomic.Uint64
}

func (b *budget) claim(now time.Duration) (uint64, bool) {
	if now >= b.duration {
		return 0, false
	}
	n := b.next.Add(1)
	return n, n <= b.requests
}

func backToBack(ctx context.Context, clk clock, snd sender, b *budget, timeout time.Duration) *tally {
	t := &tally{}
	for ctx.Err() == nil {
		start := clk.now()
		n, ok := b.claim(start)
		if !ok {
			break
		}
		t.sent++
		kind, err := snd.send(ctx, n, timeout)
		at := clk.now()
		if err != nil {
			t.fail(kind, err, at)
			continue
		}
		t.ok(at-start, at)
	}
	return t
}

// each runs loop once per sender, concurrently, and collects the tallies.
func each(senders []sender, loop func(sender) *tally) []*tally {
	tallies := make([]*tally, len(senders))
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Go(func() { tallies[i] = loop(s) })
	}
	wg.Wait()
	return tallies
}
