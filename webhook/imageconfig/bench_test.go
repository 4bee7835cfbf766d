package imageconfig

import (
	"context"
	"testing"
)

// BenchmarkResolveWarm is the common admission: the image was seen within
// the TTL.
func BenchmarkResolveWarm(b *testing.B) {
	reg := startRegistry(b, authBearer)
	reg.push(b, "public/multi:1", multiArch(b))
	r, _ := newResolver(b, Options{}, reg)
	req := imageRequest(reg.host + "/public/multi:1")
	mustResolve(b, r, req)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	if c := reg.snapshot(); c[reqHeadManifest] != 1 {
		b.Fatalf("warm resolves reached the registry: %v", c)
	}
}

// BenchmarkResolveCold is a first look-up of a multi-arch image behind
// bearer auth on loopback: ping, token, HEAD, index, manifest, config.
func BenchmarkResolveCold(b *testing.B) {
	reg := startRegistry(b, authBearer)
	reg.push(b, "public/multi:1", multiArch(b))
	r, _ := newResolver(b, Options{}, reg)
	req := imageRequest(reg.host + "/public/multi:1")
	b.ReportAllocs()
	for b.Loop() {
		r.purge()
		if _, err := r.Resolve(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
