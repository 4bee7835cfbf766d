package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kvenv/kvenv/webhook"
)

// concurrencyResolver answers every look-up after a pause and records how
// many were in flight at most.
type concurrencyResolver struct {
	mu             sync.Mutex
	inFlight, most int
	calls          int
}

func (r *concurrencyResolver) Resolve(context.Context, webhook.ImageRequest) (webhook.ImageCommand, error) {
	r.mu.Lock()
	r.inFlight++
	r.calls++
	r.most = max(r.most, r.inFlight)
	r.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	r.mu.Lock()
	r.inFlight--
	r.mu.Unlock()
	return webhook.ImageCommand{Entrypoint: []string{"/entry"}}, nil
}

// TestOnePodsLookUpsRunEightAtATime: a pod naming 30 images without
// `command` has them looked up in parallel, but never more than 8 at once,
// so that it cannot take every registry slot from other pods; every one is
// still looked up and the pod injected.
func TestOnePodsLookUpsRunEightAtATime(t *testing.T) {
	pod := podToInject(29)
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].Command = nil
		pod.Spec.Containers[i].Image = fmt.Sprintf("registry.example/image-%d:1", i)
	}
	resolver := &concurrencyResolver{}
	resp := admitWithResolver(t, pod, resolver)
	if !resp.Allowed || len(resp.Patch) == 0 {
		t.Fatalf("the pod was not injected: %+v", resp.Result)
	}
	if resolver.calls != 30 {
		t.Errorf("%d look-ups for 30 images", resolver.calls)
	}
	if resolver.most > 8 || resolver.most < 2 {
		t.Errorf("%d look-ups at once; want them in parallel, at most 8", resolver.most)
	}
}
