package fetch

import (
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// retryBudget is one vault's retries, shared by all of its requests: the
// vault's requests go out together (see fetchVault), so retries counted per
// request would let a failing vault take N × (1 + MaxRetries) requests from
// one pod, and many pods' worth of that when a vault is struggling. With the
// budget a failing vault sees at most its N first tries plus MaxRetries
// retries in all; kubelet's restart of the init container, with its own
// backoff, is the retry after that.
//
// Only failures spend it (5xx, 408, transport errors and hung tries).
// Throttling does not: a 429 with a usable Retry-After is waited out below
// the SDK (waitOutThrottling) and never reaches it, nor does the wait
// reach the per-try limit (limitEachTry bounds each attempt below the wait),
// and any other 429 keeps the SDK's per-request retries, as before. Failing a throttled pod early
// would only bring it back sooner, with a new token and challenge, to a
// vault that asked for less traffic.
type retryBudget struct {
	failed func(*http.Response, error) bool // a try the SDK would retry

	mu   sync.Mutex
	left int
}

func newRetryBudget(o policy.RetryOptions) *retryBudget {
	return &retryBudget{failed: retriable(o), left: maxRetries(o)}
}

// shouldRetry is the vault client's RetryOptions.ShouldRetry, which the SDK
// asks after each try that did not end in a final error.
func (b *retryBudget) shouldRetry(resp *http.Response, err error) bool {
	switch {
	case !b.failed(resp, err):
		return false
	case err == nil && resp.StatusCode == http.StatusTooManyRequests:
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left == 0 {
		return false
	}
	b.left--
	return true
}

// retriable is the SDK's own test of a try worth retrying, which a
// ShouldRetry replaces: o's, or a transport error or one of o.StatusCodes.
func retriable(o policy.RetryOptions) func(*http.Response, error) bool {
	if o.ShouldRetry != nil {
		return o.ShouldRetry
	}
	codes := o.StatusCodes
	if codes == nil { // the SDK's default list
		codes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	}
	return func(resp *http.Response, err error) bool { return err != nil || runtime.HasStatusCode(resp, codes...) }
}

// maxRetries is the number of retries the SDK's retry policy allows o.
func maxRetries(o policy.RetryOptions) int {
	switch {
	case o.MaxRetries == 0:
		return 3 // the SDK's default
	case o.MaxRetries < 0:
		return 0 // the SDK's "no retries"
	}
	return int(o.MaxRetries)
}
