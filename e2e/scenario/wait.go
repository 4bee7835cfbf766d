package scenario

import (
	"context"
	"fmt"
	"time"
)

// pollInterval is the pause between two checks of a wait.
const pollInterval = 250 * time.Millisecond

// requestTimeout bounds one check (one API request).
const requestTimeout = 10 * time.Second

// Poll runs check until it returns nil, at most timeout/pollInterval+1
// times and never past timeout, and returns the last error otherwise.
func Poll(what string, timeout time.Duration, check func(ctx context.Context) error) error {
	deadline := time.Now().Add(timeout)
	attempts := int(timeout/pollInterval) + 1
	var last error
	for i := 0; i < attempts && time.Now().Before(deadline); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		last = check(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("%s: not done after %s: %w", what, timeout, last)
}
