package webhook_test

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/imageconfig"
)

// BenchmarkAdmission is one admission request in process, as the HTTPS
// server hands it over: decode the AdmissionReview and the pod, mutate,
// marshal, compute the JSON patch, encode the answer. The pods are the
// ones kvenv-loadgen sends (API-server defaults and the service account
// volume included), so these figures are the CPU part of the HTTPS ones.
func BenchmarkAdmission(b *testing.B) {
	b.Run("typical", func(b *testing.B) {
		benchReview(b, newAdmission(b, nil), loadgen.PodShape{Namespace: "apps"})
	})
	b.Run("large", func(b *testing.B) {
		benchReview(b, newAdmission(b, nil), loadgen.PodShape{Namespace: "apps", Containers: 5, Refs: 20})
	})
	b.Run("registry-cache-hit", func(b *testing.B) {
		reg := startBenchRegistry(b)
		shape := loadgen.PodShape{Namespace: "apps", NoCommand: true, Image: reg.image}
		benchReview(b, newAdmission(b, reg.resolver(b)), shape)
		reg.checkNoLookups(b)
	})
	b.Run("registry-cache-hit-over-typical", benchCacheHitOverTypical)
}

// benchCacheHitOverTypical serves the typical pod and the same pod without
// `command` (a registry cache hit) alternately and reports the median of
// the paired differences: what the warm registry path adds, with the
// machine's drift cancelled out.
func benchCacheHitOverTypical(b *testing.B) {
	reg := startBenchRegistry(b)
	hit := newReviewServer(b, newAdmission(b, reg.resolver(b)), loadgen.PodShape{Namespace: "apps", NoCommand: true, Image: reg.image})
	typical := newReviewServer(b, newAdmission(b, nil), loadgen.PodShape{Namespace: "apps"})
	var extra []time.Duration
	for b.Loop() {
		t0 := time.Now()
		hit()
		t1 := time.Now()
		typical()
		extra = append(extra, t1.Sub(t0)-time.Since(t1))
	}
	reg.checkNoLookups(b)
	slices.Sort(extra)
	b.ReportMetric(float64(extra[len(extra)/2])/float64(time.Microsecond), "extra-µs")
}

func benchReview(b *testing.B, h http.Handler, shape loadgen.PodShape) {
	serve := newReviewServer(b, h, shape)
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// newReviewServer returns a function that sends shape's review to h, after
// checking that the answer is a patch: a benchmark of a denial or of an
// untouched pod would measure the wrong path.
func newReviewServer(b *testing.B, h http.Handler, shape loadgen.PodShape) func() {
	body, err := loadgen.ReviewBody(shape)
	if err != nil {
		b.Fatal(err)
	}
	if w := serveReview(h, "application/json", body); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"patch":`) {
		b.Fatalf("first answer is not a patch: HTTP %d %.400s", w.Code, w.Body.String())
	}
	return func() { serveReview(h, "application/json", body) }
}

// newAdmission is the handler NewManager registers, with an in-memory
// namespace reader in place of the informer cache.
func newAdmission(b *testing.B, images webhook.ImageResolver) http.Handler {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:v1.0.0"
	return &webhook.Handler{
		Config:     cfg,
		Namespaces: staticNamespaces{}, // no vault narrowing in "apps"
		Images:     images,
		Metrics:    webhook.NewMetrics(prometheus.NewRegistry()),
	}
}

// benchRegistry is a real registry (pkg/registry) over TLS on loopback,
// holding one image, counting the requests it serves.
type benchRegistry struct {
	srv         *httptest.Server
	image       string
	requests    atomic.Int64
	afterWarmUp int64
}

func startBenchRegistry(b *testing.B) *benchRegistry {
	r := &benchRegistry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		inner.ServeHTTP(w, req)
	}))
	b.Cleanup(r.srv.Close)
	r.image = r.srv.Listener.Addr().String() + "/team/app:1"
	ref, err := name.ParseReference(r.image)
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.Write(ref, benchAppImage(b), remote.WithTransport(r.srv.Client().Transport)); err != nil {
		b.Fatal(err)
	}
	return r
}

// resolver trusts the registry's certificate and keeps answers for the
// whole benchmark; one look-up fills its cache.
func (r *benchRegistry) resolver(b *testing.B) *imageconfig.Resolver {
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	res, err := imageconfig.New(imageconfig.Options{CABundle: caPEM, TagTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	req := webhook.ImageRequest{Container: "app-0", Image: r.image, OS: "linux", Arch: "amd64", Namespace: "apps", ServiceAccount: "default"}
	if _, err := res.Resolve(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	r.afterWarmUp = r.requests.Load()
	return res
}

func (r *benchRegistry) checkNoLookups(b *testing.B) {
	if n := r.requests.Load(); n != r.afterWarmUp {
		b.Fatalf("the registry saw %d requests after the warm-up: the cache was not hit", n-r.afterWarmUp)
	}
}

func benchAppImage(b *testing.B) v1.Image {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: "amd64",
		Config: v1.Config{Entrypoint: []string{"/app"}, Cmd: []string{"--serve"}}})
	if err != nil {
		b.Fatal(err)
	}
	return img
}
