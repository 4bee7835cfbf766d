package fetch

import (
	"strings"
	"testing"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// TestRequiredWorkloadIdentityMissingRefusesTheNode: a pod labelled for
// workload identity whose kvenv-init got no AZURE_* variables fails with one
// line saying what is missing and what to do, before any token request,
// although the node's identity could read the vault.
func TestRequiredWorkloadIdentityMissingRefusesTheNode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: f.tokens, System: "node-identity"})
	kv, vault := f.vault()
	f.put(kv, "db", password)
	kv.Allow("node-identity")
	cfg := f.imdsConfig(mi, "DB="+vault+"/secrets/db")
	cfg.Identity.RequireWorkloadIdentityFor = "orders"
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", lines)
	}
	requireAll(t, lines[0], `azure.workload.identity/use: "true"`,
		"AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID", "node's managed identity",
		"Azure workload identity webhook", "reinvocationPolicy IfNeeded",
		"service account orders", "azure.workload.identity/client-id", "kvenv.io/client-id")
	if mi.TokenRequests() != 0 || f.entra.TokenRequests() != 0 {
		t.Errorf("token requests: IMDS %d, Entra %d; want none", mi.TokenRequests(), f.entra.TokenRequests())
	}
	if c := kv.Counts(); c.Challenges+c.Secrets+c.Unauthorized != 0 {
		t.Errorf("vault contacted: %+v", c)
	}
	if names := entries(t, f.dir); len(names) != 0 {
		t.Errorf("volume written despite the failure: %v", names)
	}
}

// TestRequiredWorkloadIdentityNamesOnlyWhatIsMissing: the Azure webhook
// may set AZURE_CLIENT_ID and AZURE_TENANT_ID without the token file.
func TestRequiredWorkloadIdentityNamesOnlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	err := missingWorkloadIdentity(IdentityConfig{RequireWorkloadIdentityFor: "orders", WorkloadClientID: appClientID, TenantID: tenant})
	if msg := err.Error(); !strings.Contains(msg, "has no AZURE_FEDERATED_TOKEN_FILE, so") {
		t.Errorf("want only AZURE_FEDERATED_TOKEN_FILE named as missing: %q", msg)
	}
}

// TestRequiredWorkloadIdentityPresentSignsIn: with the variables (the Azure
// webhook ran after kvenv and gave kvenv-init its env) the flag is met.
func TestRequiredWorkloadIdentityPresentSignsIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "db", password)
	kv.Allow(appIdentity)
	cfg := f.config("DB=" + vault + "/secrets/db")
	cfg.Identity.RequireWorkloadIdentityFor = "orders"
	out, err := f.run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.readEnv("DB", 0o400) != password || !strings.Contains(out, `identity="workload identity (client ID `+appClientID) {
		t.Errorf("wrong value or identity; summary %q", out)
	}
}
