package fetch

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestThrottledRequestsToAVaultTakeTurns: three requests to one vault are
// throttled together; they wait out the Retry-After as one and then go one
// at a time, where each on its own would be back at the vault at once.
func TestThrottledRequestsToAVaultTakeTurns(t *testing.T) {
	t.Parallel()
	const requests = 3
	vault := &throttlingVault{arrived: make(chan struct{})}
	pipeline := throttledPipeline(vault) // one policy, so one lane, as on one vault's client
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			resp, err := pipeline.Do(newRequest(t, context.Background()))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("got %v, %v; want 200 after the 429", resp, err)
			}
		})
	}
	wg.Wait()
	if vault.maxOut != 1 {
		t.Errorf("%d requests out at once after the 429s, want 1: they must take turns", vault.maxOut)
	}
	if vault.firstRetry.Sub(vault.throttledAt) < vault.retryAfter {
		t.Errorf("first request %s after the 429s, before their Retry-After of %s", vault.firstRetry.Sub(vault.throttledAt), vault.retryAfter)
	}
}

// throttlingVault answers its first three requests, once all have arrived,
// with 429; later requests get 200 after a while, long enough that requests
// sent within one Retry-After of each other would be out together.
type throttlingVault struct {
	arrived chan struct{} // closed when the first three are in

	mu                      sync.Mutex
	seen, out, maxOut       int
	throttledAt, firstRetry time.Time
	retryAfter              time.Duration
}

func (v *throttlingVault) Do(r *http.Request) (*http.Response, error) {
	v.mu.Lock()
	v.seen++
	first := v.seen <= 3
	if v.seen == 3 {
		close(v.arrived)
	}
	if !first {
		if v.firstRetry.IsZero() {
			v.firstRetry = time.Now()
		}
		v.out++
		v.maxOut = max(v.maxOut, v.out)
	}
	v.mu.Unlock()
	if first {
		<-v.arrived
		v.mu.Lock()
		v.throttledAt, v.retryAfter = time.Now(), 50*time.Millisecond
		v.mu.Unlock()
		return fakeAnswer(r, http.StatusTooManyRequests, http.Header{"Retry-After-Ms": {"50"}}), nil
	}
	time.Sleep(200 * time.Millisecond)
	v.mu.Lock()
	v.out--
	v.mu.Unlock()
	return fakeAnswer(r, http.StatusOK, nil), nil
}
