package fetch

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// throttleLane paces one vault's requests while the vault throttles this
// pod. The requests go out together (see fetchVault); if each then waited out
// its own 429s, a throttled pod would keep one request per secret knocking
// on a vault that asked for less, and the pods of a rollout would throw each
// other more 429s (measured in scale_test.go). With the lane the pod waits
// out the vault's longest Retry-After (plus spread) as one, then sends one
// request at a time until the vault answers without a 429.
type throttleLane struct {
	turn chan struct{} // holds a token while a request is out in its turn

	mu         sync.Mutex
	resume     time.Time // no request before then: the latest 429s' waits
	throttling bool      // the vault's latest answer was a 429
}

func newThrottleLane() *throttleLane { return &throttleLane{turn: make(chan struct{}, 1)} }

// wait holds a request until it may be sent and returns the func that gives
// its turn back, or nil when it needs no turn: the vault is not throttling
// and the request itself has not been throttled.
func (l *throttleLane) wait(ctx context.Context, throttled bool) (release func(), err error) {
	for {
		pause, paced := l.pause(throttled)
		if !paced {
			return nil, nil
		}
		if pause > 0 {
			if err := sleepOrDone(ctx, pause); err != nil {
				return nil, err
			}
			continue
		}
		select {
		case l.turn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if pause, _ := l.pause(true); pause <= 0 {
			return func() { <-l.turn }, nil
		}
		<-l.turn // the request out before this one was throttled: wait again
	}
}

// pause is how long the vault still asks requests to wait, and whether a
// request is paced at all.
func (l *throttleLane) pause(throttled bool) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !throttled && !l.throttling {
		return 0, false
	}
	return time.Until(l.resume), true
}

// throttledFor records a 429 and the wait it asked for (Retry-After plus
// spread): no request to the vault before it is over.
func (l *throttleLane) throttledFor(wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttling = true
	if resume := time.Now().Add(wait); resume.After(l.resume) {
		l.resume = resume
	}
}

// answered records any other answer: only a 429 (one not waited out, which
// the SDK backs off from) keeps the vault's requests paced.
func (l *throttleLane) answered(status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttling = status == http.StatusTooManyRequests
}
