package images

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func sampleSpec() Spec {
	return Spec{
		Files:      map[string]File{"/usr/local/bin/app": {Data: []byte("#!app"), Mode: 0o755}, "/etc/app.conf": {Data: []byte("k=v\n"), Mode: 0o644}},
		Symlinks:   map[string]string{"/bin/app": "/usr/local/bin/app"},
		Dirs:       map[string]int64{"/tmp": 0o1777},
		Entrypoint: []string{"/usr/local/bin/app"},
		Cmd:        []string{"--serve"},
		User:       "65532:65532",
		Env:        []string{"MODE=test"},
	}
}

// TestPushedImageRoundTrips pushes to a real registry and reads it back as
// containerd would: platform, config and every layer entry.
func TestPushedImageRoundTrips(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/kvenv/sample:e2e"
	pinned, err := BuildAndPush(context.Background(), sampleSpec(), ref)
	if err != nil {
		t.Fatal(err)
	}
	digestRef, err := name.NewDigest(pinned, name.Insecure)
	if err != nil {
		t.Fatalf("Push returned %q, not a digest reference: %v", pinned, err)
	}
	img, err := remote.Image(digestRef)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{Entrypoint: []string{"/usr/local/bin/app"}, Cmd: []string{"--serve"}, User: "65532:65532", Env: []string{DefaultPath, "MODE=test"}}
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH || !configEqual(cfg.Config, want) {
		t.Fatalf("config = %s/%s %+v, want linux/%s %+v", cfg.OS, cfg.Architecture, cfg.Config, runtime.GOARCH, want)
	}
	got := layerEntries(t, img)
	wantEntries := []string{
		"bin/ dir 755", "bin/app symlink /usr/local/bin/app", "etc/ dir 755", "etc/app.conf file 644 k=v\n",
		"tmp/ dir 1777", "usr/ dir 755", "usr/local/ dir 755", "usr/local/bin/ dir 755", "usr/local/bin/app file 755 #!app",
	}
	if !slices.Equal(got, wantEntries) {
		t.Fatalf("layer entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantEntries, "\n"))
	}
}

func configEqual(a, b v1.Config) bool {
	return slices.Equal(a.Entrypoint, b.Entrypoint) && slices.Equal(a.Cmd, b.Cmd) && a.User == b.User && slices.Equal(a.Env, b.Env)
}

// layerEntries describes each tar entry of the image's only layer, in order.
func layerEntries(t *testing.T, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var entries []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, describe(t, h, tr))
	}
}

func describe(t *testing.T, h *tar.Header, r io.Reader) string {
	switch h.Typeflag {
	case tar.TypeDir:
		return h.Name + " dir " + octal(h.Mode)
	case tar.TypeSymlink:
		return h.Name + " symlink " + h.Linkname
	case tar.TypeReg:
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return h.Name + " file " + octal(h.Mode) + " " + string(data)
	}
	return h.Name + " unexpected type " + string(h.Typeflag)
}

func octal(mode int64) string { return strconv.FormatInt(mode, 8) }

// TestBuildIsReproducible: the same spec gives the same digest, so pushing
// an unchanged image again changes nothing on the node.
func TestBuildIsReproducible(t *testing.T) {
	digests := map[v1.Hash]bool{}
	for range 2 {
		img, err := Build(sampleSpec())
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests[d] = true
	}
	if len(digests) != 1 {
		t.Fatalf("two builds of one spec gave %d digests", len(digests))
	}
}

func TestBuildRejectsBadPaths(t *testing.T) {
	cases := map[string]Spec{
		"relative":           {Files: map[string]File{"usr/bin/x": {}}},
		"unclean":            {Files: map[string]File{"/usr/../bin/x": {}}},
		"root":               {Dirs: map[string]int64{"/": 0o755}},
		"file and symlink":   {Files: map[string]File{"/bin/sh": {}}, Symlinks: map[string]string{"/bin/sh": "/bin/busybox"}},
		"file and directory": {Files: map[string]File{"/tmp": {}}, Dirs: map[string]int64{"/tmp": 0o1777}},
	}
	for name, spec := range cases {
		if _, err := Build(spec); err == nil {
			t.Errorf("%s: Build accepted %+v", name, spec)
		}
	}
}
