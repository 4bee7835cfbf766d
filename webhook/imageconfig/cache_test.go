package imageconfig

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestCacheSparesTheRegistryUntilTheTagTTL(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/app:latest", testImage(t, "linux", "amd64", []string{"/v1"}, nil))
	r, clock := newResolver(t, Options{TagTTL: DefaultTagTTL}, reg)
	req := imageRequest(reg.host + "/public/app:latest")
	req.PullPolicy = corev1.PullAlways

	mustResolve(t, r, req)
	reg.snapshot()
	mustResolve(t, r, req)
	if c := reg.snapshot(); len(c) != 0 {
		t.Fatalf("a cached image reached the registry: %v", c)
	}

	clock.Advance(DefaultTagTTL)
	mustResolve(t, r, req)
	if c := reg.snapshot(); c[reqHeadManifest] != 1 || c[reqGetManifest] != 0 || c[reqGetBlob] != 0 {
		t.Fatalf("after the TTL want one manifest HEAD and no refetch, got %v", c)
	}

	// A new push under the same tag is seen after the next TTL.
	reg.push(t, "public/app:latest", testImage(t, "linux", "amd64", []string{"/v2"}, nil))
	clock.Advance(DefaultTagTTL)
	if got := mustResolve(t, r, req); got.Entrypoint[0] != "/v2" {
		t.Fatalf("after a push and the TTL, entrypoint %q, want [/v2]", got.Entrypoint)
	}
	if c := reg.snapshot(); c[reqGetBlob] != 1 {
		t.Fatalf("a changed digest must fetch its config once, got %v", c)
	}
}

func TestConcurrentRequestsShareOneLookup(t *testing.T) {
	const n = 8
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/multi:1", multiArch(t))
	r, _ := newResolver(t, Options{}, reg)

	var waiters sync.WaitGroup
	waiters.Add(n)
	r.waiting = waiters.Done
	var once sync.Once
	// The first registry request waits until all n requests wait on the
	// look-up, so none of them can be served from a finished one.
	reg.hold = func(*http.Request) { once.Do(waiters.Wait) }

	var done sync.WaitGroup
	for range n {
		done.Go(func() { mustResolve(t, r, imageRequest(reg.host+"/public/multi:1")) })
	}
	done.Wait()
	c := reg.snapshot()
	if c[reqPing] != 1 || c[reqHeadManifest] != 1 || c[reqGetManifest] != 2 || c[reqGetBlob] != 1 {
		t.Fatalf("want one look-up (1 ping, 1 HEAD, 2 manifests, 1 blob), got %v", c)
	}
}

func TestCacheIsBoundedInEntries(t *testing.T) {
	reg := startRegistry(t, authNone)
	for _, tag := range []string{"a", "b", "c"} {
		reg.push(t, "public/app:"+tag, testImage(t, "linux", "amd64", []string{"/" + tag}, nil))
	}
	r, _ := newResolver(t, Options{MaxEntries: 2}, reg)
	for _, tag := range []string{"a", "b", "c"} {
		mustResolve(t, r, imageRequest(reg.host+"/public/app:"+tag))
	}
	if r.access.len() != 2 || r.configs.len() != 2 {
		t.Fatalf("caches hold %d and %d entries, bound is 2", r.access.len(), r.configs.len())
	}
	reg.snapshot()
	mustResolve(t, r, imageRequest(reg.host+"/public/app:a"))
	if c := reg.snapshot(); c[reqGetBlob] != 1 {
		t.Fatalf("the evicted image must be read again, got %v", c)
	}
}

func TestCallerDeadlineEndsTheWaitNotTheSharedLookup(t *testing.T) {
	reg := startRegistry(t, authNone)
	reg.push(t, "public/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	r, _ := newResolver(t, Options{}, reg)
	release := make(chan struct{})
	reg.hold = func(*http.Request) { <-release }

	ctx, cancel := context.WithCancel(context.Background())
	r.waiting = cancel // the caller gives up as soon as it waits
	_, err := r.Resolve(ctx, imageRequest(reg.host+"/public/app:1"))
	if err == nil || !strings.Contains(err.Error(), "admission request ended") {
		t.Fatalf("want the caller's end explained, got %v", err)
	}
	r.waiting = nil
	close(release)
	// The look-up went on, and its answer serves the next request.
	mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	if c := reg.snapshot(); c[reqGetBlob] != 1 {
		t.Fatalf("want the one shared look-up, got %v", c)
	}
}
