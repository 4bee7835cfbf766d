package fetch

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// errorLines splits Run's error into its lines, failing if there is none.
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("Run succeeded, want a failure")
	}
	return strings.Split(err.Error(), "\n")
}

// requireLines checks that the run failed with n lines, one per variable,
// each holding every part.
func requireLines(t *testing.T, err error, n int, parts ...string) {
	t.Helper()
	lines := errorLines(t, err)
	if len(lines) != n {
		t.Fatalf("got %q, want one line per variable", lines)
	}
	for _, l := range lines {
		requireAll(t, l, parts...)
	}
}

func requireAll(t *testing.T, line string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(line, p) {
			t.Errorf("line %q\nlacks %q", line, p)
		}
	}
}

func noValuesWritten(t *testing.T, f *fixture) {
	t.Helper()
	if names := entries(t, filepath.Join(f.dir, "env")); len(names) != 0 {
		t.Errorf("values written despite a failure: %v", names)
	}
	if f.doneExists() {
		t.Error(".done written despite a failure")
	}
}

func TestForbiddenNamesIdentityAndRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "db-password", password)
	f.put(kv, "DatasourcePassword", "forbidden-value-1")
	f.put(kv, "other", "other-value-123")
	kv.Allow(appIdentity, "db-password", "other")

	_, err := f.run(f.config(
		"DB="+vault+"/secrets/db-password",
		"SPRING_DATASOURCE_PASSWORD="+vault+"/secrets/DatasourcePassword",
		"OTHER="+vault+"/secrets/other",
	))
	lines := errorLines(t, err)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 for the one forbidden secret: %q", len(lines), lines)
	}
	requireAll(t, lines[0], "SPRING_DATASOURCE_PASSWORD: ", "vault "+vault, "secret DatasourcePassword",
		"403 Forbidden", "workload identity", "client ID "+appClientID, `"Key Vault Secrets User"`, "on the vault or on the secret")
	if c := kv.Counts(); c.Secrets != 2 || c.Forbidden != 1 {
		t.Errorf("counts %+v: the allowed secrets must still be asked for", c)
	}
	noValuesWritten(t, f)
}

func TestNotFoundNamesVaultSecretAndAnnotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "db", "db-value-12345")
	kv.Allow(appIdentity)
	version := strings.Repeat("ab", 16)
	lines := errorLines(t, func() error {
		_, err := f.run(f.config("DB="+vault+"/secrets/db", "GONE="+vault+"/secrets/gone", "OLD="+vault+"/secrets/db/"+version))
		return err
	}())
	if len(lines) != 2 {
		t.Fatalf("got %q, want 2 lines", lines)
	}
	requireAll(t, lines[0], "GONE: vault "+vault+" secret gone: 404 Not Found (SecretNotFound)",
		"check the name and version", "kvenv.io/env.GONE")
	requireAll(t, lines[1], "OLD: vault "+vault+" secret db version "+version+": 404")
	noValuesWritten(t, f)
}

func TestRejectedFederatedTokenNamesWorkloadIdentitySetup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	f.put(kv, "b", "value-b-123456")
	kv.Allow(appIdentity)
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	// A token Entra ID has no federated credential for.
	cfg.Identity.FederatedTokenFile = f.writeTemp("other-token", fakeJWT(clusterIssuer, "system:serviceaccount:team-a:intruder"))

	_, err := f.run(cfg)
	requireLines(t, err, 2, "could not get a token for workload identity (client ID "+appClientID+", tenant "+tenant+")",
		"400 Bad Request (invalid_grant, AADSTS70021)", "federated credential", "issuer "+clusterIssuer,
		"subject system:serviceaccount:team-a:intruder", "api://AzureADTokenExchange")
	if n := f.entra.TokenRequests(); n != 1 {
		t.Errorf("token requests %d: after the first refusal the other secrets must not ask again", n)
	}
	if c := kv.Counts(); c.Secrets != 0 || c.Challenges != 1 {
		t.Errorf("vault counts %+v", c)
	}
	noValuesWritten(t, f)
}

// TestWrongClientIDNamesItAndTheFederatedCredential: Entra ID signs a pod
// in only as the application its AZURE_CLIENT_ID names, and only if that
// application has a federated credential for the pod's service account.
func TestWrongClientIDNamesItAndTheFederatedCredential(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ clientID, code string }{
		"an application federated with another service account": {"22222222-0000-4000-8000-000000000002", "400 Bad Request (invalid_grant, AADSTS70021)"},
		"no such application": {"99999999-0000-4000-8000-000000000009", "400 Bad Request (unauthorized_client, AADSTS700016)"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.apps.trust("22222222-0000-4000-8000-000000000002", fakeJWT(clusterIssuer, "system:serviceaccount:team-b:other"), "other-identity")
			kv, vault := f.vault()
			f.put(kv, "a", "value-a-wrong-client")
			kv.Allow(appIdentity)
			kv.Allow("other-identity")
			cfg := f.config("A=" + vault + "/secrets/a")
			cfg.Identity.WorkloadClientID = tc.clientID
			_, err := f.run(cfg)
			requireLines(t, err, 1, "could not get a token for workload identity (client ID "+tc.clientID+", tenant "+tenant+")",
				tc.code, "check that the identity with client ID "+tc.clientID, "federated credential",
				"issuer "+clusterIssuer, "subject "+saSubject, "that the client ID and tenant are right")
			noValuesWritten(t, f)
		})
	}
}

func TestMissingTokenFileIsExplained(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Identity.FederatedTokenFile = filepath.Join(t.TempDir(), "absent")
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "workload identity", "no such file", "system:serviceaccount:<namespace>:<service account>")
}

func TestHangingVaultIsBoundedByTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	kv.SetLatency(time.Hour)
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	cfg.Timeout = 500 * time.Millisecond

	done := make(chan error, 1)
	go func() { _, err := f.run(cfg); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("Run did not return: --timeout does not bound a hanging vault")
	}
	lines := errorLines(t, err)
	if len(lines) != 2 {
		t.Fatalf("got %q, want one line per variable", lines)
	}
	requireAll(t, lines[0], "A: vault "+vault+" secret a: no answer within --timeout=500ms", raiseFetchTimeoutAdvice)
	noValuesWritten(t, f)
}

// TestStalledSecretDoesNotBorrowAnotherSecretsRefusal: secret a is
// forbidden, secret b gets no answer until --timeout. b's line must not
// explain its stall with a's 403, which was a's final answer, not one of b's
// attempts.
func TestStalledSecretDoesNotBorrowAnotherSecretsRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv := f.newVault()
	f.put(kv, "a", "value-a-forbidden")
	f.put(kv, "b", "value-b-hanging")
	kv.Allow(appIdentity, "b")
	toB := func(r *http.Request) bool { return authorized(r) && strings.HasPrefix(r.URL.Path, "/secrets/b") }
	vault := f.behind(newFlaky(kv, toB, hangUntilAbandoned, -1))
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	cfg.Timeout = time.Second
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	if len(lines) != 2 {
		t.Fatalf("got %q, want one line per variable", lines)
	}
	requireAll(t, lines[0], "A: vault "+vault+" secret a: 403 Forbidden")
	requireAll(t, lines[1], "B: vault "+vault+" secret b: no answer within --timeout=1s")
	if strings.Contains(lines[1], "Forbidden") || strings.Contains(lines[1], "last attempt") {
		t.Errorf("line %q\nexplains b's stall with a's 403", lines[1])
	}
}

// TestForbiddenForOtherReasonsThanPermission: Key Vault answers 403 with
// ErrorCode Forbidden for a firewall refusal and a disabled secret too;
// granting a role fixes neither, so each gets its own advice.
func TestForbiddenForOtherReasonsThanPermission(t *testing.T) {
	t.Parallel()
	for code, want := range map[string][]string{
		azurefake.FirewallDenied: {"403 Forbidden (ForbiddenByFirewall): the vault's firewall refused the pod's address (127.0.0.1)",
			"egress IP", "networking rules", "private endpoint"},
		azurefake.SecretDisabled: {"403 Forbidden (SecretDisabled): the secret is disabled", "enable it", "enabled version", "kvenv.io/env.A"},
	} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			kv, vault := f.vault()
			f.put(kv, "a", "value-a-refused")
			kv.Allow(appIdentity)
			kv.InjectFaults(azurefake.Fault{Status: http.StatusForbidden, Code: code})
			_, err := f.run(f.config("A=" + vault + "/secrets/a"))
			requireLines(t, err, 1, append([]string{"A: vault " + vault + " secret a: "}, want...)...)
			if strings.Contains(err.Error(), "Key Vault Secrets User") {
				t.Errorf("%q\nadvises a role for a refusal no role fixes", err)
			}
			noValuesWritten(t, f)
		})
	}
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	kv.InjectFaults(azurefake.Fault{Status: 429, RetryAfter: time.Second})
	cfg := f.config("A=" + vault + "/secrets/a")
	// The client's own backoff would wait at least 48 s, past the timeout:
	// only honouring the server's Retry-After (1 s) can succeed.
	cfg.Retry.RetryDelay = time.Minute
	cfg.Retry.MaxRetryDelay = 2 * time.Minute
	cfg.Timeout = 20 * time.Second
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("Run after one 429: %v", err)
	}
	if f.readEnv("A", 0o400) != "value-a-123456" {
		t.Error("wrong value after retry")
	}
	if c := kv.Counts(); c.Throttled != 1 || c.Secrets != 1 {
		t.Errorf("counts %+v, want 1 throttled then 1 secret", c)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	kv.InjectFaults(azurefake.Fault{Status: 500}, azurefake.Fault{Status: 503})
	if _, err := f.run(f.config("A=" + vault + "/secrets/a")); err != nil {
		t.Fatalf("Run after 500 and 503: %v", err)
	}
	if c := kv.Counts(); c.Faults != 2 || c.Secrets != 1 {
		t.Errorf("counts %+v, want 2 faults then 1 secret", c)
	}
}

// TestPersistentServerErrorsGiveUpAfterBoundedTries: a vault that answers
// 503 to every authorized request gets each secret's first try, then
// MaxRetries retries for the whole vault: 2 + 2 = 4. The secrets' requests go
// out together (the gathering makes sure both first tries are out before
// either is answered), so retries counted per request would be 2 × (1 + 2).
func TestPersistentServerErrorsGiveUpAfterBoundedTries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	f.put(kv, "b", "value-b-123456")
	kv.Allow(appIdentity)
	kv.GatherAuthorized(2)
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: 503}}, 10)...)
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	cfg.Retry.MaxRetries = 2
	cfg.Timeout = 10 * time.Second // a fetch that never has both out at once fails here
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	if len(lines) != 2 {
		t.Fatalf("got %q", lines)
	}
	requireAll(t, lines[0], "A: vault "+vault+" secret a: 503 Service Unavailable", "kept failing after retries")
	requireAll(t, lines[1], "B: vault "+vault+" secret b: 503 Service Unavailable", "kept failing after retries")
	if c := kv.Counts(); c.Faults != 4 {
		t.Errorf("counts %+v: want exactly 4 tries, 2 first tries and MaxRetries=2 retries shared by the vault", c)
	}
}

func TestUntrustedCertificateIsExplained(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Transport = nil // the production client: system roots, no KVENV_CA_BUNDLE
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "A: vault "+vault, "certificate", addCAAdvice)
}

func TestCABundleIsTrustedForEntraAndKeyVault(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Transport = nil
	cfg.CABundle = f.ca.PEM()
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("Run trusting KVENV_CA_BUNDLE: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "env", "A")); err != nil {
		t.Error(err)
	}
}

func TestBadCABundleIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, vault := f.vault()
	cfg := f.config("A=" + vault + "/secrets/a")
	cfg.Transport = nil
	cfg.CABundle = []byte("not a certificate")
	_, err := f.run(cfg)
	if err == nil || !strings.Contains(err.Error(), "KVENV_CA_BUNDLE") {
		t.Errorf("got %v, want an error naming KVENV_CA_BUNDLE", err)
	}
}

func TestTimeoutAfterFailedAttemptsNamesTheLastFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	kv.InjectFaults(slices.Repeat([]azurefake.Fault{{Status: 503}}, 20)...)
	cfg := f.config("A=" + vault + "/secrets/a")
	// Backoff from 200 ms doubles past the 1 s timeout before retries run out.
	cfg.Retry.MaxRetries, cfg.Retry.RetryDelay, cfg.Retry.MaxRetryDelay = 10, 200*time.Millisecond, time.Minute
	cfg.Timeout = time.Second
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "A: vault "+vault+" secret a: still failing when --timeout=1s ran out (last attempt: 503 Service Unavailable)", raiseFetchTimeoutAdvice)
}

func TestSignalStopIsNamedAsSuch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	kv.Allow(appIdentity)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as signal.NotifyContext does on SIGTERM
	cfg := f.config("A=" + vault + "/secrets/a")
	var out bytes.Buffer
	err := Run(ctx, cfg, &out)
	f.checkNoLeak(cfg, out.String(), err)
	lines := errorLines(t, err)
	requireAll(t, lines[0], "A: vault "+vault+" secret a: stopped (SIGTERM or SIGINT)")
	noValuesWritten(t, f)
}
