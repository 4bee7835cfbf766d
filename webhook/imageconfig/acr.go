package imageconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-containerregistry/pkg/authn"
)

// acrUsername tells ACR's token endpoint that the secret is a refresh token
// from /oauth2/exchange, not a password.
const acrUsername = "00000000-0000-0000-0000-000000000000"

// acrDomains are Azure Container Registry's public and sovereign clouds.
var acrDomains = []string{".azurecr.io", ".azurecr.cn", ".azurecr.us"}

// acrExchange turns kvenv's Entra ID token into ACR refresh tokens, one per
// registry, kept until shortly before the Entra token they came from expires.
type acrExchange struct {
	opts   ACROptions
	hosts  map[string]bool
	scheme func(host string) string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	refresh map[string]acrRefresh // by registry host; few, the ACRs in use
}

type acrRefresh struct {
	token   string
	expires time.Time
}

func (r *Resolver) newACRExchange(o ACROptions) (*acrExchange, error) {
	if o.Credential == nil {
		return nil, nil
	}
	hosts, err := hostSet(o.Hosts)
	if err != nil {
		return nil, err
	}
	scheme := func(host string) string {
		if r.insecure[host] {
			return "http"
		}
		return "https"
	}
	now := func() time.Time { return r.now() } // tests move r.now after New
	return &acrExchange{opts: o, hosts: hosts, scheme: scheme, now: now,
		client: &http.Client{Transport: r.transport}, refresh: map[string]acrRefresh{}}, nil
}

// handles says whether kvenv's identity may be offered to host: its token
// must reach ACR only, never a registry that could replay it.
func (a *acrExchange) handles(host string) bool {
	if a == nil {
		return false
	}
	if a.hosts[host] {
		return true
	}
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	for _, d := range acrDomains {
		if strings.HasSuffix(h, d) {
			return true
		}
	}
	return false
}

func (a *acrExchange) authenticator(ctx context.Context, host string) (authn.Authenticator, error) {
	token, err := a.refreshToken(ctx, host)
	if err != nil {
		return nil, err
	}
	return authn.FromConfig(authn.AuthConfig{Username: acrUsername, IdentityToken: token}), nil
}

func (a *acrExchange) refreshToken(ctx context.Context, host string) (string, error) {
	a.mu.Lock()
	cached, ok := a.refresh[host]
	a.mu.Unlock()
	if ok && a.now().Before(cached.expires) {
		return cached.token, nil
	}
	access, err := a.opts.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{a.opts.Scope}})
	if err != nil {
		return "", &credentialError{fmt.Errorf("no Entra ID token for %s: %w", a.opts.Scope, err)}
	}
	token, err := a.exchange(ctx, host, access.Token)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.refresh[host] = acrRefresh{token: token, expires: access.ExpiresOn.Add(-5 * time.Minute)}
	a.mu.Unlock()
	return token, nil
}

// exchange is ACR's POST /oauth2/exchange. Its errors never quote the
// request or the response body, which carry tokens.
func (a *acrExchange) exchange(ctx context.Context, host, accessToken string) (string, error) {
	u := a.scheme(host) + "://" + host + "/oauth2/exchange"
	form := url.Values{"grant_type": {"access_token"}, "service": {host}, "access_token": {accessToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client.Do(req)
	if err != nil {
		return "", err // a *url.Error: method, URL (no tokens in it) and cause
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &exchangeError{url: u, status: resp.StatusCode}
	}
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil || body.RefreshToken == "" {
		return "", fmt.Errorf("POST %s: no refresh_token in the answer", u)
	}
	return body.RefreshToken, nil
}

// exchangeError: ACR refused kvenv's Entra ID token.
type exchangeError struct {
	url    string
	status int
}

func (e *exchangeError) Error() string {
	return fmt.Sprintf("POST %s: %d %s", e.url, e.status, http.StatusText(e.status))
}

// credentialError: kvenv's identity has no token (not configured, or Entra
// ID refused it); like a 401, the next credential may still work.
type credentialError struct{ err error }

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }
