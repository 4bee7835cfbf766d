package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// benchConcurrency is the kvenv command's --concurrency default.
const benchConcurrency = DefaultConcurrency

// BenchmarkFetch is the init container's fetch against the wire-level
// fakes on loopback, through the real azidentity and azsecrets clients,
// with every Key Vault request (the 401 challenge included) delayed by the
// given latency; Entra ID answers at once. cold is what a pod's init
// container does: a new credential, client and connections, so it pays
// the OpenID configuration, the token, the vault's challenge and the TLS
// handshakes, then writes the volume. warm reuses the credential (token
// cached) and the connections; each run still builds its vault client,
// as Run does, and so still takes one challenge. Besides wall time per
// run it reports requests per run by kind.
func BenchmarkFetch(b *testing.B) {
	for _, n := range []int{1, 3, 10, 30} {
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			name := fmt.Sprintf("secrets=%d/latency=%dms", n, latency.Milliseconds())
			b.Run(name+"/cold", func(b *testing.B) { newFetchBench(b, n, latency).cold(b) })
			b.Run(name+"/warm", func(b *testing.B) { newFetchBench(b, n, latency).warm(b) })
		}
	}
}

type fetchBench struct {
	f       *fixture
	openID  *openIDConfigCounter // in front of f.entra, which counts its token requests itself
	kv      *azurefake.KeyVault
	cfg     Config
	latency time.Duration
}

func newFetchBench(b *testing.B, secrets int, latency time.Duration) *fetchBench {
	f := newFixture(b)
	kv, vault := f.vault()
	kv.Allow(appIdentity)
	kv.SetLatency(latency)
	fb := &fetchBench{f: f, openID: &openIDConfigCounter{Handler: f.entra}, kv: kv, latency: latency}
	fb.cfg = f.config(f.refsIn(kv, vault, secrets)...)
	fb.cfg.Concurrency, fb.cfg.Retry = benchConcurrency, DefaultRetry
	fb.cfg.ExecSource = f.writeTemp("kvenv-exec", strings.Repeat("x", 4096))
	fb.cfg.Identity.AuthorityHost = azurefake.StartLoopback(b, f.ca, fb.openID).URL
	return fb
}

// cold runs the whole init container's work with nothing reused.
func (fb *fetchBench) cold(b *testing.B) {
	fb.measure(b, func() {
		cfg := fb.cfg
		cfg.Transport = &http.Client{Transport: azurefake.LoopbackTransport(fb.f.ca)}
		if err := Run(context.Background(), cfg, io.Discard); err != nil {
			b.Fatal(err)
		}
	})
}

// warm fetches with a credential and connections that are already set up.
func (fb *fetchBench) warm(b *testing.B) {
	opts, err := fb.cfg.clientOptions()
	if err != nil {
		b.Fatal(err)
	}
	cred, id, err := newCredential(fb.cfg.Identity, opts)
	if err != nil {
		b.Fatal(err)
	}
	fetchOnce := func() {
		plans := plan(fb.cfg.Refs)
		f := fetcher{cred: cred, opts: azsecrets.ClientOptions{ClientOptions: opts}, slots: make(chan struct{}, fb.cfg.Concurrency)}
		f.fetchAll(context.Background(), plans)
		if err := failures(plans, explainer{id: id, timeout: fb.cfg.Timeout}); err != nil {
			b.Fatal(err)
		}
	}
	fetchOnce() // token, challenge and connections, outside the measurement
	fb.measure(b, fetchOnce)
}

func (fb *fetchBench) measure(b *testing.B, run func()) {
	before, tokensBefore, openIDBefore := fb.kv.Counts(), fb.f.entra.TokenRequests(), fb.openID.n.Load()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	after := fb.kv.Counts()
	perRun := func(n int64) float64 { return float64(n) / float64(b.N) }
	b.ReportMetric(perRun(int64(fb.f.entra.TokenRequests()-tokensBefore)), "token/op")
	b.ReportMetric(perRun(fb.openID.n.Load()-openIDBefore), "openid-config/op")
	b.ReportMetric(perRun(int64(after.Challenges-before.Challenges)), "challenge/op")
	b.ReportMetric(perRun(int64(after.Secrets-before.Secrets)), "secret/op")
	if fb.latency > 0 {
		// Wall time in units of the vault's latency: how many round trips
		// the run cost end to end.
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(fb.latency), "round-trips/op")
	}
}

// openIDConfigCounter counts the requests for Entra ID's OpenID
// configuration; the fake Entra counts token requests but not these.
type openIDConfigCounter struct {
	http.Handler
	n atomic.Int64
}

func (c *openIDConfigCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
		c.n.Add(1)
	}
	c.Handler.ServeHTTP(w, r)
}
