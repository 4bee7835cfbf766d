package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kvenv/kvenv/internal/azurefake"
	"github.com/kvenv/kvenv/internal/secretref"
)

// benchConcurrency is the kvenv command's --concurrency default.
const benchConcurrency = DefaultConcurrency

// The benchmark's own identity, apart from the tests' fixture.
const (
	benchTenant   = "0be4c400-0000-4000-8000-00000000bec4"
	benchClientID = "22222222-3333-4444-5555-666666666666"
	benchIdentity = "bench-app-identity"
)

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
	ca      *azurefake.CA
	entra   *requestCounter
	kv      *azurefake.KeyVault
	cfg     Config
	latency time.Duration
}

func newFetchBench(b *testing.B, secrets int, latency time.Duration) *fetchBench {
	ca, err := azurefake.NewCA()
	if err != nil {
		b.Fatal(err)
	}
	tokens := azurefake.NewTokens()
	// A projected service-account token's shape; the fake compares it verbatim.
	assertion := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YmVuY2g6YXBwIn0.c2ln"
	entra := &requestCounter{h: azurefake.NewEntra(azurefake.EntraOptions{Tenant: benchTenant, Tokens: tokens,
		Verify: azurefake.StaticAssertions(map[string]string{assertion: benchIdentity})})}
	kv := azurefake.NewKeyVault(azurefake.KeyVaultOptions{Tenant: benchTenant, Tokens: tokens})
	kv.Allow(benchIdentity)
	kv.SetLatency(latency)
	vault := azurefake.StartLoopback(b, ca, kv).URL
	fb := &fetchBench{ca: ca, entra: entra, kv: kv, latency: latency}
	fb.cfg = Config{
		Dir: b.TempDir(), FileMode: 0o400, Timeout: 30 * time.Second, Concurrency: benchConcurrency,
		ExecSource: writeBenchFile(b, "kvenv-exec", strings.Repeat("x", 4096)),
		Identity: IdentityConfig{
			FederatedTokenFile: writeBenchFile(b, "token", assertion), WorkloadClientID: benchClientID, TenantID: benchTenant,
			AuthorityHost: azurefake.StartLoopback(b, ca, entra).URL, DisableInstanceDiscovery: true,
		},
		Retry: DefaultRetry,
	}
	for i := range secrets {
		name := fmt.Sprintf("secret-%d", i)
		kv.Put(name, fmt.Sprintf("value-%d-%s", i, strings.Repeat("v", 32)))
		ref, err := secretref.Parse(fmt.Sprintf("SECRET_%d=%s/secrets/%s", i, vault, name))
		if err != nil {
			b.Fatal(err)
		}
		fb.cfg.Refs = append(fb.cfg.Refs, ref)
	}
	return fb
}

// cold runs the whole init container's work with nothing reused.
func (fb *fetchBench) cold(b *testing.B) {
	fb.measure(b, func() {
		cfg := fb.cfg
		cfg.Transport = &http.Client{Transport: azurefake.LoopbackTransport(fb.ca)}
		if err := Run(context.Background(), cfg, io.Discard); err != nil {
			b.Fatal(err)
		}
	})
}

// warm fetches with a credential and connections that are already set up.
func (fb *fetchBench) warm(b *testing.B) {
	fb.cfg.Transport = &http.Client{Transport: azurefake.LoopbackTransport(fb.ca)}
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
	before, tokensBefore, metaBefore := fb.kv.Counts(), fb.entra.tokens.Load(), fb.entra.metadata.Load()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	after := fb.kv.Counts()
	perRun := func(n int64) float64 { return float64(n) / float64(b.N) }
	b.ReportMetric(perRun(fb.entra.tokens.Load()-tokensBefore), "token/op")
	b.ReportMetric(perRun(fb.entra.metadata.Load()-metaBefore), "openid-config/op")
	b.ReportMetric(perRun(int64(after.Challenges-before.Challenges)), "challenge/op")
	b.ReportMetric(perRun(int64(after.Secrets-before.Secrets)), "secret/op")
	if fb.latency > 0 {
		// Wall time in units of the vault's latency: how many round trips
		// the run cost end to end.
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(fb.latency), "round-trips/op")
	}
}

// requestCounter counts Entra ID requests by kind.
type requestCounter struct {
	h                http.Handler
	tokens, metadata atomic.Int64
}

func (c *requestCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		c.tokens.Add(1)
	} else {
		c.metadata.Add(1)
	}
	c.h.ServeHTTP(w, r)
}

func writeBenchFile(b *testing.B, name, content string) string {
	p := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}
