package imageconfig

import (
	"context"
	"strings"
	"testing"

	"github.com/kvenv/kvenv/webhook"
)

// A private image resolved for one namespace must not be served to a
// namespace that cannot pull it, by tag or by digest; what anonymous access
// proved is shared.
func TestPrivateImageDoesNotLeakAcrossNamespaces(t *testing.T) {
	reg := startRegistry(t, authBearer)
	byDigest := reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/secret-tool"}, []string{"--token-file", "/x"}))
	reg.push(t, "public/app:1", testImage(t, "linux", "amd64", []string{"/public"}, nil))
	store := newSecretStore(dockerConfigSecret("team-a", "regcred", reg.host, adminUser, adminPassword))
	r, _ := newResolver(t, Options{Secrets: store}, reg)

	withSecret := imageRequest(reg.host + "/private/app:1")
	withSecret.PullSecrets = []string{"regcred"}
	mustResolve(t, r, withSecret)
	mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	mustResolve(t, r, withTarget(imageRequest(byDigest), "team-a", "regcred"))
	reg.snapshot()

	// Same namespace, same secret: from memory.
	mustResolve(t, r, withSecret)
	if c := reg.snapshot(); len(c) != 0 {
		t.Fatalf("team-a's second request reached the registry: %v", c)
	}
	for _, image := range []string{withSecret.Image, byDigest} {
		// Another namespace naming a secret of the same name it does not have.
		_, err := r.Resolve(context.Background(), withTarget(imageRequest(image), "team-b", "regcred"))
		if err == nil || strings.Contains(err.Error(), "secret-tool") {
			t.Fatalf("team-b got team-a's private image %s: %v", image, err)
		}
		if c := reg.snapshot(); c[reqToken] == 0 {
			t.Fatalf("team-b was answered without asking the registry: %v", c)
		}
	}
	// The public image is shared: team-b gets it from memory.
	mustResolve(t, r, withTarget(imageRequest(reg.host+"/public/app:1"), "team-b"))
	if c := reg.snapshot(); len(c) != 0 {
		t.Fatalf("a public image was looked up again for team-b: %v", c)
	}
}

// Any registry can claim any digest in a HEAD answer; the claim must not
// unlock a config cached for another repository.
func TestClaimedDigestDoesNotUnlockAnotherRepository(t *testing.T) {
	reg := startRegistry(t, authBearer)
	byDigest := reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/secret-tool"}, nil))
	digest := byDigest[strings.Index(byDigest, "@")+1:]
	evil := startRegistry(t, authNone)
	evil.lieAboutDigest = map[string]string{"public/lure": digest}
	store := newSecretStore(dockerConfigSecret("team-a", "regcred", reg.host, adminUser, adminPassword))
	r, _ := newResolver(t, Options{Secrets: store}, reg, evil)

	mustResolve(t, r, withTarget(imageRequest(reg.host+"/private/app:1"), "team-a", "regcred"))
	got, err := r.Resolve(context.Background(), withTarget(imageRequest(evil.host+"/public/lure:1"), "team-b"))
	if err == nil || len(got.Entrypoint) > 0 {
		t.Fatalf("a claimed digest unlocked the private config: %+v, %v", got, err)
	}
}

func withTarget(req webhook.ImageRequest, namespace string, secrets ...string) webhook.ImageRequest {
	req.Namespace, req.PullSecrets = namespace, secrets
	return req
}
