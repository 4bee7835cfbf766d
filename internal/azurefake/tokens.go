package azurefake

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Grant is what an access token proves: who holds it and for which resource.
type Grant struct {
	Identity string
	Resource string // the audience, e.g. https://vault.azure.net
	Expires  time.Time
}

// Tokens is the memory the fake identity platform shares with Key Vault. Real
// tokens are signed JWTs; opaque random ones are enough here because the only
// reader is the fake vault, and they cannot be mistaken for real credentials.
type Tokens struct {
	mu      sync.Mutex
	byToken map[string]Grant
}

// NewTokens makes an empty token store.
func NewTokens() *Tokens { return &Tokens{byToken: map[string]Grant{}} }

// Issue records a new token for identity and resource, valid for ttl.
func (t *Tokens) Issue(identity, resource string, ttl time.Duration) string {
	token := randomHex(24)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byToken[token] = Grant{Identity: identity, Resource: resource, Expires: time.Now().Add(ttl)}
	return token
}

// Lookup returns the grant behind an unexpired token.
func (t *Tokens) Lookup(token string) (Grant, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.byToken[token]
	if !ok || time.Now().After(g.Expires) {
		return Grant{}, false
	}
	return g, true
}

// Issued returns every token issued so far, expired or not, so tests can
// check that none of them shows in what kvenv printed.
func (t *Tokens) Issued() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	tokens := make([]string, 0, len(t.byToken))
	for token := range t.byToken {
		tokens = append(tokens, token)
	}
	return tokens
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
