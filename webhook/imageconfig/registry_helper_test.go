package imageconfig

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

type authMode int

const (
	authNone   authMode = iota // an open registry
	authBasic                  // Basic on every private request
	authBearer                 // tokens from /oauth2/token, as Docker Hub, GHCR and ACR do
)

// testRegistry is a real registry (pkg/registry) on 127.0.0.1, behind the
// authentication a registry would demand, counting the requests it sees.
// Repositories under public/ are readable by anyone; all others need one of
// users, or (bearer) a token issued for them or for an ACR refresh token.
type testRegistry struct {
	*httptest.Server
	host            string
	mode            authMode
	users           map[string]string // name → password
	acr             *fakeACR          // nil: no /oauth2/exchange
	echoCredentials bool              // 401 bodies repeat the credentials sent, as a careless registry might
	hold            func(*http.Request)
	lieAboutDigest  map[string]string // repository → digest its HEADs claim
	// front answers a request in the registry's place when it returns true.
	front    func(http.ResponseWriter, *http.Request) bool
	registry http.Handler

	mu     sync.Mutex
	counts map[string]int
	tokens map[string]bool // issued token → grants private repositories
}

const adminUser, adminPassword = "admin", "admin-pass-2f9c"

// startRegistry serves over TLS; the caller may change the mode and users
// before the first request.
func startRegistry(t testing.TB, mode authMode) *testRegistry {
	tr := newTestRegistry(mode)
	tr.Server = httptest.NewTLSServer(tr)
	tr.host = tr.Listener.Addr().String()
	t.Cleanup(tr.Close)
	return tr
}

// startPlainRegistry serves over plain HTTP, as an air-gapped mirror might.
func startPlainRegistry(t testing.TB) *testRegistry {
	tr := newTestRegistry(authNone)
	tr.Server = httptest.NewServer(tr)
	tr.host = tr.Listener.Addr().String()
	t.Cleanup(tr.Close)
	return tr
}

func newTestRegistry(mode authMode) *testRegistry {
	return &testRegistry{
		mode:     mode,
		users:    map[string]string{adminUser: adminPassword},
		registry: registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		counts:   map[string]int{},
		tokens:   map[string]bool{},
	}
}

func (tr *testRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	tr.count(req)
	if tr.hold != nil {
		tr.hold(req)
	}
	if tr.front != nil && tr.front(w, req) {
		return
	}
	switch {
	case req.URL.Path == "/oauth2/token":
		tr.serveToken(w, req)
	case req.URL.Path == "/oauth2/exchange" && tr.acr != nil:
		tr.acr.serveExchange(w, req, tr.host)
	case !tr.allowed(req):
		tr.challenge(w, req)
	default:
		tr.serveRegistry(w, req)
	}
}

func (tr *testRegistry) serveRegistry(w http.ResponseWriter, req *http.Request) {
	repo, kind := splitPath(req.URL.Path)
	if claim, ok := tr.lieAboutDigest[repo]; ok && kind == "manifest" && req.Method == http.MethodHead {
		w.Header().Set("Docker-Content-Digest", claim)
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		w.Header().Set("Content-Length", "100")
		return
	}
	tr.registry.ServeHTTP(w, req)
}

// allowed says whether req carries what its path needs.
func (tr *testRegistry) allowed(req *http.Request) bool {
	repo, _ := splitPath(req.URL.Path)
	ping := req.URL.Path == "/v2/"
	public := strings.HasPrefix(repo, "public/")
	switch tr.mode {
	case authBasic:
		return tr.validBasic(req) || public
	case authBearer:
		private, issued := tr.bearer(req)
		return private || issued && (public || ping)
	}
	return true
}

func (tr *testRegistry) validBasic(req *http.Request) bool {
	user, pass, ok := req.BasicAuth()
	return ok && tr.users[user] == pass
}

func (tr *testRegistry) bearer(req *http.Request) (private, issued bool) {
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false, false
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	private, issued = tr.tokens[tok]
	return private, issued
}

func (tr *testRegistry) challenge(w http.ResponseWriter, req *http.Request) {
	repo, _ := splitPath(req.URL.Path)
	if tr.mode == authBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="kvenv-test"`)
	} else {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://%s/oauth2/token",service="%s",scope="repository:%s:pull"`, tr.host, tr.host, repo))
	}
	tr.unauthorized(w, req, "authentication required")
}

func (tr *testRegistry) unauthorized(w http.ResponseWriter, req *http.Request, msg string) {
	if tr.echoCredentials {
		user, pass, _ := req.BasicAuth()
		msg += fmt.Sprintf(" (got %s:%s, header %q)", user, pass, req.Header.Get("Authorization"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": msg}}})
}

// serveToken issues bearer tokens: for Basic credentials (GET), for an ACR
// refresh token (POST grant_type=refresh_token), or anonymous ones.
func (tr *testRegistry) serveToken(w http.ResponseWriter, req *http.Request) {
	_, _, hasBasic := req.BasicAuth()
	private := false
	switch {
	case req.Method == http.MethodPost && req.FormValue("grant_type") == "refresh_token":
		if tr.acr == nil || !tr.acr.validRefresh(req.FormValue("refresh_token")) {
			tr.unauthorized(w, req, "invalid refresh token")
			return
		}
		private = true
	case hasBasic:
		if !tr.validBasic(req) {
			tr.unauthorized(w, req, "bad username or password")
			return
		}
		private = true
	}
	tok := tr.issue(private)
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
}

func (tr *testRegistry) issue(private bool) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tok := fmt.Sprintf("registry-token-%d", len(tr.tokens))
	tr.tokens[tok] = private
	return tok
}
