package fetch

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// Key Vault's published throttle for secret GETs, per vault.
const (
	vaultBudget = 4000
	vaultWindow = 10 * time.Second
)

// scaleRun is what N simulated pods did against one throttled vault.
type scaleRun struct {
	pods, secretsPerPod int
	lastPod             time.Duration // until the slowest pod had its values
	failed              []string      // one error per failed pod
	vault               azurefake.KeyVaultCounts
	tokensPerClient     map[string]int // Entra token requests by client ID
}

// TestScaleThrottledVaultDegradesGracefully runs the real fetch of 2,000 pods
// at once, each with its own credential, HTTP client and token, 3 secrets
// each, against one vault that allows 4,000 answers per sliding 10 s. Every
// pod must get its values within its --timeout, each pod must sign in once,
// and the retries must not storm (see scaleRequestBound).
func TestScaleThrottledVaultDegradesGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 simulated pods against a throttled vault take ~15-30 s")
	}
	// Not parallel: it opens thousands of loopback connections and its
	// request counts are the result.
	run := simulatePods(t, 2000, 3)
	run.print("kvenv")
	if os.Getenv("KVENV_SCALE_SDK_ALONE") != "" {
		measureSDKAlone(t)
	}
	if len(run.failed) > 0 {
		t.Fatalf("%d of %d pods failed within --timeout=%s; first: %s", len(run.failed), run.pods, scaleTimeout, run.failed[0])
	}
	if got, want := run.vault.Secrets, run.pods*run.secretsPerPod; got != want {
		t.Errorf("vault answered %d secrets, want exactly %d: one per secret per pod", got, want)
	}
	if limit := scaleRequestBound(run); run.secretRequests() > limit {
		t.Errorf("%d secret requests (%d of them throttled), over the bound %d: the retries storm",
			run.secretRequests(), run.vault.Throttled, limit)
	}
	for id, n := range run.tokensPerClient {
		if n != 1 {
			t.Errorf("pod with client ID %s asked Entra ID for %d tokens, want 1", id, n)
		}
	}
	if len(run.tokensPerClient) != run.pods {
		t.Errorf("%d pods signed in, want %d", len(run.tokensPerClient), run.pods)
	}
}

// scaleTimeout is each pod's --timeout: the production default, and the
// only time bound this test relies on.
const scaleTimeout = 2 * time.Minute

// simulatePods starts one vault with the budget, then `pods` fetches at
// once, and waits for all of them.
func simulatePods(t *testing.T, pods, perPod int) scaleRun {
	f := newFixture(t)
	kv, vault := f.vault()
	refs := f.refsIn(kv, vault, perPod)
	kv.Allow(appIdentity)
	kv.SetBudget(vaultBudget, vaultWindow)

	run := scaleRun{pods: pods, secretsPerPod: perPod}
	var mu sync.Mutex
	var wg sync.WaitGroup
	base := t.TempDir()
	start := time.Now()
	for i := range pods {
		cfg := podConfig(f, filepath.Join(base, fmt.Sprint(i)), i, refs)
		wg.Go(func() {
			_, err := f.run(cfg) // fails the test if the pod's output or error shows a value
			// A finished pod's connections go away with it.
			cfg.Transport.(*http.Client).CloseIdleConnections()
			mu.Lock()
			defer mu.Unlock()
			run.lastPod = max(run.lastPod, time.Since(start))
			if err != nil {
				run.failed = append(run.failed, err.Error())
			}
		})
	}
	wg.Wait()
	run.vault = kv.Counts()
	run.tokensPerClient = map[string]int{}
	for _, id := range f.entra.ClientIDs() {
		run.tokensPerClient[id]++
	}
	return run
}

// podConfig is what the webhook gives a pod's init container, with the
// production retry policy; each pod has its own client ID, volume and
// connection pool (f.config makes a new one), as separate pods on separate
// nodes would. Each client ID is an application with a federated credential
// for the service account, as Entra ID requires, all allowed to read the vault.
func podConfig(f *fixture, dir string, i int, refs []string) Config {
	cfg := f.config(refs...)
	cfg.Dir = dir
	cfg.Timeout = scaleTimeout
	cfg.Retry = DefaultRetry
	cfg.Identity.WorkloadClientID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	f.apps.trust(cfg.Identity.WorkloadClientID, f.assertion, appIdentity)
	return cfg
}

// secretRequests counts every request with a token for a secret: answered,
// or throttled (a throttled request may also be a first, unauthenticated one).
func (r scaleRun) secretRequests() int { return r.vault.Secrets + r.vault.Throttled }

// scaleRequestBound is the most secret requests a run may take: 13,000 for
// 2,000 pods of 3 secrets, 2.17 times the floor of 6,000 (one answer per
// secret per pod). The example of 1.5x cannot be met by any client
// that learns the budget only from 429s. The pods start together, and each
// pod's challenge and first secret are answers too (Key Vault answers the
// challenge), so up to 8,000 first requests meet a budget of 4,000: 4,000 of
// them are throttled once whatever the client does. On top of that, half the
// floor is the allowance for throttling twice: measured, kvenv's waits
// (Retry-After plus a growing spread, a vault's requests paced as one by
// throttleLane) take 7,100 to 12,600 requests in all, every pod served; the
// SDK's retry alone (exact Retry-After, a 429 counts as a failed try) took
// 14,000 to 17,800, with 700 to 1,050 pods out of retries
// (KVENV_SCALE_SDK_ALONE=1 measures it again).
func scaleRequestBound(r scaleRun) int {
	floor := r.pods * r.secretsPerPod
	firstBurst := r.pods * (1 + r.secretsPerPod)
	unavoidable := max(firstBurst-vaultBudget, 0)
	return floor + unavoidable + floor/2
}

// measureSDKAlone reruns the simulation with throttling left to the SDK's
// retry policy (exact Retry-After, 429s count as failed tries), to show what
// waitOutThrottling saves; docs/security.md quotes both. Opt-in: it doubles
// the run time.
func measureSDKAlone(t *testing.T) {
	sdkRetryAlone = true
	defer func() { sdkRetryAlone = false }()
	simulatePods(t, 2000, 3).print("sdk-alone")
}

func (r scaleRun) print(retries string) {
	tokens, maxPerPod := 0, 0
	for _, n := range r.tokensPerClient {
		tokens, maxPerPod = tokens+n, max(maxPerPod, n)
	}
	fmt.Printf("kvenv-scale: retries=%s pods=%d secrets_per_pod=%d budget=%d/%s failed=%d\n",
		retries, r.pods, r.secretsPerPod, vaultBudget, vaultWindow, len(r.failed))
	fmt.Printf("kvenv-scale: retries=%s time_to_last_pod=%s\n", retries, r.lastPod.Round(100*time.Millisecond))
	fmt.Printf("kvenv-scale: retries=%s secret_requests=%d answered=%d throttled_429=%d challenges=%d min=%d bound=%d\n",
		retries, r.secretRequests(), r.vault.Secrets, r.vault.Throttled, r.vault.Challenges, r.pods*r.secretsPerPod, scaleRequestBound(r))
	fmt.Printf("kvenv-scale: retries=%s token_requests=%d pods_signed_in=%d max_tokens_per_pod=%d\n",
		retries, tokens, len(r.tokensPerClient), maxPerPod)
}
