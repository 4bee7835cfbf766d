package imageconfig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/kvenv/kvenv/webhook"
)

// lookup reads q's image from the registry under the look-up timeout. It
// runs once for all requests that share its flight key.
func (r *Resolver) lookup(ctx context.Context, q *request) (webhook.ImageCommand, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.LookupTimeout)
	defer cancel()
	creds, notes := r.credentials(ctx, q)
	// The service account's pull secrets are known only now; what they
	// proved earlier may already answer.
	if cmd, ok := r.cached(q, scopesOf(creds)); ok {
		return cmd, nil
	}
	release, err := r.registrySlot(ctx)
	if err != nil {
		return webhook.ImageCommand{}, err
	}
	defer release()
	start := time.Now()
	cmd, err := r.fromRegistry(ctx, q, creds, notes)
	r.metrics.observe(err, time.Since(start))
	return cmd, err
}

// maxLookUpsAtOnce bounds the look-ups that talk to registries at once,
// across all pods. Every answer's first unheldAnswerBytes are read outside
// maxAnswerBytesHeld, so without this bound a pod naming hundreds of images
// on a registry that trickles its answers would hold hundreds of those
// (400 took the heap past the chart's 256Mi memory limit); with it, at most
// 8 MiB. Others wait for a slot within their own look-up timeout.
const maxLookUpsAtOnce = 32

// registrySlot waits for one of maxLookUpsAtOnce, until ctx ends.
func (r *Resolver) registrySlot(ctx context.Context) (release func(), err error) {
	select {
	case r.slots <- struct{}{}:
		return func() { <-r.slots }, nil
	case <-ctx.Done():
		return nil, &lookupFailure{kind: failTimeout, attempts: []string{fmt.Sprintf(
			"kvenv was reading %d images' registries already, the most it reads at once, until this look-up's %s ran out",
			maxLookUpsAtOnce, r.opts.LookupTimeout)}}
	}
}

// fromRegistry tries each endpoint (mirrors first) until one answers.
func (r *Resolver) fromRegistry(ctx context.Context, q *request, creds []credential, notes []string) (webhook.ImageCommand, error) {
	f := &lookupFailure{notes: notes}
	for _, ep := range r.endpoints(q.ref) {
		if cmd, ok := r.fromEndpoint(ctx, q, ep, creds, f); ok {
			return cmd, nil
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			f.timedOut(r.opts.LookupTimeout)
			break
		}
	}
	return webhook.ImageCommand{}, f
}

// fromEndpoint tries the credentials in order, as the kubelet does: a
// credential that is refused makes way for the next; any other failure
// means the next credential would fare no better.
func (r *Resolver) fromEndpoint(ctx context.Context, q *request, ep endpoint, creds []credential, f *lookupFailure) (webhook.ImageCommand, bool) {
	for _, c := range creds {
		auth, applies, err := r.authFor(ctx, c, ep)
		if !applies {
			continue
		}
		sent := &sentCredentials{inner: r.transport}
		if err == nil {
			var got fetched
			if got, err = r.fetch(ctx, q, ep, auth, sent); err == nil {
				r.remember(q, c.scope, got.digest, got.cmd)
				return got.cmd, true
			}
		}
		if f.add(ep, c, err, append(authSecrets(auth), sent.credentials()...)) != failDenied {
			return webhook.ImageCommand{}, false
		}
	}
	return webhook.ImageCommand{}, false
}

// authFor returns c's authenticator for ep; applies is false when c has
// nothing for ep's host (a pull secret for another registry, the ACR
// identity for a non-ACR host).
func (r *Resolver) authFor(ctx context.Context, c credential, ep endpoint) (auth authn.Authenticator, applies bool, err error) {
	switch {
	case c.keychain != nil:
		auth, err = c.keychain.Resolve(ep.repo)
		return auth, err != nil || auth != authn.Anonymous, err
	case c.acr:
		if !r.acr.handles(ep.host) {
			return nil, false, nil
		}
		auth, err = r.acr.authenticator(ctx, ep.host)
		return auth, true, err
	default:
		return authn.Anonymous, true, nil
	}
}

func scopesOf(creds []credential) []string {
	scopes := make([]string, 0, len(creds))
	for _, c := range creds {
		scopes = append(scopes, c.scope)
	}
	return scopes
}
