package fetch

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/kvenv/kvenv/internal/azurefake"
	"github.com/kvenv/kvenv/internal/leakcheck"
	"github.com/kvenv/kvenv/internal/secretref"
)

const (
	tenant        = "7f0c0000-0000-4000-8000-00000000beef"
	appClientID   = "11111111-2222-3333-4444-555555555555"
	appIdentity   = "app-identity"
	saSubject     = "system:serviceaccount:team-a:app"
	clusterIssuer = "https://oidc.cluster.test/abc"
)

// fixture is a fake Entra ID and any number of fake vaults on loopback, a
// workload identity token file, and a volume directory.
type fixture struct {
	t         testing.TB
	ca        *azurefake.CA
	tokens    *azurefake.Tokens
	entra     *azurefake.Entra
	entraURL  string
	apps      *federation
	assertion string // the projected service-account token tokenFile holds
	tokenFile string
	dir       string
	execSrc   string
	values    []string // every secret value the fakes hold, for leak checks
}

// secrets is everything a run against cfg must never print: the secret
// values, the fixture's federated assertion and the one cfg's token file
// holds, and every access token the fake identity platform issued.
func (f *fixture) secrets(cfg Config) []string {
	f.t.Helper()
	secrets := append(slices.Clone(f.values), f.assertion)
	secrets = append(secrets, f.tokens.Issued()...)
	if file := cfg.Identity.FederatedTokenFile; file != "" {
		if assertion, err := os.ReadFile(file); err == nil && string(assertion) != f.assertion {
			secrets = append(secrets, string(assertion))
		}
	}
	return secrets
}

// checkNoLeak fails the test if Run's output or error shows a secret.
func (f *fixture) checkNoLeak(cfg Config, out string, err error) {
	f.t.Helper()
	secrets := f.secrets(cfg)
	leakcheck.Check(f.t, "summary", out, secrets...)
	if err != nil {
		leakcheck.Check(f.t, "error", err.Error(), secrets...)
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ca, err := azurefake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ca: ca, tokens: azurefake.NewTokens(), dir: t.TempDir(), apps: &federation{}}
	f.assertion = fakeJWT(clusterIssuer, saSubject)
	f.apps.trust(appClientID, f.assertion, appIdentity)
	f.entra = azurefake.NewEntra(azurefake.EntraOptions{Tenant: tenant, Tokens: f.tokens, Federation: f.apps.verify})
	f.entraURL = azurefake.StartLoopback(t, ca, f.entra).URL
	f.tokenFile = f.writeTemp("sa-token", f.assertion)
	f.execSrc = f.writeTemp("kvenv-exec", "#!/bin/sh\n# stands in for the wrapper binary\n")
	return f
}

// federation is the fake Entra ID's federated credentials, which a test may
// add to while runs go on.
type federation struct {
	mu    sync.Mutex
	creds map[azurefake.FederatedAssertion]string
}

// trust lets the application clientID sign in as identity with assertion.
func (fd *federation) trust(clientID, assertion, identity string) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.creds == nil {
		fd.creds = map[azurefake.FederatedAssertion]string{}
	}
	fd.creds[azurefake.FederatedAssertion{ClientID: clientID, Assertion: assertion}] = identity
}

func (fd *federation) verify(clientID, assertion string) (string, error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return azurefake.StaticFederation(fd.creds)(clientID, assertion)
}

// fakeJWT has the shape of a projected service-account token; only the
// claims matter to kvenv (for its advice), the fake Entra compares it verbatim.
func fakeJWT(iss, sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(`{"iss":"`+iss+`","sub":"`+sub+`","aud":["api://AzureADTokenExchange"]}`)) + "." + enc([]byte("sig"))
}

func (f *fixture) writeTemp(name, content string) string {
	f.t.Helper()
	p := filepath.Join(f.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// newVault makes a fake vault without serving it, for a test that serves it
// behind a fault of its own (behind, serveTLS).
func (f *fixture) newVault() *azurefake.KeyVault {
	return azurefake.NewKeyVault(azurefake.KeyVaultOptions{Tenant: tenant, Tokens: f.tokens})
}

// vault starts a fake vault and returns it with its URL.
func (f *fixture) vault() (*azurefake.KeyVault, string) {
	kv := f.newVault()
	return kv, azurefake.StartLoopback(f.t, f.ca, kv).URL
}

// put stores a secret and remembers its value for leak checks.
func (f *fixture) put(kv *azurefake.KeyVault, name, value string) string {
	f.values = append(f.values, value)
	return kv.Put(name, value)
}

// refsIn stores n secrets s0..s(n-1) in kv, served at vault, and returns
// their references S0..S(n-1).
func (f *fixture) refsIn(kv *azurefake.KeyVault, vault string, n int) []string {
	var refs []string
	for i := range n {
		f.put(kv, fmt.Sprintf("s%d", i), fmt.Sprintf("value-s%d-fanout", i))
		refs = append(refs, fmt.Sprintf("S%d=%s/secrets/s%d", i, vault, i))
	}
	return refs
}

// config is a workload identity configuration against the fixture; refs
// are VAR=URI arguments.
func (f *fixture) config(refs ...string) Config {
	f.t.Helper()
	cfg := Config{
		Dir: f.dir, FileMode: 0o400, Timeout: 30 * time.Second, Concurrency: 8, ExecSource: f.execSrc,
		Identity: IdentityConfig{
			FederatedTokenFile: f.tokenFile, WorkloadClientID: appClientID, TenantID: tenant,
			AuthorityHost: f.entraURL, DisableInstanceDiscovery: true,
		},
		Retry:     policy.RetryOptions{MaxRetries: 3, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: time.Second},
		Transport: &http.Client{Transport: azurefake.LoopbackTransport(f.ca)},
	}
	for _, arg := range refs {
		r, err := secretref.Parse(arg)
		if err != nil {
			f.t.Fatal(err)
		}
		cfg.Refs = append(cfg.Refs, r)
	}
	return cfg
}

// run calls Run and fails the test if its output or error shows a value.
func (f *fixture) run(cfg Config) (string, error) {
	f.t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), cfg, &out)
	f.checkNoLeak(cfg, out.String(), err)
	return out.String(), err
}

// readEnv returns the value file for a variable and checks its mode.
func (f *fixture) readEnv(name string, mode os.FileMode) string {
	f.t.Helper()
	p := filepath.Join(f.dir, "env", name)
	st, err := os.Stat(p)
	if err != nil {
		f.t.Fatalf("value file for %s: %v", name, err)
	}
	if st.Mode() != mode {
		f.t.Errorf("%s has mode %v, want %v", p, st.Mode(), mode)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) doneExists() bool {
	_, err := os.Stat(filepath.Join(f.dir, ".done"))
	return err == nil
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}
