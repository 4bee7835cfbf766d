package azurefake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testTenant = "00000000-0000-0000-0000-00000000aaaa"

// vaultFixture is a fake vault on loopback plus a client that trusts it.
type vaultFixture struct {
	kv     *KeyVault
	tokens *Tokens
	srv    *httptest.Server
	client *http.Client
}

func newVaultFixture(t *testing.T) vaultFixture {
	t.Helper()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens()
	kv := NewKeyVault(KeyVaultOptions{Tenant: testTenant, Tokens: tokens})
	srv := StartLoopback(t, ca, kv)
	return vaultFixture{kv: kv, tokens: tokens, srv: srv, client: &http.Client{Transport: LoopbackTransport(ca), Timeout: 30 * time.Second}}
}

// request is a GET of path with a token for identity ("" sends none),
// given up on after timeout.
func (f vaultFixture) request(t *testing.T, path, identity string, timeout time.Duration) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if identity != "" {
		resource := "https://" + strings.TrimPrefix(f.srv.URL, "https://127.")
		req.Header.Set("Authorization", "Bearer "+f.tokens.Issue(identity, resource, time.Hour))
	}
	return req
}

// get fetches path with a token for identity ("" sends no token).
func (f vaultFixture) get(t *testing.T, path, identity string) *http.Response {
	t.Helper()
	resp, err := f.client.Do(f.request(t, path+"?api-version=2026-04-01", identity, f.client.Timeout))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestChallengeNamesParentOfVaultHost(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	resp := f.get(t, "/secrets/db/", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	// 127.0.0.1:PORT ends with .0.0.1:PORT, which is what the client's
	// challenge-resource check requires of a vault host.
	want := `Bearer authorization="https://login.microsoftonline.com/` + testTenant +
		`", resource="https://` + strings.TrimPrefix(f.srv.URL, "https://127.") + `"`
	if got := resp.Header.Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %s\nwant %s", got, want)
	}
	if c := f.kv.Counts(); c.Challenges != 1 || c.Secrets != 0 {
		t.Errorf("counts %+v, want exactly one challenge", c)
	}
}

func TestTokenForAnotherResourceIsRefused(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.Put("db", "v")
	f.kv.Allow("app")
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/secrets/db/", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens.Issue("app", "https://management.azure.com", time.Hour))
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || f.kv.Counts().Unauthorized != 1 {
		t.Errorf("status %d, counts %+v; want 401 counted as unauthorized", resp.StatusCode, f.kv.Counts())
	}
}

func TestSecretLatestAndVersionAndACL(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	v1 := f.kv.Put("db", "one")
	f.kv.Put("db", "two")
	f.kv.Put("other", "x")
	f.kv.Allow("app", "db")

	cases := []struct {
		path, identity string
		status         int
		value, code    string
	}{
		{"/secrets/db/", "app", 200, "two", ""},
		{"/secrets/db", "app", 200, "two", ""},
		{"/secrets/db/" + v1, "app", 200, "one", ""},
		{"/secrets/db/" + strings.Repeat("0", 32), "app", 404, "", "SecretNotFound"},
		{"/secrets/other/", "app", 403, "", "Forbidden"},
		{"/secrets/db/", "stranger", 403, "", "Forbidden"},
	}
	for _, c := range cases {
		resp := f.get(t, c.path, c.identity)
		var body struct {
			Value string `json:"value"`
			ID    string `json:"id"`
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: decoding: %v", c.path, err)
		}
		if resp.StatusCode != c.status || body.Value != c.value || body.Error.Code != c.code {
			t.Errorf("%s as %s: got %d value-match=%v code %q; want %d code %q",
				c.path, c.identity, resp.StatusCode, body.Value == c.value, body.Error.Code, c.status, c.code)
		}
		if c.status == 200 && !strings.HasPrefix(body.ID, f.srv.URL+"/secrets/db/") {
			t.Errorf("%s: id %q does not name the vault and secret", c.path, body.ID)
		}
	}
	if c := f.kv.Counts(); c.Secrets != 3 || c.NotFound != 1 || c.Forbidden != 2 {
		t.Errorf("counts %+v, want 3 secrets, 1 not found, 2 forbidden", c)
	}
}

func TestInjectedFaultsAreServedInOrderThenNormalAnswers(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.Put("db", "v")
	f.kv.Allow("app")
	f.kv.InjectFaults(Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, Fault{Status: 503})

	// An unauthenticated request takes its challenge without using up a fault.
	if got := f.get(t, "/secrets/db/", "").StatusCode; got != 401 {
		t.Fatalf("challenge status %d", got)
	}
	first := f.get(t, "/secrets/db/", "app")
	if first.StatusCode != 429 || first.Header.Get("Retry-After") != "2" {
		t.Errorf("first: %d Retry-After %q, want 429 with Retry-After 2 (rounded up)", first.StatusCode, first.Header.Get("Retry-After"))
	}
	for i, want := range []int{503, 200} {
		if got := f.get(t, "/secrets/db/", "app").StatusCode; got != want {
			t.Errorf("request %d: status %d, want %d", i+2, got, want)
		}
	}
	if c := f.kv.Counts(); c.Throttled != 1 || c.Faults != 1 || c.Secrets != 1 {
		t.Errorf("counts %+v", c)
	}
}

// TestInjectedRefusalsCarryKeyVaultsInnerCodes: 403s other than a missing
// permission have Key Vault's body, inner code and message.
func TestInjectedRefusalsCarryKeyVaultsInnerCodes(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.Put("db", "v")
	f.kv.Allow("app")
	f.kv.InjectFaults(Fault{Status: 403, Code: FirewallDenied}, Fault{Status: 403, Code: SecretDisabled})
	for _, want := range []struct{ inner, message string }{
		{"ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.1\r\n"},
		{"SecretDisabled", "Operation get is not allowed on a disabled secret."},
	} {
		resp := f.get(t, "/secrets/db/", "app")
		var body struct {
			Error struct {
				Code       string `json:"code"`
				Message    string `json:"message"`
				InnerError struct {
					Code string `json:"code"`
				} `json:"innererror"`
			} `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		e := body.Error
		if resp.StatusCode != 403 || e.Code != "Forbidden" || e.InnerError.Code != want.inner || !strings.HasPrefix(e.Message, want.message) {
			t.Errorf("got %d %+v, want 403 Forbidden with inner code %s and message %q", resp.StatusCode, e, want.inner, want.message)
		}
	}
	if c := f.kv.Counts(); c.Faults != 2 || c.Forbidden != 0 {
		t.Errorf("counts %+v, want 2 faults", c)
	}
}

func TestBudgetThrottlesWithRetryAfterAndIgnores429s(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.Put("db", "v")
	f.kv.Allow("app")
	f.kv.SetBudget(2, time.Minute)
	for i := range 2 {
		if got := f.get(t, "/secrets/db/", "app").StatusCode; got != 200 {
			t.Fatalf("request %d within budget: status %d", i, got)
		}
	}
	for i := range 3 {
		resp := f.get(t, "/secrets/db/", "app")
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 429 || err != nil || secs < 1 || secs > 60 {
			t.Errorf("over budget %d: status %d Retry-After %q, want 429 with 1..60 s", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	f.kv.faults.mu.Lock()
	spent := len(f.kv.faults.answered)
	f.kv.faults.mu.Unlock()
	if spent != 2 {
		t.Errorf("budget holds %d answers after three 429s, want 2 (429s must not count)", spent)
	}
}

func TestLatencyHoldsUntilStop(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.SetLatency(time.Hour)
	done := make(chan int, 1)
	go func() {
		resp, err := f.client.Get(f.srv.URL + "/secrets/db/")
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		t.Fatalf("request answered (%d) despite an hour of latency", code)
	case <-time.After(200 * time.Millisecond):
	}
	f.kv.Stop()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not release the held request")
	}
}
