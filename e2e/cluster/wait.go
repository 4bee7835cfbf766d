package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// pollInterval is the pause between two readiness checks.
const pollInterval = 200 * time.Millisecond

// checkTimeout bounds one readiness check (one request).
const checkTimeout = 5 * time.Second

// waitFor polls check until it succeeds, at most timeout/pollInterval times
// and never longer than timeout. A check returns permanent(err) for a state
// that cannot get better. It gives up at once when a process it
// depends on has exited, with that process's log in the error.
func waitFor(what string, timeout time.Duration, deps []*process, check func(ctx context.Context) error) error {
	deadline := time.Now().Add(timeout)
	attempts := int(timeout/pollInterval) + 1
	var last error
	for i := 0; i < attempts && time.Now().Before(deadline); i++ {
		for _, p := range deps {
			if err := p.stillRunning(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		last = check(ctx)
		cancel()
		if last == nil {
			return nil
		}
		if errors.As(last, new(permanentError)) {
			return fmt.Errorf("%s: %w", what, last)
		}
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("%s not ready after %s: %v%s", what, timeout, last, depLogs(deps))
}

func depLogs(deps []*process) string {
	s := ""
	for _, p := range deps {
		s += fmt.Sprintf("\nlast lines of %s:\n%s", p.logPath, tail(p.logPath, tailLines))
	}
	return s
}

// permanentError ends waitFor at once.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// permanent marks err as one that waiting will not cure.
func permanent(err error) error { return permanentError{err} }
