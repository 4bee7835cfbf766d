package imageconfig

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kvenv/kvenv/webhook"
	"golang.org/x/sync/singleflight"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Resolver reads image ENTRYPOINT/CMD from registries with caching; see the
// package documentation. It is safe for concurrent use.
type Resolver struct {
	opts      Options
	transport http.RoundTripper // refuses plain HTTP except to insecure hosts
	insecure  map[string]bool
	mirrors   map[string][]string // normalized registry host → mirrors
	acr       *acrExchange        // nil: no ACR identity
	access    *lru[accessKey, v1.Hash]
	configs   *lru[configKey, webhook.ImageCommand]
	flights   singleflight.Group
	slots     chan struct{} // registrySlot
	metrics   *metrics
	now       func() time.Time // tests move the clock instead of sleeping
	waiting   func()           // tests: called as a request starts waiting on a look-up
}

var _ webhook.ImageResolver = (*Resolver)(nil)

// accessKey: scope proved it can read ref, which then named a digest.
type accessKey struct{ ref, scope string }

// configKey: what the image's config says for one platform.
type configKey struct {
	repo     string
	digest   v1.Hash
	platform string
}

// New checks opts and returns a Resolver.
func New(opts Options) (*Resolver, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		opts:    opts,
		access:  newLRU[accessKey, v1.Hash](opts.MaxEntries),
		configs: newLRU[configKey, webhook.ImageCommand](opts.MaxEntries),
		slots:   make(chan struct{}, maxLookUpsAtOnce),
		now:     time.Now,
	}
	if r.insecure, err = hostSet(opts.InsecureHosts); err != nil {
		return nil, err
	}
	if r.mirrors, err = r.mirrorMap(opts.Mirrors); err != nil {
		return nil, err
	}
	if r.transport, err = newTransport(opts, r.insecure); err != nil {
		return nil, err
	}
	if r.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	r.acr, err = r.newACRExchange(opts.ACR)
	return r, err
}

// Resolve returns the ENTRYPOINT and CMD of req's image for req's platform.
// Errors name the container and image, say what the registry said, and
// what to do.
func (r *Resolver) Resolve(ctx context.Context, req webhook.ImageRequest) (webhook.ImageCommand, error) {
	q, err := r.parse(req)
	if err != nil {
		return webhook.ImageCommand{}, err
	}
	if cmd, ok := r.cached(q, q.podScopes()); ok {
		return cloneCommand(cmd), nil
	}
	// The look-up outlives a caller that gives up, so that the others
	// sharing it still get their answer; its own timeout bounds it.
	ch := r.flights.DoChan(q.flightKey(), func() (any, error) { return r.lookupRecovering(ctx, q) })
	if r.waiting != nil {
		r.waiting()
	}
	select {
	case res := <-ch:
		if res.Err != nil {
			return webhook.ImageCommand{}, q.explain(res.Err)
		}
		// Callers append to these slices; never hand out the cached arrays.
		return cloneCommand(res.Val.(webhook.ImageCommand)), nil
	case <-ctx.Done():
		return webhook.ImageCommand{}, q.explain(&lookupFailure{kind: failTimeout,
			attempts: []string{"the admission request ended before the registry answered (" + ctx.Err().Error() + ")"}})
	}
}

// lookupRecovering turns a panic in a look-up into a failed look-up.
// singleflight re-raises a panic in a goroutine of its own, where nothing
// can recover it: one image reference, which any pod author chooses, would
// otherwise take the whole webhook replica down.
func (r *Resolver) lookupRecovering(ctx context.Context, q *request) (cmd webhook.ImageCommand, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.FromContext(ctx).Error(fmt.Errorf("%v", p), "kvenv: panic while reading an image's configuration",
				"image", q.Image, "stack", string(debug.Stack()))
			err = &lookupFailure{attempts: []string{"kvenv failed internally while reading it (the webhook's log has the details)"}}
		}
	}()
	return r.lookup(ctx, q)
}

// cached answers from memory when one of scopes proved access to the image
// within TagTTL and its config for the platform is known.
func (r *Resolver) cached(q *request, scopes []string) (webhook.ImageCommand, bool) {
	now := r.now()
	for _, s := range scopes {
		digest, ok := r.access.get(accessKey{ref: q.ref.Name(), scope: s}, now)
		if !ok {
			continue
		}
		if cmd, ok := r.configs.get(q.configKey(digest), now); ok {
			r.metrics.hit(cacheTag)
			return cmd, true
		}
	}
	return webhook.ImageCommand{}, false
}

// remember records that scope can read q's image, which is digest.
func (r *Resolver) remember(q *request, scope string, digest v1.Hash, cmd webhook.ImageCommand) {
	r.access.add(accessKey{ref: q.ref.Name(), scope: scope}, digest, r.now().Add(r.opts.TagTTL))
	r.configs.add(q.configKey(digest), cmd, time.Time{})
}

// purge forgets everything (benchmarks of cold look-ups).
func (r *Resolver) purge() {
	r.access.purge()
	r.configs.purge()
}

func cloneCommand(c webhook.ImageCommand) webhook.ImageCommand {
	return webhook.ImageCommand{Entrypoint: slices.Clone(c.Entrypoint), Cmd: slices.Clone(c.Cmd)}
}
