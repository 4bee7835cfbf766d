package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

// These tests run the real kvenv binary as a process, configured only as the
// webhook configures it: flags, AZURE_* variables and KVENV_CA_BUNDLE.

var kvenvBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kvenv-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kvenvBin = filepath.Join(dir, "kvenv")
	build := exec.Command("go", "build", "-trimpath", "-o", kvenvBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kvenv:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	tenant   = "7f0c0000-0000-4000-8000-0000000000aa"
	clientID = "99999999-2222-3333-4444-555555555555"
	password = "ThisIsTest#123"
	pemValue = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUB3x\nAbCdEfGhIjKl==\n-----END CERTIFICATE-----"
)

type world struct {
	ca       *azurefake.CA
	tokens   *azurefake.Tokens
	entraURL string
	kv       *azurefake.KeyVault
	vault    string
	dir      string
	env      []string // the init container's environment
	values   []string
	// assertion is the service-account token the workload identity
	// presents: a credential, which kvenv must never print either.
	assertion string
}

// secrets is everything kvenv must never print: the secret values, the
// federated assertion and every access token the fakes issued so far.
func (w *world) secrets() []string {
	secrets := append(slices.Clone(w.values), w.assertion)
	return append(secrets, w.tokens.Issued()...)
}

// newWorld starts Entra ID and a vault with three secrets, of which the
// workload identity may read db-password and tls-cert.
func newWorld(t *testing.T) *world {
	t.Helper()
	ca, err := azurefake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ca: ca, tokens: azurefake.NewTokens(), dir: t.TempDir()}
	enc := base64.RawURLEncoding.EncodeToString
	w.assertion = enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"iss":"https://oidc.test","sub":"system:serviceaccount:shop:api"}`)) + ".c2ln"
	entra := azurefake.NewEntra(azurefake.EntraOptions{Tenant: tenant, Tokens: w.tokens,
		Federation: azurefake.StaticFederation(map[azurefake.FederatedAssertion]string{{ClientID: clientID, Assertion: w.assertion}: "shop-api"})})
	w.entraURL = azurefake.StartLoopback(t, ca, entra).URL
	w.kv = azurefake.NewKeyVault(azurefake.KeyVaultOptions{Tenant: tenant, Tokens: w.tokens})
	w.vault = azurefake.StartLoopback(t, ca, w.kv).URL
	for name, value := range map[string]string{"db-password": password, "tls-cert": pemValue, "admin": "admin-only-value"} {
		w.kv.Put(name, value)
		w.values = append(w.values, value)
	}
	w.kv.Allow("shop-api", "db-password", "tls-cert")

	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte(w.assertion), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
		"AZURE_CLIENT_ID=" + clientID, "AZURE_TENANT_ID=" + tenant,
		"AZURE_FEDERATED_TOKEN_FILE=" + tokenFile, "AZURE_AUTHORITY_HOST=" + w.entraURL + "/",
		"KVENV_CA_BUNDLE=" + string(ca.PEM()),
	}
	return w
}

type result struct {
	code           int
	stdout, stderr string
}

// kvenv runs the binary with the webhook's flags plus extra args.
func (w *world) kvenv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	execSrc := filepath.Join(t.TempDir(), "kvenv-exec")
	if err := os.WriteFile(execSrc, []byte("wrapper"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--dir=" + w.dir, "--file-mode=0400", "--timeout=30s", "--exec-source=" + execSrc, "--disable-instance-discovery"}
	cmd := exec.CommandContext(ctx, kvenvBin, append(base, args...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running kvenv: %v", err)
	}
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	secrets := w.secrets()
	leakcheck.Check(t, "kvenv stdout", r.stdout, secrets...)
	leakcheck.Check(t, "kvenv stderr", r.stderr, secrets...)
	return r
}

func (w *world) file(t *testing.T, rel string) (string, os.FileMode) {
	t.Helper()
	p := filepath.Join(w.dir, rel)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), st.Mode()
}

func TestWorkloadIdentityProcess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.kvenv(t, w.env, "--",
		"SPRING_DATASOURCE_PASSWORD="+w.vault+"/secrets/db-password", "TLS_CERT="+w.vault+"/secrets/tls-cert")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for rel, want := range map[string]string{"env/SPRING_DATASOURCE_PASSWORD": password, "env/TLS_CERT": pemValue} {
		if got, mode := w.file(t, rel); got != want || mode != 0o400 {
			t.Errorf("%s: content matches %v, mode %v", rel, got == want, mode)
		}
	}
	if got, mode := w.file(t, "bin/kvenv-exec"); got != "wrapper" || mode != 0o555 {
		t.Errorf("wrapper copy: content %q mode %v", got, mode)
	}
	w.file(t, ".done")
	if !strings.HasPrefix(r.stdout, "kvenv: fetched vault="+w.vault+" secrets=2 ") || r.stderr != "" {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestForbiddenSecretFailsTheProcess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.kvenv(t, w.env, "--", "DB="+w.vault+"/secrets/db-password", "ADMIN="+w.vault+"/secrets/admin")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	want := "kvenv: ADMIN: vault " + w.vault + " secret admin: 403 Forbidden for workload identity (client ID " + clientID
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("stderr %q\nwant one line starting %q", r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".done")); err == nil {
		t.Error(".done written by a failed run")
	}
}

func TestAuthorityHostFlagAndMissingCABundle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var env []string
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, "AZURE_AUTHORITY_HOST=") {
			env = append(env, kv)
		}
	}
	ref := "DB=" + w.vault + "/secrets/db-password"
	if r := w.kvenv(t, env, "--authority-host="+w.entraURL, "--", ref); r.code != 0 {
		t.Fatalf("with --authority-host: exit %d, stderr %q", r.code, r.stderr)
	}
	noCA := env[:len(env)-1] // KVENV_CA_BUNDLE is last
	r := w.kvenv(t, noCA, "--authority-host="+w.entraURL, "--timeout=10s", "--", ref)
	if r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("without KVENV_CA_BUNDLE: exit %d, stderr %q; want a certificate error", r.code, r.stderr)
	}
}

func TestManagedIdentityProcessThroughIdentityEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: w.tokens, Header: "hdr",
		UserAssigned: map[string]string{"uami-process-1": "shop-api"}})
	miURL := azurefake.StartLoopback(t, w.ca, mi.AppService()).URL
	env := []string{"PATH=/usr/bin:/bin", "KVENV_CA_BUNDLE=" + string(w.ca.PEM()),
		"IDENTITY_ENDPOINT=" + miURL + "/msi/token", "IDENTITY_HEADER=hdr"}
	r := w.kvenv(t, env, "--client-id=uami-process-1", "--", "DB="+w.vault+"/secrets/db-password")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got, _ := w.file(t, "env/DB"); got != password {
		t.Error("wrong value")
	}
	if !strings.Contains(r.stdout, "managed identity (client ID uami-process-1)") || mi.TokenRequests() != 1 {
		t.Errorf("stdout %q, token requests %d", r.stdout, mi.TokenRequests())
	}
}

// TestUsageErrorsExitTwo: every bad command line exits 2, before anything
// is fetched, with a message naming the flag or variable; exit 1 is left to
// failed fetches (TestForbiddenSecretFailsTheProcess).
func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ref := "DB=" + w.vault + "/secrets/db-password"
	cases := map[string]struct {
		args []string
		want string
	}{
		"bad reference":      {[]string{"--", "DB=http://v/secrets/x"}, "DB"},
		"bad mode":           {[]string{"--file-mode=rw", "--", ref}, "--file-mode"},
		"unknown flag":       {[]string{"--bogus", "--", ref}, "bogus"},
		"no references":      {[]string{"--"}, "no references"},
		"no arguments":       {nil, "no references"},
		"zero timeout":       {[]string{"--timeout=0", "--", ref}, "--timeout"},
		"zero concurrency":   {[]string{"--concurrency=0", "--", ref}, "--concurrency"},
		"unreadable mode":    {[]string{"--file-mode=0200", "--", ref}, "--file-mode"},
		"empty dir":          {[]string{"--dir=", "--", ref}, "--dir"},
		"variable twice":     {[]string{"--", ref, "DB=" + w.vault + "/secrets/tls-cert"}, "DB is referenced twice"},
		"no service account": {[]string{"--require-workload-identity=", "--", ref}, "--require-workload-identity"},
	}
	for name, tc := range cases {
		r := w.kvenv(t, w.env, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, "kvenv") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d stderr %q, want 2 with a message naming %q", name, r.code, r.stderr, tc.want)
		}
	}
	if c := w.kv.Counts(); c.Challenges != 0 {
		t.Errorf("vault contacted despite usage errors: %+v", c)
	}
	if issued := w.tokens.Issued(); len(issued) != 0 {
		t.Errorf("%d tokens fetched despite usage errors", len(issued))
	}
}

// TestRequiredWorkloadIdentityProcess: --require-workload-identity without
// the AZURE_* variables exits 1 with one line, and never asks the managed
// identity endpoint for a token, although that identity could read the
// vault; with the variables it signs in as the workload identity.
func TestRequiredWorkloadIdentityProcess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mi := azurefake.NewManagedIdentity(azurefake.ManagedIdentityOptions{Tokens: w.tokens, Header: "hdr", System: "node-identity"})
	w.kv.Allow("node-identity", "db-password")
	miURL := azurefake.StartLoopback(t, w.ca, mi.AppService()).URL
	noWorkloadIdentity := []string{"PATH=/usr/bin:/bin", "KVENV_CA_BUNDLE=" + string(w.ca.PEM()),
		"IDENTITY_ENDPOINT=" + miURL + "/msi/token", "IDENTITY_HEADER=hdr"}
	ref := "DB=" + w.vault + "/secrets/db-password"

	r := w.kvenv(t, noWorkloadIdentity, "--require-workload-identity=orders", "--", ref)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 1 {
		t.Fatalf("exit %d, stderr %q; want 1 with one line", r.code, r.stderr)
	}
	for _, part := range []string{"kvenv: workload identity:", "azure.workload.identity/use", "AZURE_FEDERATED_TOKEN_FILE", "service account orders"} {
		if !strings.Contains(lines[0], part) {
			t.Errorf("stderr %q lacks %q", lines[0], part)
		}
	}
	if mi.TokenRequests() != 0 || w.kv.Counts().Challenges != 0 {
		t.Errorf("token requests %d, vault challenges %d; want none", mi.TokenRequests(), w.kv.Counts().Challenges)
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".done")); err == nil {
		t.Error(".done written by a failed run")
	}

	if r := w.kvenv(t, w.env, "--require-workload-identity=orders", "--", ref); r.code != 0 || !strings.Contains(r.stdout, "workload identity") {
		t.Errorf("with the variables: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
