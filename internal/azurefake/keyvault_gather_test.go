package azurefake

import (
	"net/http"
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
	if code := f.send(f.request(t, "/secrets/db/", "", 5*time.Second)); code != http.StatusUnauthorized {
		t.Fatalf("challenge answered %d during a gathering, want 401 at once", code)
	}
	if code := f.send(f.request(t, "/secrets/db/", "app", 300*time.Millisecond)); code != 0 {
		t.Fatalf("a lone request was answered (%d) while the gathering waited for 2", code)
	}

	f.kv.GatherAuthorized(3)
	codes := make(chan int, 3)
	for range 3 {
		req := f.request(t, "/secrets/db/", "app", 30*time.Second)
		go func() { codes <- f.send(req) }()
	}
	for range 3 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("gathered request answered %d, want 200", code)
		}
	}
	if code := f.send(f.request(t, "/secrets/db/", "app", 5*time.Second)); code != http.StatusOK {
		t.Errorf("request after the gathering answered %d, want 200 at once", code)
	}
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
