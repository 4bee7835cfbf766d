package webhook_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/imageconfig"
)

// imageWithEntrypoint pushes an image with that ENTRYPOINT and CMD to a real
// registry server on loopback and returns its reference and a resolver that
// reads it (plain HTTP, allowed for that host only).
func imageWithEntrypoint(t *testing.T, entrypoint, cmd []string) (string, webhook.ImageResolver) {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	cfg, err := empty.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint, cfg.Config.Cmd = entrypoint, cmd
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/apps/server:1.0"
	parsed, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(parsed, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	resolver, err := imageconfig.New(imageconfig.Options{InsecureHosts: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	return ref, resolver
}
