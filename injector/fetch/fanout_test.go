package fetch

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// TestOtherSecretsGoOutBeforeTheFirstIsAnswered: once the first request has
// the token, the other secrets are sent beside its authorized try, not after
// its answer. The vault holds every authorized request until all 5 have
// arrived, so a fetch that waits for the first answer never gets one.
func TestOtherSecretsGoOutBeforeTheFirstIsAnswered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	cfg := f.config(f.refsIn(kv, vault, 5)...)
	kv.Allow(appIdentity)
	kv.GatherAuthorized(5)
	cfg.Timeout = 10 * time.Second
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("the 5 requests were not all out before the first answer: %v", err)
	}
	if c, n := kv.Counts(), f.entra.TokenRequests(); c.Challenges != 1 || c.Unauthorized != 0 || c.Secrets != 5 || n != 1 {
		t.Errorf("vault counts %+v, %d token requests: want 1 challenge, 1 token and 5 secrets", c, n)
	}
}

// TestFailingVaultRetriesAreBoundedPerVaultNotPerSecret: with 6 secrets out
// at once against a vault that fails them all, the vault sees 6 first tries
// and MaxRetries=3 retries: 9, where retries per request would make 24.
func TestFailingVaultRetriesAreBoundedPerVaultNotPerSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	cfg := f.config(f.refsIn(kv, vault, 6)...)
	kv.Allow(appIdentity)
	kv.GatherAuthorized(6)
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: http.StatusInternalServerError}}, 30)...)
	cfg.Retry.MaxRetries = 3
	cfg.Timeout = 10 * time.Second
	_, err := f.run(cfg)
	requireLines(t, err, 6, "500 Internal Server Error", "kept failing after retries")
	if c := kv.Counts(); c.Faults != 9 {
		t.Errorf("%d tries: want 9, the 6 first tries and 3 retries for the vault", c.Faults)
	}
}

// TestQueuedSecretsAreNotSentToAFailedVault: one request at a time; the
// first fails past the retry budget, so the vault is down and the queued
// secrets fail with its error without being sent.
func TestQueuedSecretsAreNotSentToAFailedVault(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	cfg := f.config(f.refsIn(kv, vault, 3)...)
	kv.Allow(appIdentity)
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: http.StatusServiceUnavailable}}, 10)...)
	cfg.Concurrency, cfg.Retry.MaxRetries = 1, 2
	_, err := f.run(cfg)
	requireLines(t, err, 3, "503 Service Unavailable", "kept failing after retries")
	if c := kv.Counts(); c.Faults != 3 {
		t.Errorf("%d tries: want 3, the first secret's try and its 2 retries, none for the queued secrets", c.Faults)
	}
}

// TestFailedChallengeSendsNoOtherRequest: a vault whose challenge fails
// (503 to every request without a token) never gives a token, so only the
// first request is sent, with its retries; the others fail with its error.
func TestFailedChallengeSendsNoOtherRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv := f.newVault()
	fl := newFlaky(kv, unauthenticated, serviceUnavailable, -1)
	vault := f.behind(fl)
	cfg := f.config(f.refsIn(kv, vault, 3)...)
	kv.Allow(appIdentity)
	cfg.Retry.MaxRetries = 2
	_, err := f.run(cfg)
	requireLines(t, err, 3, "503 Service Unavailable")
	if n, c, tokens := fl.failures(), kv.Counts(), f.entra.TokenRequests(); n != 3 || c.Challenges != 0 || tokens != 0 {
		t.Errorf("%d failed challenges, vault counts %+v, %d token requests: want 3 (one request and its 2 retries) and nothing else",
			n, c, tokens)
	}
}

// unauthenticated matches Key Vault requests without a token: the challenge.
func unauthenticated(r *http.Request) bool {
	return !authorized(r) && strings.HasPrefix(r.URL.Path, "/secrets/")
}
