package fetch

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// lastFailure remembers the last failed attempt on one vault that was worth
// retrying (5xx, 408, 429, no answer). When retries run into --timeout the
// SDK reports only the deadline; this says what the attempts before it ran
// into. Final answers (403, 404) are left out: they end their own request at
// once, so they never explain another request's stall.
type lastFailure struct {
	retriable func(*http.Response, error) bool

	mu   sync.Mutex
	what string
}

func newLastFailure(o policy.RetryOptions) *lastFailure {
	return &lastFailure{retriable: retriable(o)}
}

// Do is a per-try pipeline policy; it records status codes and transport
// errors, never bodies.
func (l *lastFailure) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	switch {
	case req.Raw().Context().Err() != nil || !l.retriable(resp, err):
	case err != nil:
		l.set(oneLine(err.Error()))
	default:
		l.set(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return resp, err
}

func (l *lastFailure) set(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.what = what
}

func (l *lastFailure) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.what
}

// stalledError is a deadline reached after failed attempts.
type stalledError struct {
	err  error
	last string
}

func (e *stalledError) Error() string { return e.err.Error() + " (last attempt: " + e.last + ")" }
func (e *stalledError) Unwrap() error { return e.err }
