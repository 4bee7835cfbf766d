package azurefake

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// These tests prove the fakes speak the wire protocol the real SDK clients
// expect, with no test-only client setting beyond trusting the fake CA.

type sdkFixture struct {
	ca     *CA
	tokens *Tokens
	kv     *KeyVault
	vault  string
	opts   azcore.ClientOptions
}

func newSDKFixture(t *testing.T) sdkFixture {
	t.Helper()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens()
	kv := NewKeyVault(KeyVaultOptions{Tenant: testTenant, Tokens: tokens})
	return sdkFixture{
		ca: ca, tokens: tokens, kv: kv,
		vault: StartLoopback(t, ca, kv).URL,
		opts: azcore.ClientOptions{
			Transport: &http.Client{Transport: LoopbackTransport(ca)},
			Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond},
		},
	}
}

func (f sdkFixture) workloadCredential(t *testing.T, entraURL, assertion string) azcore.TokenCredential {
	t.Helper()
	return f.workloadCredentialAs(t, entraURL, "client-1", assertion)
}

func (f sdkFixture) workloadCredentialAs(t *testing.T, entraURL, clientID, assertion string) azcore.TokenCredential {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(assertion), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := f.opts
	opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: entraURL + "/"}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: opts, ClientID: clientID, TenantID: testTenant, TokenFilePath: file,
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func (f sdkFixture) getSecret(t *testing.T, cred azcore.TokenCredential, name string) (string, error) {
	t.Helper()
	client, err := azsecrets.NewClient(f.vault, cred, &azsecrets.ClientOptions{ClientOptions: f.opts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := client.GetSecret(ctx, name, "", nil)
	if err != nil {
		return "", err
	}
	return *resp.Value, nil
}

func TestWorkloadIdentityThroughEntraAndKeyVault(t *testing.T) {
	t.Parallel()
	f := newSDKFixture(t)
	entra := NewEntra(EntraOptions{Tenant: testTenant, Tokens: f.tokens, Federation: StaticFederation(map[FederatedAssertion]string{{"client-1", "sa-token"}: "app"})})
	cred := f.workloadCredential(t, StartLoopback(t, f.ca, entra).URL, "sa-token")
	f.kv.Put("db", "ThisIsTest#123")
	f.kv.Put("missing-acl", "x")
	f.kv.Allow("app", "db")

	for range 2 {
		if got, err := f.getSecret(t, cred, "db"); err != nil || got != "ThisIsTest#123" {
			t.Fatalf("GetSecret: err %v, value matches %v", err, got == "ThisIsTest#123")
		}
	}
	_, err := f.getSecret(t, cred, "missing-acl")
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 403 || re.ErrorCode != "Forbidden" {
		t.Errorf("forbidden secret: got %v, want ResponseError 403 Forbidden", err)
	}
	_, err = f.getSecret(t, cred, "nope")
	if !errors.As(err, &re) || re.StatusCode != 403 {
		t.Errorf("secret outside the identity's grant: got %v, want 403", err)
	}
	if n := entra.TokenRequests(); n != 1 {
		t.Errorf("token requests %d, want 1 (the credential caches)", n)
	}
	if ids := entra.ClientIDs(); len(ids) != 1 || ids[0] != "client-1" {
		t.Errorf("client IDs sent %v", ids)
	}
}

func TestNotFoundSurfacesAsSecretNotFound(t *testing.T) {
	t.Parallel()
	f := newSDKFixture(t)
	entra := NewEntra(EntraOptions{Tenant: testTenant, Tokens: f.tokens, Federation: StaticFederation(map[FederatedAssertion]string{{"client-1", "sa"}: "app"})})
	cred := f.workloadCredential(t, StartLoopback(t, f.ca, entra).URL, "sa")
	f.kv.Allow("app")
	_, err := f.getSecret(t, cred, "absent")
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "SecretNotFound" {
		t.Errorf("got %v, want ResponseError 404 SecretNotFound", err)
	}
}

func TestRejectedAssertionIsAuthenticationFailure(t *testing.T) {
	t.Parallel()
	f := newSDKFixture(t)
	entra := NewEntra(EntraOptions{Tenant: testTenant, Tokens: f.tokens, Federation: StaticFederation(map[FederatedAssertion]string{{"client-1", "sa"}: "app"})})
	cred := f.workloadCredential(t, StartLoopback(t, f.ca, entra).URL, "forged")
	f.kv.Put("db", "v")
	_, err := f.getSecret(t, cred, "db")
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil || afe.RawResponse.StatusCode != http.StatusBadRequest {
		t.Errorf("got %v, want AuthenticationFailedError with a 400 response", err)
	}
}

// TestTokenIsOnlyForTheApplicationTheAssertionIsFederatedWith: an assertion
// signs in only as the application whose client ID comes with it, and only
// if that application has a federated credential for it.
func TestTokenIsOnlyForTheApplicationTheAssertionIsFederatedWith(t *testing.T) {
	t.Parallel()
	f := newSDKFixture(t)
	entra := NewEntra(EntraOptions{Tenant: testTenant, Tokens: f.tokens, Federation: StaticFederation(map[FederatedAssertion]string{
		{"client-1", "sa-one"}: "app-one",
		{"client-2", "sa-two"}: "app-two",
	})})
	entraURL := StartLoopback(t, f.ca, entra).URL
	f.kv.Put("db", "v")
	f.kv.Allow("app-one")
	f.kv.Allow("app-two")
	for _, c := range []struct{ clientID, assertion, want string }{
		{"client-2", "sa-two", ""},
		{"client-2", "sa-one", "AADSTS70021"}, // another application's assertion
		{"client-9", "sa-one", "AADSTS700016"},
	} {
		_, err := f.getSecret(t, f.workloadCredentialAs(t, entraURL, c.clientID, c.assertion), "db")
		if c.want == "" {
			if err != nil {
				t.Errorf("client %s with its own assertion: %v", c.clientID, err)
			}
			continue
		}
		var afe *azidentity.AuthenticationFailedError
		if !errors.As(err, &afe) || afe.RawResponse == nil || afe.RawResponse.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), c.want) {
			t.Errorf("client %s with assertion %s: got %v, want a 400 refusal with %s", c.clientID, c.assertion, err, c.want)
		}
	}
}

func TestIMDSThroughTransport(t *testing.T) {
	t.Parallel()
	f := newSDKFixture(t)
	mi := NewManagedIdentity(ManagedIdentityOptions{Tokens: f.tokens, UserAssigned: map[string]string{"imds-client-7": "uami-7"}})
	opts := f.opts
	opts.Transport = &http.Client{Transport: IMDSTransport(mi.IMDS(), LoopbackTransport(f.ca))}
	// A distinct client ID per test: MSAL caches managed identity tokens per process.
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: opts, ID: azidentity.ClientID("imds-client-7"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.kv.Put("db", "v")
	f.kv.Allow("uami-7")
	f.opts = opts
	if got, err := f.getSecret(t, cred, "db"); err != nil || got != "v" {
		t.Fatalf("GetSecret through IMDS identity: %v", err)
	}
	if n := mi.TokenRequests(); n != 1 {
		t.Errorf("IMDS token requests %d, want 1", n)
	}
}

// Not parallel: the App Service endpoint is found through the environment.
func TestAppServiceEndpointFromEnvironment(t *testing.T) {
	f := newSDKFixture(t)
	mi := NewManagedIdentity(ManagedIdentityOptions{Tokens: f.tokens, Header: "h-secret", UserAssigned: map[string]string{"as-client-9": "uami-9"}})
	srv := StartLoopback(t, f.ca, mi.AppService())
	t.Setenv("IDENTITY_ENDPOINT", srv.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "h-secret")
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: f.opts, ID: azidentity.ClientID("as-client-9"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.kv.Put("db", "v")
	f.kv.Allow("uami-9")
	if got, err := f.getSecret(t, cred, "db"); err != nil || got != "v" {
		t.Fatalf("GetSecret through App Service identity: %v", err)
	}
	if n := mi.TokenRequests(); n != 1 {
		t.Errorf("App Service token requests %d, want 1", n)
	}
}

func TestAppServiceRefusesWrongHeader(t *testing.T) {
	t.Parallel()
	mi := NewManagedIdentity(ManagedIdentityOptions{Tokens: NewTokens(), Header: "right", System: "node"})
	req := httpRequest(t, "/token?api-version=2019-08-01&resource=https://vault.azure.net")
	req.Header.Set("X-IDENTITY-HEADER", "wrong")
	rec := serve(mi.AppService(), req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong header: status %d, want 401", rec.Code)
	}
	req.Header.Set("X-IDENTITY-HEADER", "right")
	if rec := serve(mi.AppService(), req); rec.Code != http.StatusOK {
		t.Errorf("right header, system identity: status %d, want 200", rec.Code)
	}
}

func TestIMDSUnknownClientIDIs400(t *testing.T) {
	t.Parallel()
	mi := NewManagedIdentity(ManagedIdentityOptions{Tokens: NewTokens(), System: "node"})
	req := httpRequest(t, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r&client_id=unknown")
	req.Header.Set("Metadata", "true")
	if rec := serve(mi.IMDS(), req); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown client ID: status %d, want 400", rec.Code)
	}
}

func httpRequest(t *testing.T, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+IMDSHost+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
