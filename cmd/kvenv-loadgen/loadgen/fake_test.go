package loadgen

import (
	"context"
	"sync"
	"time"
)

// fakeClock moves only when told: sleeping jumps to the wake-up time, and
// a fakeSender advances it by its service time. Latencies computed against
// it are exact, so tests check them without real waiting.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Duration
	slept []time.Duration
}

func (c *fakeClock) now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleepUntil(ctx context.Context, t time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, t)
	c.t = max(c.t, t)
	return ctx.Err() == nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t += d
}

// fakeSender takes service time per request and fails the numbers in fail.
type fakeSender struct {
	clk     *fakeClock
	service time.Duration
	fail    map[uint64]string
	sent    []uint64
}

func (s *fakeSender) send(_ context.Context, n uint64, _ time.Duration) (string, error) {
	s.sent = append(s.sent, n)
	s.clk.advance(s.service)
	if kind, ok := s.fail[n]; ok {
		return kind, context.DeadlineExceeded
	}
	return "", nil
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
