package imageconfig

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Request kinds the test registry counts.
const (
	reqPing         = "GET ping"
	reqToken        = "token"
	reqExchange     = "exchange"
	reqHeadManifest = "HEAD manifest"
	reqGetManifest  = "GET manifest"
	reqGetBlob      = "GET blob"
)

func (tr *testRegistry) count(req *http.Request) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.counts[requestKind(req)]++
}

func requestKind(req *http.Request) string {
	switch req.URL.Path {
	case "/v2/":
		return req.Method + " ping"
	case "/oauth2/token":
		return reqToken
	case "/oauth2/exchange":
		return reqExchange
	}
	_, kind := splitPath(req.URL.Path)
	return req.Method + " " + kind
}

// splitPath cuts /v2/<repo>/<manifests|blobs|...>/<ref> into repo and kind.
func splitPath(path string) (repo, kind string) {
	for _, k := range []string{"manifests", "blobs", "tags"} {
		if before, _, ok := strings.Cut(path, "/"+k+"/"); ok {
			return strings.TrimPrefix(before, "/v2/"), strings.TrimSuffix(k, "s")
		}
	}
	return "", "other"
}

// snapshot returns the counts since the last reset and resets them.
func (tr *testRegistry) snapshot() map[string]int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	c := tr.counts
	tr.counts = map[string]int{}
	return c
}

func (tr *testRegistry) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tr.Certificate().Raw})
}

// fakeACR answers /oauth2/exchange for one Entra ID access token.
type fakeACR struct {
	entraToken string
	mu         sync.Mutex
	issued     map[string]bool
}

func (a *fakeACR) serveExchange(w http.ResponseWriter, req *http.Request, host string) {
	if req.Method != http.MethodPost || req.FormValue("grant_type") != "access_token" ||
		req.FormValue("service") != host || req.FormValue("access_token") != a.entraToken {
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid access token"}]}`, http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	refresh := fmt.Sprintf("acr-refresh-%d", len(a.issued))
	a.issued[refresh] = true
	a.mu.Unlock()
	fmt.Fprintf(w, `{"refresh_token":%q}`, refresh)
}

func (a *fakeACR) validRefresh(tok string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued[tok]
}

// fakeCredential is kvenv's Entra ID identity without Entra ID: the issue
// under test is what kvenv does with the token, not how it is obtained.
type fakeCredential struct {
	token string
	mu    sync.Mutex
	calls int
}

func (c *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if len(o.Scopes) != 1 || o.Scopes[0] != DefaultACRScope {
		return azcore.AccessToken{}, fmt.Errorf("unexpected scopes %q", o.Scopes)
	}
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// hangingHost accepts connections and never answers.
func hangingHost(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// closedHost is a loopback address nothing listens on.
func closedHost(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
