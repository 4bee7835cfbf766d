package imageconfig

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kvenv/kvenv/webhook"
)

func TestSingleArchImage(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/app:1.0", testImage(t, "linux", "amd64", []string{"/app"}, []string{"--port", "80"}))
	r, _ := newResolver(t, Options{}, reg)

	got := mustResolve(t, r, imageRequest(reg.host+"/public/app:1.0"))
	want := webhook.ImageCommand{Entrypoint: []string{"/app"}, Cmd: []string{"--port", "80"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestMultiArchSelectsRequestedPlatform(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/multi:1", multiArch(t))
	r, _ := newResolver(t, Options{}, reg)

	for arch, entrypoint := range map[string]string{"arm64": "/bin/app-arm64", "amd64": "/bin/app-amd64"} {
		req := imageRequest(reg.host + "/public/multi:1")
		req.Arch = arch
		got := mustResolve(t, r, req)
		if len(got.Entrypoint) != 1 || got.Entrypoint[0] != entrypoint {
			t.Errorf("%s: entrypoint %q, want [%s]", arch, got.Entrypoint, entrypoint)
		}
	}
}

func TestMissingPlatformNamesThoseAvailable(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/multi:1", multiArch(t))
	r, _ := newResolver(t, Options{}, reg)

	req := imageRequest(reg.host + "/public/multi:1")
	req.Arch = "s390x"
	_, err := r.Resolve(context.Background(), req)
	if err == nil {
		t.Fatal("resolved an image that has no linux/s390x variant")
	}
	for _, want := range []string{"linux/s390x", "linux/amd64", "linux/arm64/v8", `container "app"`, "set `command`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "unknown/unknown") {
		t.Errorf("error lists an attestation as a platform: %v", err)
	}
}

func TestByDigestNeedsNoTagLookup(t *testing.T) {
	reg := startRegistry(t, authBearer)
	byDigest := reg.push(t, "public/multi:1", multiArch(t))
	r, _ := newResolver(t, Options{}, reg)

	req := imageRequest(byDigest)
	req.Arch = "arm64"
	if got := mustResolve(t, r, req); got.Entrypoint[0] != "/bin/app-arm64" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
	counts := reg.snapshot()
	if counts[reqHeadManifest] != 0 || counts[reqGetManifest] != 2 || counts[reqGetBlob] != 1 {
		t.Fatalf("want no HEAD, the index and the arm64 manifest, one config blob; got %v", counts)
	}
}

func TestCallerGetsItsOwnCopy(t *testing.T) {
	reg := startRegistry(t, authNone)
	reg.push(t, "public/app:1", testImage(t, "linux", "amd64", []string{"/app"}, []string{"a"}))
	r, _ := newResolver(t, Options{}, reg)

	first := mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	first.Entrypoint[0] = "/changed-by-caller"
	if again := mustResolve(t, r, imageRequest(reg.host+"/public/app:1")); again.Entrypoint[0] != "/app" {
		t.Fatalf("a caller's change reached the cache: %q", again.Entrypoint)
	}
}

func TestInvalidReferenceExplains(t *testing.T) {
	r, _ := newResolver(t, Options{}, nil...)
	_, err := r.Resolve(context.Background(), imageRequest("UPPER/case::bad"))
	var f *lookupFailure
	if err == nil || !errors.As(err, &f) || !strings.Contains(err.Error(), "correct the image reference") {
		t.Fatalf("want advice to correct the reference, got %v", err)
	}
}
