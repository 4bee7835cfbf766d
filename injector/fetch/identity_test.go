package fetch

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// Managed identity tests use a distinct client ID each: MSAL caches managed
// identity tokens per process, across credentials.

// imdsConfig routes the credential to a fake IMDS through the transport, the
// only way to move 169.254.169.254.
func (f *fixture) imdsConfig(mi *azurefake.ManagedIdentity, refs ...string) Config {
	cfg := f.config(refs...)
	cfg.Identity = IdentityConfig{}
	cfg.Transport = &http.Client{Transport: azurefake.IMDSTransport(mi.IMDS(), azurefake.LoopbackTransport(f.ca))}
	return cfg
}

func TestUserAssignedManagedIdentityByClientID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{
		Tokens: f.tokens, System: "node-identity", UserAssigned: map[string]string{"uami-fetch-1": "uami"},
	})
	kv, vault := f.vault()
	f.put(kv, "db", password)
	kv.Allow("uami")
	cfg := f.imdsConfig(mi, "DB="+vault+"/secrets/db")
	// --client-id wins over workload identity variables that are also present.
	cfg.Identity = IdentityConfig{ClientID: "uami-fetch-1", FederatedTokenFile: f.tokenFile, WorkloadClientID: appClientID, TenantID: tenant}
	out, err := f.run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.readEnv("DB", 0o400) != password {
		t.Error("wrong value")
	}
	if !strings.Contains(out, `identity="managed identity (client ID uami-fetch-1)"`) {
		t.Errorf("summary %q does not name the managed identity", out)
	}
	if mi.TokenRequests() != 1 || f.entra.TokenRequests() != 0 {
		t.Errorf("token requests: IMDS %d, Entra %d; want 1 and 0", mi.TokenRequests(), f.entra.TokenRequests())
	}
}

func TestForbiddenNamesManagedIdentity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: f.tokens, UserAssigned: map[string]string{"uami-fetch-2": "uami"}})
	kv, vault := f.vault()
	f.put(kv, "db", password)
	cfg := f.imdsConfig(mi, "DB="+vault+"/secrets/db")
	cfg.Identity.ClientID = "uami-fetch-2"
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "403 Forbidden for managed identity (client ID uami-fetch-2)", "Key Vault Secrets User")
}

func TestUnassignedManagedIdentityIsExplained(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: f.tokens, System: "node-identity"})
	kv, vault := f.vault()
	f.put(kv, "db", password)
	cfg := f.imdsConfig(mi, "DB="+vault+"/secrets/db")
	cfg.Identity.ClientID = "uami-fetch-not-assigned"
	lines := errorLines(t, func() error { _, err := f.run(cfg); return err }())
	requireAll(t, lines[0], "could not get a token for managed identity (client ID uami-fetch-not-assigned)",
		"400 Bad Request", "kvenv.io/client-id", "assigned to the nodes")
}

func TestNodeManagedIdentityWithoutAnyConfiguration(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: f.tokens, System: "node-identity"})
	kv, vault := f.vault()
	f.put(kv, "db", password)
	kv.Allow("node-identity")
	out, err := f.run(f.imdsConfig(mi, "DB="+vault+"/secrets/db"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "the node's managed identity") {
		t.Errorf("summary %q does not name the node identity", out)
	}
}

// Not parallel: the App Service endpoint is found through the environment,
// exactly as the kvenv binary finds it.
func TestManagedIdentityThroughIdentityEndpoint(t *testing.T) {
	f := newFixture(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{
		Tokens: f.tokens, Header: "header-secret", UserAssigned: map[string]string{"uami-fetch-appsvc": "uami"},
	})
	t.Setenv("IDENTITY_ENDPOINT", azurefake.StartLoopback(t, f.ca, mi.AppService()).URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "header-secret")
	kv, vault := f.vault()
	f.put(kv, "db", password)
	kv.Allow("uami")
	cfg := f.config("DB=" + vault + "/secrets/db")
	cfg.Identity = IdentityConfig{ClientID: "uami-fetch-appsvc"}
	if _, err := f.run(cfg); err != nil {
		t.Fatal(err)
	}
	if f.readEnv("DB", 0o400) != password || mi.TokenRequests() != 1 {
		t.Errorf("value or token count wrong (token requests %d)", mi.TokenRequests())
	}
}

func TestIdentityFromEnvPicksWorkloadVariables(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
		"AZURE_CLIENT_ID":            "cid", "AZURE_TENANT_ID": "tid", "AZURE_AUTHORITY_HOST": "https://login.example/",
	}
	got := IdentityFromEnv(func(k string) string { return env[k] }, IdentityConfig{DisableInstanceDiscovery: true})
	want := IdentityConfig{FederatedTokenFile: env["AZURE_FEDERATED_TOKEN_FILE"], WorkloadClientID: "cid", TenantID: "tid",
		AuthorityHost: "https://login.example/", DisableInstanceDiscovery: true}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	flag := IdentityFromEnv(func(k string) string { return env[k] }, IdentityConfig{AuthorityHost: "https://flag.example/"})
	if flag.AuthorityHost != "https://flag.example/" {
		t.Errorf("--authority-host lost to AZURE_AUTHORITY_HOST: %q", flag.AuthorityHost)
	}
}
