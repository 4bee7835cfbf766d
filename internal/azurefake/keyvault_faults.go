package azurefake

import (
	"context"
	"sync"
	"time"
)

// Fault is one injected answer in place of the real one.
type Fault struct {
	Status     int           // e.g. 429, 500, 503
	RetryAfter time.Duration // sent as Retry-After in whole seconds when > 0
	// Code is the inner error code of a 403, with Key Vault's message for it:
	// FirewallDenied or SecretDisabled. A missing permission
	// (ForbiddenByPolicy) comes from Allow, not from a fault.
	Code string
}

// Inner codes of Key Vault's 403 answers other than a missing permission.
const (
	FirewallDenied = "ForbiddenByFirewall" // the vault's network rules refuse the caller's address
	SecretDisabled = "SecretDisabled"      // the secret (or the version asked for) is disabled
)

// faults holds the hooks later tests use to make a vault slow or unwilling.
type faults struct {
	mu       sync.Mutex
	latency  time.Duration
	queue    []Fault
	limit    int           // answers allowed per window; 0 means no budget
	window   time.Duration // sliding window of the budget
	answered []time.Time   // non-429 answers inside the window, oldest first
	stopped  chan struct{}
	stopOnce sync.Once
}

// SetLatency delays every later request by d before it is answered. A delay
// longer than the client's patience makes a hanging vault.
func (kv *KeyVault) SetLatency(d time.Duration) {
	kv.faults.mu.Lock()
	defer kv.faults.mu.Unlock()
	kv.faults.latency = d
}

// InjectFaults queues answers for the next authorized secret requests, one
// each, in order. Unauthenticated requests still get their challenge, so the
// handshake the client needs is never disturbed.
func (kv *KeyVault) InjectFaults(fs ...Fault) {
	kv.faults.mu.Lock()
	defer kv.faults.mu.Unlock()
	kv.faults.queue = append(kv.faults.queue, fs...)
}

// SetBudget throttles the vault as Key Vault does: at most limit answers in
// any sliding window; beyond it the answer is 429 with Retry-After saying
// when a slot frees up. 429 answers do not spend the budget.
func (kv *KeyVault) SetBudget(limit int, window time.Duration) {
	kv.faults.mu.Lock()
	defer kv.faults.mu.Unlock()
	kv.faults.limit, kv.faults.window, kv.faults.answered = limit, window, nil
}

// wait applies the latency; false means the request was abandoned.
func (f *faults) wait(ctx context.Context) bool {
	f.mu.Lock()
	d := f.latency
	f.mu.Unlock()
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
	case <-f.stopped:
	}
	return false
}

func (f *faults) stop() { f.stopOnce.Do(func() { close(f.stopped) }) }

func (f *faults) next() (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return Fault{}, false
	}
	next := f.queue[0]
	f.queue = f.queue[1:]
	return next, true
}

// overBudget reports whether the budget is spent, and how long until the
// oldest answer leaves the window.
func (f *faults) overBudget() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limit <= 0 {
		return 0, false
	}
	now := time.Now()
	f.forgetBefore(now.Add(-f.window))
	if len(f.answered) < f.limit {
		return 0, false
	}
	// Never 0: a throttled answer must tell the client to wait.
	return max(f.answered[0].Add(f.window).Sub(now), time.Millisecond), true
}

// spend records one non-429 answer against the budget.
func (f *faults) spend() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limit > 0 {
		f.answered = append(f.answered, time.Now())
	}
}

func (f *faults) forgetBefore(cutoff time.Time) {
	i := 0
	for i < len(f.answered) && f.answered[i].Before(cutoff) {
		i++
	}
	f.answered = f.answered[i:]
}
