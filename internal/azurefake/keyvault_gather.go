package azurefake

import (
	"context"
	"sync"
)

// gathering holds authorized requests until a set number of them have
// arrived; its zero value holds nothing.
type gathering struct {
	mu      sync.Mutex
	missing int           // requests still to arrive; 0 means none are held
	all     chan struct{} // closed when the last of them arrives
}

// GatherAuthorized holds the next n authorized secret requests until all n
// have arrived, then lets them on together. It shows whether a client has n
// requests out at once: one that waits for an answer before sending its next
// request never completes the gathering, and its first request waits until
// the client gives up on it. Unauthenticated requests are never held, so the
// challenge still gets its answer.
func (kv *KeyVault) GatherAuthorized(n int) {
	kv.gather.mu.Lock()
	defer kv.gather.mu.Unlock()
	kv.gather.missing, kv.gather.all = n, make(chan struct{})
}

// join counts one arrival and holds it until the gathering is complete;
// false means the caller gave up or the fake is stopping first.
func (g *gathering) join(ctx context.Context, stopped <-chan struct{}) bool {
	g.mu.Lock()
	if g.missing == 0 {
		g.mu.Unlock()
		return true
	}
	all := g.all
	g.missing--
	if g.missing == 0 {
		close(all)
	}
	g.mu.Unlock()
	select {
	case <-all:
		return true
	case <-ctx.Done():
	case <-stopped:
	}
	return false
}
