package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// TestThrottlingIsWaitedOutWithASpread drives waitOutThrottling in a real
// SDK pipeline that allows no retries: three 429s are still waited out, each
// for at least the server's Retry-After, and the spread differs per answer.
func TestThrottlingIsWaitedOutWithASpread(t *testing.T) {
	t.Parallel()
	var sent []time.Time
	vault := transporterFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, time.Now())
		if len(sent) <= 3 {
			return fakeAnswer(r, http.StatusTooManyRequests, http.Header{"Retry-After-Ms": {"50"}}), nil
		}
		return fakeAnswer(r, http.StatusOK, nil), nil
	})
	resp, err := throttledPipeline(vault).Do(newRequest(t, context.Background()))
	if err != nil || resp.StatusCode != http.StatusOK || len(sent) != 4 {
		t.Fatalf("got %v, %d requests; want 200 after 3 throttled ones", err, len(sent))
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < 50*time.Millisecond {
			t.Errorf("try %d came %s after a Retry-After of 50ms", i+1, gap)
		}
	}
	checkSpread(t, newWaitOutThrottling(DefaultRetry))
}

// checkSpread: the spread is random, within its window, and the window grows
// with each repeat.
func checkSpread(t *testing.T, p waitOutThrottling) {
	t.Helper()
	for n, window := range map[int]time.Duration{1: 3 * time.Second, 2: 4 * time.Second, 4: 16 * time.Second, 9: 16 * time.Second} {
		seen, longest := map[time.Duration]bool{}, time.Duration(0)
		for range 200 {
			d := p.spread(3*time.Second, n)
			if d < 0 || d >= window {
				t.Fatalf("spread %s for the %d. 429 with Retry-After 3s, want [0, %s)", d, n, window)
			}
			seen[d], longest = true, max(longest, d)
		}
		if len(seen) < 2 || longest < window/2 {
			t.Errorf("%d. 429: spreads %d distinct, longest %s: not spread over [0, %s)", n, len(seen), longest, window)
		}
	}
}

// TestEndlessThrottlingEndsWithTheContext: --timeout bounds the wait.
func TestEndlessThrottlingEndsWithTheContext(t *testing.T) {
	t.Parallel()
	vault := transporterFunc(func(r *http.Request) (*http.Response, error) {
		return fakeAnswer(r, http.StatusTooManyRequests, http.Header{"Retry-After-Ms": {"20"}}), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := throttledPipeline(vault).Do(newRequest(t, ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

func throttledPipeline(vault policy.Transporter) runtime.Pipeline {
	return runtime.NewPipeline("kvenv-test", "v0", runtime.PipelineOptions{}, &policy.ClientOptions{
		Transport: vault, Retry: policy.RetryOptions{MaxRetries: -1},
		// A small spread keeps the test short; spread itself is checked apart.
		PerRetryPolicies: []policy.Policy{waitOutThrottling{max: time.Minute, spreadBase: 10 * time.Millisecond, lane: newThrottleLane()}},
	})
}

func newRequest(t *testing.T, ctx context.Context) *policy.Request {
	t.Helper()
	req, err := runtime.NewRequest(ctx, http.MethodGet, "https://127.0.0.1/secrets/a/")
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func fakeAnswer(r *http.Request, status int, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, Request: r}
}

// TestThrottlingPastTimeoutIsNamedAsSuch: a vault that throttles until
// --timeout runs out ends in one line per variable that says so.
func TestThrottlingPastTimeoutIsNamedAsSuch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-throttled")
	kv.Allow(appIdentity)
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: http.StatusTooManyRequests, RetryAfter: time.Second}}, 20)...)
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Timeout = 2 * time.Second
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "A: vault "+vault+" secret a: the vault was still throttling when --timeout=2s ran out",
		"429 Too Many Requests", "spread the secrets over more vaults", raiseFetchTimeoutAdvice)
	if c := kv.Counts(); c.Throttled < 1 || c.Throttled > 3 {
		t.Errorf("%d throttled answers in 2s with Retry-After 1s: want a wait of at least 1s between them", c.Throttled)
	}
}

// TestThrottlingLongerThanATryIsWaitedOut: the per-try limit bounds each
// attempt on the network, not the waits a throttling vault asks for. Six
// secrets are throttled together with a Retry-After as long as the try
// limit (the production retry policy, its 30 s limit scaled down to 1 s), so
// each request's wait outlasts a try; waited out, every secret is fetched.
// Counted as failed tries instead, six would overrun the vault's 4 retries.
func TestThrottlingLongerThanATryIsWaitedOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	refs := f.refsIn(kv, vault, 6)
	kv.Allow(appIdentity)
	kv.GatherAuthorized(6) // all six are out, and throttled, at once
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: http.StatusTooManyRequests, RetryAfter: time.Second}}, 6)...)
	cfg := f.config(refs...)
	cfg.Retry = DefaultRetry
	cfg.Retry.TryTimeout = time.Second
	cfg.Timeout = time.Minute
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("Run against a vault throttling longer than a try: %v", err)
	}
	for i := range 6 {
		if got, want := f.readEnv(fmt.Sprintf("S%d", i), 0o400), fmt.Sprintf("value-s%d-fanout", i); got != want {
			t.Errorf("S%d holds the wrong value", i)
		}
	}
	if c := kv.Counts(); c.Throttled != 6 || c.Secrets != 6 {
		t.Errorf("counts %+v, want 6 throttled, then 6 secrets", c)
	}
}
