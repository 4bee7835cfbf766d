// Package fakeazure serves kvenv's Azure fakes (internal/azurefake) to the
// pods of the end-to-end cluster, and checks workload identity the way
// Microsoft Entra ID does: the pod's projected service-account token is
// verified against the API server's published keys and matched to a
// federated identity credential (issuer, subject, audience) of the
// application whose client ID the pod presents.
package fakeazure

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// TokenExchangeAudience is the audience Azure workload identity tokens carry.
const TokenExchangeAudience = "api://AzureADTokenExchange"

// clockSkew is the leeway on exp and nbf, as token validators allow.
const clockSkew = 2 * time.Minute

// FederatedCredential trusts tokens of one issuer and subject (a Kubernetes
// service account: system:serviceaccount:NS:NAME) for one application.
type FederatedCredential struct {
	Issuer   string
	Subject  string
	Audience string // default TokenExchangeAudience
	ClientID string // the application (identity) the token signs in as
}

// ServiceAccountSubject is the sub claim of a service account's tokens.
func ServiceAccountSubject(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Federation holds the federated credentials and the issuer's keys.
type Federation struct {
	creds []FederatedCredential
	keys  *keySet
	now   func() time.Time
}

// NewFederation checks tokens against the keys fetchJWKS returns (the API
// server's /openid/v1/jwks).
func NewFederation(fetchJWKS func(ctx context.Context) ([]byte, error), creds ...FederatedCredential) *Federation {
	for i := range creds {
		if creds[i].Audience == "" {
			creds[i].Audience = TokenExchangeAudience
		}
	}
	return &Federation{creds: creds, keys: &keySet{fetch: fetchJWKS}, now: time.Now}
}

// Verify checks the assertion's RS256 signature, lifetime, issuer, subject
// and audience, and returns the client ID of the matching credential.
// Messages follow Entra ID's AADSTS codes.
func (f *Federation) Verify(assertion string) (string, error) {
	tok, err := parseJWT(assertion)
	if err != nil {
		return "", fmt.Errorf("AADSTS50027: JWT token is invalid or malformed: %v", err)
	}
	key, err := f.keys.key(tok.header.Kid)
	if err != nil {
		return "", fmt.Errorf("AADSTS50166: Request to External OIDC endpoint failed: %v", err)
	}
	if err := tok.verifyRS256(key); err != nil {
		return "", fmt.Errorf("AADSTS700027: Client assertion failed signature validation: %v", err)
	}
	now := f.now()
	c := tok.claims
	if now.After(time.Unix(c.Expiry, 0).Add(clockSkew)) || (c.NotBefore != 0 && now.Add(clockSkew).Before(time.Unix(c.NotBefore, 0))) {
		return "", fmt.Errorf("AADSTS700024: Client assertion is not within its valid time range")
	}
	for _, fc := range f.creds {
		if fc.Issuer == c.Issuer && fc.Subject == c.Subject && slices.Contains(c.Audience, fc.Audience) {
			return fc.ClientID, nil
		}
	}
	return "", fmt.Errorf("AADSTS700213: No matching federated identity record found for presented assertion subject '%s' of issuer '%s'", c.Subject, c.Issuer)
}

// SignIn is an azurefake.FederationVerifier: the assertion must be valid
// (Verify) and federated with the application clientID names, as in Entra
// ID, where federated credentials belong to one application.
func (f *Federation) SignIn(clientID, assertion string) (string, error) {
	identity, err := f.Verify(assertion)
	if err != nil {
		return "", err
	}
	if identity != clientID {
		return "", &azurefake.OAuthError{Status: http.StatusBadRequest, Code: "invalid_grant", Description: fmt.Sprintf(
			"AADSTS70021: No matching federated identity record found for presented assertion on application '%s'.", clientID)}
	}
	return identity, nil
}
