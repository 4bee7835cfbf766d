package imageconfig

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kvenv/kvenv/webhook"
)

// retryBackoff retries a flaky request once, quickly: the whole look-up has
// a few seconds, and a mirror that fails should leave time for the next.
var retryBackoff = remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 2}

const userAgent = "kvenv-webhook"

type fetched struct {
	digest v1.Hash // of the manifest or index the reference names
	cmd    webhook.ImageCommand
}

// fetch reads q's image from one endpoint with one credential, through
// sent, the transport of this attempt.
func (r *Resolver) fetch(ctx context.Context, q *request, ep endpoint, auth authn.Authenticator, sent *sentCredentials) (fetched, error) {
	puller, err := remote.NewPuller(remote.WithAuth(auth), remote.WithTransport(sent),
		remote.WithRetryBackoff(retryBackoff), remote.WithUserAgent(userAgent))
	if err != nil {
		return fetched{}, err
	}
	if digest, ok := q.digest(); ok && !r.configKnown(q, digest) {
		// A by-digest reference needs no HEAD: the GET proves access too.
		cmd, err := readConfig(ctx, puller, ep.repo.Digest(digest.String()), q.platform)
		return fetched{digest: digest, cmd: cmd}, err
	}
	// A HEAD proves this credential can read the image and gives a tag's
	// digest without the manifest body (Docker Hub does not count HEADs
	// against its pull limits).
	desc, err := puller.Head(ctx, ep.ref)
	if err != nil {
		return fetched{}, err
	}
	if cmd, ok := r.configs.get(q.configKey(desc.Digest), r.now()); ok {
		r.metrics.hit(cacheConfig)
		return fetched{digest: desc.Digest, cmd: cmd}, nil
	}
	cmd, err := readConfig(ctx, puller, ep.repo.Digest(desc.Digest.String()), q.platform)
	return fetched{digest: desc.Digest, cmd: cmd}, err
}

func (r *Resolver) configKnown(q *request, digest v1.Hash) bool {
	_, ok := r.configs.get(q.configKey(digest), r.now())
	return ok
}

// readConfig reads the config of ref, or of its child for platform when ref
// is an index.
func readConfig(ctx context.Context, puller *remote.Puller, ref name.Digest, platform v1.Platform) (webhook.ImageCommand, error) {
	desc, err := puller.Get(ctx, ref)
	if err != nil {
		return webhook.ImageCommand{}, err
	}
	if desc.MediaType.IsIndex() {
		child, err := childFor(desc.Manifest, platform)
		if err != nil {
			return webhook.ImageCommand{}, err
		}
		if child.Size > maxAnswerBytes {
			return webhook.ImageCommand{}, &tooLargeError{what: fmt.Sprintf("the %s manifest %s that index %s names", platform, child.Digest, ref.DigestStr()), declared: child.Size}
		}
		if desc, err = puller.Get(ctx, ref.Context().Digest(child.Digest.String())); err != nil {
			return webhook.ImageCommand{}, err
		}
		if desc.MediaType.IsIndex() {
			return webhook.ImageCommand{}, fmt.Errorf("the %s entry of index %s is itself an index, which kvenv does not follow", platform, ref.DigestStr())
		}
	}
	img, err := desc.Image()
	if err != nil {
		return webhook.ImageCommand{}, err
	}
	if err := configSizeAllowed(img); err != nil {
		return webhook.ImageCommand{}, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return webhook.ImageCommand{}, err
	}
	return webhook.ImageCommand{Entrypoint: cfg.Config.Entrypoint, Cmd: cfg.Config.Cmd}, nil
}

// configSizeAllowed refuses, before fetching it, a config that img's
// manifest declares larger than kvenv reads.
func configSizeAllowed(img v1.Image) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	if m.Config.Size > maxAnswerBytes {
		return &tooLargeError{what: "the image config " + m.Config.Digest.String(), declared: m.Config.Size}
	}
	return nil
}

// childFor picks the index entry for platform. Variants and OS versions are
// not compared: the pod's platform is OS and architecture only, and the
// first matching entry is the one registries list as preferred.
func childFor(index []byte, platform v1.Platform) (v1.Descriptor, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(index))
	if err != nil {
		return v1.Descriptor{}, err
	}
	var available []string
	for _, m := range im.Manifests {
		p := m.Platform
		if p == nil || p.OS == "unknown" { // attestations, not images
			continue
		}
		if p.OS == platform.OS && p.Architecture == platform.Architecture {
			return m, nil
		}
		available = append(available, p.String())
	}
	return v1.Descriptor{}, &platformError{want: platform.String(), available: available}
}

// platformError: the image exists but not for the pod's platform.
type platformError struct {
	want      string
	available []string
}

func (e *platformError) Error() string {
	if len(e.available) == 0 {
		return fmt.Sprintf("the image index has no %s image and names no platforms", e.want)
	}
	return fmt.Sprintf("the image has no %s variant; it is built for %s", e.want, strings.Join(e.available, ", "))
}
