package azurefake

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ManagedIdentityOptions configures the fake managed identity endpoints.
type ManagedIdentityOptions struct {
	Tokens *Tokens
	// System is the identity a request without a client ID gets (the node's
	// system-assigned identity); empty means there is none.
	System string
	// UserAssigned maps client IDs of identities assigned to the node to the
	// identity each one is.
	UserAssigned map[string]string
	// Header is the secret App Service puts in IDENTITY_HEADER; requests must echo it.
	Header   string
	TokenTTL time.Duration // default 1h
}

// ManagedIdentity fakes the two ways a pod gets a managed identity token:
// the App Service style endpoint that IDENTITY_ENDPOINT and IDENTITY_HEADER
// point at (so a real kvenv process can use it), and IMDS, whose fixed
// address only a transport can reach (see IMDSTransport).
type ManagedIdentity struct {
	opts ManagedIdentityOptions

	mu            sync.Mutex
	tokenRequests int
}

// NewManagedIdentity makes the fake.
func NewManagedIdentity(opts ManagedIdentityOptions) *ManagedIdentity {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	return &ManagedIdentity{opts: opts}
}

// TokenRequests counts token requests on both endpoints, answered or refused.
func (m *ManagedIdentity) TokenRequests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokenRequests
}

// AppService answers GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=…[&client_id=…]
// carrying the X-IDENTITY-HEADER secret.
func (m *ManagedIdentity) AppService() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.count()
		switch {
		case r.Method != http.MethodGet:
			writeMIError(w, http.StatusMethodNotAllowed, "method not allowed")
		case m.opts.Header == "" || r.Header.Get("X-IDENTITY-HEADER") != m.opts.Header:
			writeMIError(w, http.StatusUnauthorized, "missing or wrong X-IDENTITY-HEADER")
		case r.URL.Query().Get("api-version") != "2019-08-01":
			writeMIError(w, http.StatusBadRequest, "api-version must be 2019-08-01")
		default:
			m.issue(w, r, func(token string, ttl time.Duration) any {
				return map[string]string{
					"access_token": token, "token_type": "Bearer", "resource": r.URL.Query().Get("resource"),
					"expires_on": strconv.FormatInt(time.Now().Add(ttl).Unix(), 10),
				}
			})
		}
	})
}

// IMDS answers GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]
// with the Metadata: true header.
func (m *ManagedIdentity) IMDS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.count()
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/metadata/identity/oauth2/token":
			writeMIError(w, http.StatusNotFound, "no such IMDS endpoint")
		case r.Header.Get("Metadata") != "true":
			writeMIError(w, http.StatusBadRequest, "Required metadata header not specified")
		default:
			m.issue(w, r, func(token string, ttl time.Duration) any {
				secs := strconv.Itoa(int(ttl.Seconds()))
				return map[string]string{
					"access_token": token, "token_type": "Bearer", "resource": r.URL.Query().Get("resource"),
					"client_id": r.URL.Query().Get("client_id"), "expires_in": secs, "ext_expires_in": secs,
					"expires_on": strconv.FormatInt(time.Now().Add(ttl).Unix(), 10),
				}
			})
		}
	})
}

// issue resolves the requested identity and answers with body(token, ttl).
func (m *ManagedIdentity) issue(w http.ResponseWriter, r *http.Request, body func(string, time.Duration) any) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		writeMIError(w, http.StatusBadRequest, "resource is required")
		return
	}
	identity := m.opts.System
	if clientID := r.URL.Query().Get("client_id"); clientID != "" {
		identity = m.opts.UserAssigned[clientID]
	}
	if identity == "" {
		// IMDS answers 400 when the requested identity is not on the VM.
		writeMIError(w, http.StatusBadRequest, "Identity not found")
		return
	}
	token := m.opts.Tokens.Issue(identity, resource, m.opts.TokenTTL)
	writeJSON(w, http.StatusOK, body(token, m.opts.TokenTTL))
}

func (m *ManagedIdentity) count() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokenRequests++
}

func writeMIError(w http.ResponseWriter, status int, desc string) {
	writeJSON(w, status, map[string]string{"error": "invalid_request", "error_description": desc})
}
