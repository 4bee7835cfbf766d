package fetch

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// Faults the other tests leave out: 429, 500/503, a hanging vault, an
// untrusted certificate and a refused token are in failures_test.go.

func TestConnectionResetsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-reset-1")
	kv.Allow(appIdentity)
	fl := newFlaky(kv, authorized, resetConnection, 2)
	if _, err := f.run(f.config("A=" + f.behind(fl) + "/secrets/a")); err != nil {
		t.Fatalf("Run after 2 connection resets: %v", err)
	}
	if f.readEnv("A", 0o400) != "value-a-reset-1" || fl.failures() != 2 {
		t.Errorf("value wrong or %d resets served, want 2", fl.failures())
	}
}

// TestHungTryIsAbandonedAfterTryTimeout: a request that never gets an answer
// costs one try (TryTimeout), not the whole --timeout.
func TestHungTryIsAbandonedAfterTryTimeout(t *testing.T) {
	t.Parallel()
	if DefaultRetry.TryTimeout <= 0 || DefaultRetry.TryTimeout >= 2*time.Minute {
		t.Fatalf("DefaultRetry.TryTimeout %s must bound a try well within the default --timeout of 2m", DefaultRetry.TryTimeout)
	}
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-hang-1")
	kv.Allow(appIdentity)
	fl := newFlaky(kv, authorized, hangUntilAbandoned, 1)
	cfg := f.config("A=" + f.behind(fl) + "/secrets/a")
	cfg.Retry.TryTimeout = 500 * time.Millisecond
	cfg.Timeout = time.Minute // without TryTimeout the hung try would use all of it
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("Run after one hung try: %v", err)
	}
	if f.readEnv("A", 0o400) != "value-a-hang-1" || fl.failures() != 1 {
		t.Errorf("value wrong or %d hung tries, want 1", fl.failures())
	}
}

// TestHungTriesAreNotBlamedOnTimeout: when every try is abandoned at the
// per-try limit and the retries run out, --timeout has not run out, and
// raising it would not help: the line says what happened instead.
func TestHungTriesAreNotBlamedOnTimeout(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		hang func(f *fixture, kv *azurefake.KeyVault, cfg *Config) string // returns the vault URL
		want []string
	}{
		"vault": {
			hang: func(f *fixture, kv *azurefake.KeyVault, _ *Config) string {
				return f.behind(newFlaky(kv, authorized, hangUntilAbandoned, -1))
			},
			want: []string{"every try got no answer within kvenv's per-try limit of 300ms and the vault's retries are used up",
				"check that the pod can reach the vault", "Key Vault is healthy"},
		},
		"token endpoint": {
			hang: func(f *fixture, kv *azurefake.KeyVault, cfg *Config) string {
				cfg.Identity.AuthorityHost = f.behind(newFlaky(f.entra, tokenRequest, hangUntilAbandoned, -1))
				return azurefake.StartLoopback(f.t, f.ca, kv).URL
			},
			want: []string{"could not get a token for workload identity",
				"every try got no answer within kvenv's per-try limit of 300ms", "check that the pod can reach Entra ID at https://127.0.0.1:"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			kv := f.newVault()
			kv.Allow(appIdentity)
			cfg := f.config()
			vault := tc.hang(f, kv, &cfg)
			cfg.Refs = f.config(f.refsIn(kv, vault, 3)...).Refs
			cfg.Retry.TryTimeout, cfg.Timeout = 300*time.Millisecond, time.Minute
			lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
			if len(lines) != 3 {
				t.Fatalf("got %q, want one line per variable", lines)
			}
			for _, l := range lines {
				requireAll(t, l, tc.want...)
				if strings.Contains(l, "--timeout") {
					t.Errorf("line %q\nblames --timeout=1m, which had not run out", l)
				}
			}
		})
	}
}

func TestFailedTLSHandshakesAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-tls-1")
	kv.Allow(appIdentity)
	cert, err := f.ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var handshakes atomic.Int32
	vault := serveTLS(t, kv, handshakeFaults(cert, 2, &handshakes))
	if _, err := f.run(f.config("A=" + vault + "/secrets/a")); err != nil {
		t.Fatalf("Run after 2 failed handshakes: %v", err)
	}
	if f.readEnv("A", 0o400) != "value-a-tls-1" || handshakes.Load() < 3 {
		t.Errorf("value wrong or only %d handshakes, want the 2 failures and a good one", handshakes.Load())
	}
}

// TestCertificateMismatchFailsAtOnce: a certificate that does not name the
// vault cannot become right by retrying, so the first handshake is the last.
func TestCertificateMismatchFailsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-tls-2")
	cert, err := f.ca.Issue("other.vault.test")
	if err != nil {
		t.Fatal(err)
	}
	var handshakes atomic.Int32
	vault := serveTLS(t, kv, handshakeFaults(cert, 0, &handshakes))
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	cfg.Retry.MaxRetries, cfg.Timeout = 10, 2*time.Minute
	_, err = f.run(cfg)
	requireLines(t, err, 2, "vault "+vault, "certificate", addCAAdvice)
	if n := handshakes.Load(); n != 1 {
		t.Errorf("%d handshakes, want 1: a certificate error must not be retried", n)
	}
}

func TestTokenEndpointOutageIsRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-token-1")
	kv.Allow(appIdentity)
	fl := newFlaky(f.entra, tokenRequest, serviceUnavailable, 2)
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Identity.AuthorityHost = f.behind(fl)
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("Run after 2 failed token requests: %v", err)
	}
	if n := f.entra.TokenRequests(); fl.failures() != 2 || n != 1 {
		t.Errorf("%d failed and %d answered token requests, want 2 and 1", fl.failures(), n)
	}
}

// outage puts a fault (not yet failing) between the fixture and Entra ID or
// the vault kv, and returns it with the vault URL to use.
type outage func(f *fixture, kv *azurefake.KeyVault, cfg *Config) (*flaky, string)

func tokenEndpointDown(f *fixture, kv *azurefake.KeyVault, cfg *Config) (*flaky, string) {
	fl := newFlaky(f.entra, tokenRequest, serviceUnavailable, 0)
	cfg.Identity.AuthorityHost = f.behind(fl)
	return fl, azurefake.StartLoopback(f.t, f.ca, kv).URL
}

func vaultResetsConnections(f *fixture, kv *azurefake.KeyVault, _ *Config) (*flaky, string) {
	fl := newFlaky(kv, authorized, resetConnection, 0)
	return fl, f.behind(fl)
}

// TestRestartAfterOutageSucceeds is kubelet's view: an init container that
// ran out of retries fails with one line per variable and leaves no .done
// (not even the one of an earlier run), and a restart after the outage
// fills the same volume.
func TestRestartAfterOutageSucceeds(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		outage outage
		want   string
	}{
		"token endpoint down":           {tokenEndpointDown, "could not get a token for workload identity (client ID " + appClientID},
		"vault resets every connection": {vaultResetsConnections, "request failed: "},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			restartAfterOutage(t, tc.outage, tc.want)
		})
	}
}

func restartAfterOutage(t *testing.T, out outage, want string) {
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-restart")
	f.put(kv, "b", "value-b-restart")
	kv.Allow(appIdentity)
	cfg := f.config()
	fl, vault := out(f, kv, &cfg)
	cfg.Refs = f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b").Refs
	cfg.Retry.MaxRetries = 2
	if _, err := f.run(cfg); err != nil || !f.doneExists() {
		t.Fatalf("first run: %v", err)
	}
	fl.failAlways()
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "A: vault "+vault+" secret a: ") || !strings.HasPrefix(lines[1], "B: ") {
		t.Fatalf("got %q, want one line for A then one for B", lines)
	}
	requireAll(t, lines[0], want)
	if f.doneExists() {
		t.Fatal("the failed run left the earlier run's .done: kvenv-exec would start on it")
	}
	fl.clear()
	if _, err := f.run(cfg); err != nil || !f.doneExists() || f.readEnv("B", 0o400) != "value-b-restart" {
		t.Fatalf("restart after the outage: %v", err)
	}
}

// TestVaultFailureReachesSecretsStillWaitingForASlot: a failing vault's
// queued secrets get that vault's failure, not a timeout, even while every
// slot is held by another vault's hung requests. Vault B answers its
// challenge, then hangs every authorized request, so each slot it gets is
// held until --timeout. Vault A answers slowly (so its queued secrets wait
// behind B's), then fails for good with 503s and frees its slot to B.
func TestVaultFailureReachesSecretsStillWaitingForASlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hung := f.newVault()
	hung.Allow(appIdentity)
	hungURL := f.behind(newFlaky(hung, authorized, hangUntilAbandoned, -1))
	failing, failingURL := f.vault()
	failing.Allow(appIdentity)
	failing.SetLatency(300 * time.Millisecond)
	failing.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: 503}}, 10)...)

	refs := slices.Concat(
		refsNamed(f, failing, failingURL, "A", 3),
		refsNamed(f, hung, hungURL, "B", 3))
	cfg := f.config(refs...)
	cfg.Concurrency, cfg.Retry.MaxRetries, cfg.Timeout = 2, 1, 3*time.Second
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	if len(lines) != 6 {
		t.Fatalf("got %q, want one line per variable", lines)
	}
	for _, l := range lines[:3] {
		requireAll(t, l, "vault "+failingURL, "503 Service Unavailable", "kept failing after retries")
		if strings.Contains(l, "--timeout") {
			t.Errorf("line %q\nblames --timeout for vault %s, which had already failed", l, failingURL)
		}
	}
	for _, l := range lines[3:] {
		requireAll(t, l, "vault "+hungURL, "--timeout=3s")
	}
}

// refsNamed stores n secrets in kv, served at vault, and returns references
// <prefix>0..<prefix>(n-1) to them.
func refsNamed(f *fixture, kv *azurefake.KeyVault, vault, prefix string, n int) []string {
	var refs []string
	for i := range n {
		name := fmt.Sprintf("%s-%d", strings.ToLower(prefix), i)
		f.put(kv, name, "value-"+name+"-queued")
		refs = append(refs, fmt.Sprintf("%s%d=%s/secrets/%s", prefix, i, vault, name))
	}
	return refs
}
