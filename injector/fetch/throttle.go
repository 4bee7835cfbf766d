package fetch

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// waitOutThrottling is a per-try policy for 429 answers that carry a
// Retry-After. The SDK's retry policy alone waits exactly Retry-After and
// counts the 429 as a failed try, which goes wrong when many pods share a
// vault (measured in scale_test.go: 700 to 1,050 of 2,000 pods out of retries):
//   - Key Vault gives Retry-After in whole seconds, so pods throttled in the
//     same second come back in the same instant and are throttled together
//     again: the wait here adds a random spread, and only ever adds.
//   - Retry-After says when the first slot frees, not when there is room for
//     everyone, so a request may be throttled many times in a row: a 429
//     means "wait", not "failed", so it does not use up the retries meant
//     for errors. --timeout still bounds the wait; the per-try limit does
//     not, as limitEachTry applies it below this policy, to each attempt.
//   - A vault's requests wait as one (throttleLane), so a throttled pod does
//     not keep one request per secret knocking.
type waitOutThrottling struct {
	max        time.Duration // the retry policy's MaxRetryDelay: a longer wait is given up on
	spreadBase time.Duration // the spread window after the first 429, doubling with each repeat
	lane       *throttleLane // one per vault client (forVault); the credential's client has its own
}

func newWaitOutThrottling(o policy.RetryOptions) waitOutThrottling {
	return waitOutThrottling{max: maxRetryDelay(o), spreadBase: 2 * time.Second, lane: newThrottleLane()}
}

// Do sends the try, and again after each throttled answer, until an answer
// that is not a 429 with a usable Retry-After, or until the context ends.
// The waits are the lane's: the request's own, or longer if another request
// to the vault was asked to wait longer.
func (p waitOutThrottling) Do(req *policy.Request) (*http.Response, error) {
	ctx := req.Raw().Context()
	for n := 1; ; n++ {
		release, err := p.lane.wait(ctx, n > 1)
		if err != nil {
			return nil, err
		}
		resp, err := req.Next()
		if release != nil {
			release()
		}
		d, throttled := p.throttled(resp, err)
		if !throttled {
			if err == nil {
				p.lane.answered(resp.StatusCode)
			}
			return resp, err
		}
		p.lane.throttledFor(d + p.spread(d, n))
		runtime.Drain(resp)
		if err := req.RewindBody(); err != nil { // a token request has a body to send again
			return nil, err
		}
	}
}

// forVault is p with a lane of its own, for one vault's client.
func (p waitOutThrottling) forVault() waitOutThrottling {
	p.lane = newThrottleLane()
	return p
}

// throttled reports a 429 whose Retry-After this policy waits out; others go
// to the SDK, which backs off, or gives up on a wait past MaxRetryDelay.
func (p waitOutThrottling) throttled(resp *http.Response, err error) (time.Duration, bool) {
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	d, ok := retryAfter(resp.Header)
	return d, ok && d <= p.max
}

func sleepOrDone(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// spread is the random delay added to a Retry-After of d for a request
// throttled n times in a row: up to d again, or a window that doubles from
// spreadBase with each repeat (up to 8x), whichever is longer, so requests
// throttled together fan out further each round.
func (p waitOutThrottling) spread(d time.Duration, n int) time.Duration {
	window := max(d, p.spreadBase<<min(n-1, 3))
	if window <= 0 {
		return 0
	}
	return rand.N(window)
}

// retryAfter reads the wait an answer asks for, in the SDK's order of
// preference: milliseconds headers, then Retry-After in seconds or as a date.
func retryAfter(h http.Header) (time.Duration, bool) {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if ms, err := strconv.ParseInt(h.Get(name), 10, 64); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond, true
		}
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := time.Until(at); d > 0 {
			return d, true
		}
	}
	return 0, false
}

// maxRetryDelay is the cap the SDK's retry policy applies to o.
func maxRetryDelay(o policy.RetryOptions) time.Duration {
	switch {
	case o.MaxRetryDelay == 0:
		return 60 * time.Second // the SDK's default
	case o.MaxRetryDelay < 0:
		return math.MaxInt64 // the SDK's "no cap"
	}
	return o.MaxRetryDelay
}
