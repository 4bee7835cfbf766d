package imageconfig

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHangingRegistryTimesOut(t *testing.T) {
	host := hangingHost(t)
	metrics := prometheus.NewRegistry()
	r, _ := newResolver(t, Options{LookupTimeout: 300 * time.Millisecond, Registerer: metrics})

	_, err := r.Resolve(context.Background(), imageRequest(host+"/app:1"))
	if err == nil {
		t.Fatal("a registry that never answers resolved")
	}
	for _, want := range []string{"timeout", "300ms", `container "app"`, host + "/app:1", "set `command`", "mirror"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if got := testutil.ToFloat64(r.metrics.lookups.WithLabelValues(resultTimeout)); got != 1 {
		t.Errorf("kvenv_image_lookups_total{result=timeout} = %v, want 1", got)
	}
}

func TestMirrorServesWhenTheRegistryIsUnreachable(t *testing.T) {
	upstream := closedHost(t)
	mirror := startRegistry(t, authNone)
	mirror.push(t, "cache/team/app:1", testImage(t, "linux", "amd64", []string{"/mirrored"}, nil))
	r, _ := newResolver(t, Options{Mirrors: map[string][]string{upstream: {mirror.host + "/cache"}}}, mirror)

	if got := mustResolve(t, r, imageRequest(upstream+"/team/app:1")); got.Entrypoint[0] != "/mirrored" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
}

func TestRegistryServesWhatTheMirrorLacks(t *testing.T) {
	upstream := startRegistry(t, authNone)
	upstream.push(t, "team/app:1", testImage(t, "linux", "amd64", []string{"/upstream"}, nil))
	mirror := startRegistry(t, authNone)
	r, _ := newResolver(t, Options{Mirrors: map[string][]string{upstream.host: {mirror.host}}}, upstream, mirror)

	if got := mustResolve(t, r, imageRequest(upstream.host+"/team/app:1")); got.Entrypoint[0] != "/upstream" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
	if c := mirror.snapshot(); c[reqHeadManifest] != 1 {
		t.Fatalf("the mirror was not asked first: %v", c)
	}
}

func TestPlainHTTPOnlyForInsecureHosts(t *testing.T) {
	reg := startPlainRegistry(t)
	reg.push(t, "team/app:1", testImage(t, "linux", "amd64", []string{"/plain"}, nil))
	image := reg.host + "/team/app:1"

	strict, _ := newResolver(t, Options{})
	_, err := strict.Resolve(context.Background(), imageRequest(image))
	if err == nil || !strings.Contains(err.Error(), "plain HTTP to "+reg.host+" refused") {
		t.Fatalf("want plain HTTP refused for a loopback host not configured insecure, got %v", err)
	}

	allowed, _ := newResolver(t, Options{InsecureHosts: []string{reg.host}})
	if got := mustResolve(t, allowed, imageRequest(image)); got.Entrypoint[0] != "/plain" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
}

func TestMetricsCountLookupsAndHits(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.push(t, "public/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	metrics := prometheus.NewRegistry()
	r, clock := newResolver(t, Options{Registerer: metrics}, reg)

	mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	clock.Advance(DefaultTagTTL)
	mustResolve(t, r, imageRequest(reg.host+"/public/app:1"))
	r.Resolve(context.Background(), imageRequest(reg.host+"/public/missing:1"))

	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"lookups resolved", testutil.ToFloat64(r.metrics.lookups.WithLabelValues(resultResolved)), 2},
		{"lookups not_found", testutil.ToFloat64(r.metrics.lookups.WithLabelValues(resultNotFound)), 1},
		{"hits tag", testutil.ToFloat64(r.metrics.cacheHits.WithLabelValues(cacheTag)), 1},
		{"hits config", testutil.ToFloat64(r.metrics.cacheHits.WithLabelValues(cacheConfig)), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(metrics, "kvenv_image_lookup_duration_seconds"); err != nil || n != 1 {
		t.Errorf("latency histogram not registered: %d series, %v", n, err)
	}
}
