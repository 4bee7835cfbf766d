package fetch

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// limitEachTry is RetryOptions.TryTimeout, applied by kvenv instead of the
// SDK. The SDK's limit covers everything below its retry policy, the waits
// of waitOutThrottling included, so a vault that asked a request to wait
// longer than the limit in all would fail it, and spend the vault's retry
// budget, though nothing had hung. Placed below waitOutThrottling, this
// bounds each attempt on the network only: sending it and reading its
// answer. A zero limit bounds nothing.
type limitEachTry struct{ limit time.Duration }

func (p limitEachTry) Do(req *policy.Request) (*http.Response, error) {
	if p.limit <= 0 {
		return req.Next()
	}
	run := req.Raw().Context()
	try, cancel := context.WithTimeout(run, p.limit)
	defer cancel()
	resp, err := req.Clone(try).Next()
	if err == nil {
		// The answer is read within the try too, so cancelling the try's
		// context afterwards cuts nothing short. The SDK has usually read it
		// already; then this returns what it kept.
		_, err = runtime.Payload(resp)
	}
	if err != nil && try.Err() == context.DeadlineExceeded && run.Err() == nil {
		abandoned := &tryTimeoutError{limit: p.limit}
		noteLastTry(run, abandoned)
		return nil, abandoned
	}
	noteLastTry(run, nil)
	return resp, err
}

// lastTry is how the latest try of one token request ended, if it was
// abandoned at the per-try limit. azidentity reports a failed token request
// as text, which loses the *tryTimeoutError, so tokenCredential hands this
// record down in the request's context instead.
type lastTry struct {
	mu        sync.Mutex
	abandoned *tryTimeoutError
}

type lastTryKey struct{}

func recordLastTry(ctx context.Context) (context.Context, *lastTry) {
	rec := &lastTry{}
	return context.WithValue(ctx, lastTryKey{}, rec), rec
}

func noteLastTry(ctx context.Context, abandoned *tryTimeoutError) {
	if rec, ok := ctx.Value(lastTryKey{}).(*lastTry); ok {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.abandoned = abandoned
	}
}

// get is the abandoned try, when the latest try was one.
func (rec *lastTry) get() *tryTimeoutError {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.abandoned
}

// tryTimeoutError is a try abandoned at the per-try limit while the run
// still had time: the SDK retries it (it is a failure that spends the
// vault's budget). It deliberately does not unwrap to
// context.DeadlineExceeded, which means --timeout ran out.
type tryTimeoutError struct{ limit time.Duration }

func (e *tryTimeoutError) Error() string {
	return fmt.Sprintf("no answer within the per-try limit of %s", e.limit)
}
