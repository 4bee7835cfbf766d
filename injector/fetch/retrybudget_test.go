package fetch

import (
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestRetryBudgetIsSpentByFailuresOnly: MaxRetries retries in all for the
// vault's failures, however many requests they come from; throttling and
// final answers spend nothing.
func TestRetryBudgetIsSpentByFailuresOnly(t *testing.T) {
	t.Parallel()
	b := newRetryBudget(policy.RetryOptions{MaxRetries: 2})
	answer := func(status int) *http.Response { return &http.Response{StatusCode: status} }
	for i, step := range []struct {
		resp *http.Response
		err  error
		want bool
	}{
		{answer(http.StatusTooManyRequests), nil, true}, // throttling: the SDK's own per-request retries
		{answer(http.StatusServiceUnavailable), nil, true},
		{answer(http.StatusNotFound), nil, false}, // final: spends nothing
		{answer(http.StatusOK), nil, false},
		{nil, errors.New("connection reset"), true}, // the second and last retry
		{answer(http.StatusBadGateway), nil, false},
		{nil, errors.New("connection reset"), false},
		{answer(http.StatusTooManyRequests), nil, true},
	} {
		if got := b.shouldRetry(step.resp, step.err); got != step.want {
			t.Errorf("step %d: shouldRetry = %v, want %v", i, got, step.want)
		}
	}
}

func TestRetryBudgetFollowsTheSDKsMaxRetries(t *testing.T) {
	t.Parallel()
	for maxRetries, want := range map[int32]int{0: 3, -1: 0, 4: 4} {
		if got := newRetryBudget(policy.RetryOptions{MaxRetries: maxRetries}).left; got != want {
			t.Errorf("MaxRetries %d: budget %d, want %d as the SDK counts it", maxRetries, got, want)
		}
	}
}
