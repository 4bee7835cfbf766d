package azurefake

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGatherHoldsAuthorizedRequestsUntilAllArrive: a lone request is held,
// the challenge is not, and n requests sent at once are answered together.
func TestGatherHoldsAuthorizedRequestsUntilAllArrive(t *testing.T) {
	t.Parallel()
	f := newVaultFixture(t)
	f.kv.Put("db", "v")
	f.kv.Allow("app")

	f.kv.GatherAuthorized(2)
	if code := f.send(f.request(t, "", 5*time.Second)); code != http.StatusUnauthorized {
		t.Fatalf("challenge answered %d during a gathering, want 401 at once", code)
	}
	if code := f.send(f.request(t, "app", 300*time.Millisecond)); code != 0 {
		t.Fatalf("a lone request was answered (%d) while the gathering waited for 2", code)
	}

	f.kv.GatherAuthorized(3)
	codes := make(chan int, 3)
	for range 3 {
		req := f.request(t, "app", 30*time.Second)
		go func() { codes <- f.send(req) }()
	}
	for range 3 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("gathered request answered %d, want 200", code)
		}
	}
	if code := f.send(f.request(t, "app", 5*time.Second)); code != http.StatusOK {
		t.Errorf("request after the gathering answered %d, want 200 at once", code)
	}
}

// request is a GET of secret db with a token for identity ("" sends none),
// given up on after timeout.
func (f vaultFixture) request(t *testing.T, identity string, timeout time.Duration) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/secrets/db/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if identity != "" {
		resource := "https://" + strings.TrimPrefix(f.srv.URL, "https://127.")
		req.Header.Set("Authorization", "Bearer "+f.tokens.Issue(identity, resource, time.Hour))
	}
	return req
}

// send returns the answer's status, or 0 when there was none.
func (f vaultFixture) send(req *http.Request) int {
	resp, err := f.client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
