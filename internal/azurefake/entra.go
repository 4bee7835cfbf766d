package azurefake

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FederationVerifier checks a token request as Entra ID checks a federated
// identity credential: clientID names the application, and the assertion
// (for workload identity, the projected service-account token, verbatim)
// must match one of that application's federated credentials. It returns
// the identity the token is issued to. An *OAuthError chooses the refusal;
// any other error is answered 401 invalid_client. An end-to-end test
// verifies the token against the API server's JWKS.
type FederationVerifier func(clientID, assertion string) (identity string, err error)

// FederatedAssertion is one federated credential as a static table knows
// it: the application's client ID and the exact assertion it accepts.
type FederatedAssertion struct{ ClientID, Assertion string }

// StaticFederation accepts exactly the listed pairs, each signing in as the
// identity it maps to. As Entra ID does, it refuses a client ID that no pair
// names (AADSTS700016) and an assertion the named application has no
// federated credential for (AADSTS70021). It only reads m.
func StaticFederation(m map[FederatedAssertion]string) FederationVerifier {
	return func(clientID, assertion string) (string, error) {
		if id, ok := m[FederatedAssertion{ClientID: clientID, Assertion: assertion}]; ok {
			return id, nil
		}
		for known := range m {
			if known.ClientID == clientID {
				return "", &OAuthError{Status: http.StatusBadRequest, Code: "invalid_grant",
					Description: "AADSTS70021: No matching federated identity record found for presented assertion."}
			}
		}
		return "", &OAuthError{Status: http.StatusBadRequest, Code: "unauthorized_client",
			Description: fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory.", clientID)}
	}
}

// OAuthError is a refusal from the token endpoint: its status and its OAuth
// error body.
type OAuthError struct {
	Status      int
	Code        string // the error field: invalid_client, invalid_grant, unauthorized_client, ...
	Description string // error_description, starting with its AADSTS code
}

func (e *OAuthError) Error() string { return e.Description }

// EntraOptions configures the fake token endpoint.
type EntraOptions struct {
	Tenant string
	Tokens *Tokens
	// Federation decides whether a request's client ID and assertion sign in.
	Federation FederationVerifier
	TokenTTL   time.Duration // default 1h
}

// Entra is a fake Microsoft Entra ID serving what MSAL needs with instance
// discovery disabled: the tenant's OpenID configuration and the token
// endpoint's client-credentials grant with a JWT-bearer client assertion.
type Entra struct {
	opts EntraOptions
	mux  *http.ServeMux

	mu            sync.Mutex
	tokenRequests int
	clientIDs     []string
}

// NewEntra makes the fake; serve it and use its URL as the authority host.
func NewEntra(opts EntraOptions) *Entra {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	e := &Entra{opts: opts, mux: http.NewServeMux()}
	e.mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.serveOpenIDConfiguration)
	e.mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.serveToken)
	return e
}

// ServeHTTP answers the OpenID configuration and token requests.
func (e *Entra) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// TokenRequests counts token requests, answered or refused.
func (e *Entra) TokenRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokenRequests
}

// ClientIDs lists the client_id of every token request, in order.
func (e *Entra) ClientIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.clientIDs...)
}

func (e *Entra) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if tenant != e.opts.Tenant {
		writeOAuthError(w, http.StatusBadRequest, "invalid_tenant", fmt.Sprintf("AADSTS90002: Tenant '%s' not found.", tenant))
		return
	}
	base := "https://" + r.Host + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]string{
		"issuer":                 base + "/v2.0",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
	})
}

func (e *Entra) serveToken(w http.ResponseWriter, r *http.Request) {
	e.record(r.PostFormValue("client_id"))
	resource, code, desc := e.checkTokenRequest(r)
	if code != "" {
		status := http.StatusBadRequest
		if code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		writeOAuthError(w, status, code, desc)
		return
	}
	identity, err := e.opts.Federation(r.PostFormValue("client_id"), r.PostFormValue("client_assertion"))
	if err != nil {
		refusal := &OAuthError{Status: http.StatusUnauthorized, Code: "invalid_client", Description: err.Error()}
		errors.As(err, &refusal)
		writeOAuthError(w, refusal.Status, refusal.Code, refusal.Description)
		return
	}
	token := e.opts.Tokens.Issue(identity, resource, e.opts.TokenTTL)
	ttl := int(e.opts.TokenTTL.Seconds())
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "access_token": token, "expires_in": ttl, "ext_expires_in": ttl,
	})
}

// checkTokenRequest validates the form; a non-empty code is an OAuth error.
func (e *Entra) checkTokenRequest(r *http.Request) (resource, code, desc string) {
	switch {
	case r.PathValue("tenant") != e.opts.Tenant:
		return "", "invalid_tenant", fmt.Sprintf("AADSTS90002: Tenant '%s' not found.", r.PathValue("tenant"))
	case r.PostFormValue("grant_type") != "client_credentials":
		return "", "unsupported_grant_type", "AADSTS70003: grant_type must be client_credentials."
	case r.PostFormValue("client_id") == "":
		return "", "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'."
	case r.PostFormValue("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
		return "", "invalid_client", "AADSTS7000216: 'client_assertion_type' must be jwt-bearer."
	}
	for _, scope := range strings.Fields(r.PostFormValue("scope")) {
		if res, ok := strings.CutSuffix(scope, "/.default"); ok {
			return res, "", ""
		}
	}
	return "", "invalid_scope", "AADSTS1002012: The provided value for scope is not valid: want <resource>/.default."
}

func (e *Entra) record(clientID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokenRequests++
	e.clientIDs = append(e.clientIDs, clientID)
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
