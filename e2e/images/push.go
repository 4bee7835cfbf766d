package images

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push uploads img as ref (host:port/repo:tag, plain HTTP) and returns the
// reference pinned by digest (host:port/repo@sha256:...).
func Push(ctx context.Context, img v1.Image, ref string) (string, error) {
	tag, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("images: parsing reference %q: %w", ref, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("images: pushing %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("images: digest of %s: %w", ref, err)
	}
	return tag.Context().Digest(digest.String()).String(), nil
}

// BuildAndPush is Build followed by Push.
func BuildAndPush(ctx context.Context, spec Spec, ref string) (string, error) {
	img, err := Build(spec)
	if err != nil {
		return "", fmt.Errorf("images: building %s: %w", ref, err)
	}
	return Push(ctx, img, ref)
}
