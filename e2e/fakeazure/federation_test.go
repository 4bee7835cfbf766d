package fakeazure

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/internal/azurefake"
)

const testIssuer = "https://10.99.0.1:6443"

type signer struct {
	key *rsa.PrivateKey
	kid string
}

func newSigner(t *testing.T) signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key, kid: "k1"}
}

func (s signer) jwks(context.Context) ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	return json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": s.kid, "alg": "RS256", "use": "sig",
		"n": b64(s.key.N.Bytes()), "e": b64(big.NewInt(int64(s.key.E)).Bytes()),
	}}})
}

func (s signer) token(t *testing.T, claims map[string]any) string {
	seg := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(data)
	}
	signed := seg(map[string]string{"alg": "RS256", "kid": s.kid}) + "." + seg(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func saClaims(sub string, exp time.Time) map[string]any {
	return map[string]any{"iss": testIssuer, "sub": sub, "aud": []string{TokenExchangeAudience}, "exp": exp.Unix(), "nbf": time.Now().Add(-time.Minute).Unix()}
}

func TestFederationVerify(t *testing.T) {
	s := newSigner(t)
	app := ServiceAccountSubject("sampleapp", "sampleapp")
	fed := NewFederation(s.jwks, FederatedCredential{Issuer: testIssuer, Subject: app, ClientID: "app-id"})
	future := time.Now().Add(time.Hour)
	if id, err := fed.Verify(s.token(t, saClaims(app, future))); err != nil || id != "app-id" {
		t.Fatalf("valid token: identity %q, error %v; want app-id", id, err)
	}
	wrongAud := saClaims(app, future)
	wrongAud["aud"] = "https://kubernetes.default.svc"
	otherKey := newSigner(t)
	cases := map[string]struct{ token, wantCode string }{
		"other service account": {s.token(t, saClaims(ServiceAccountSubject("sampleapp", "intruder"), future)), "AADSTS700213"},
		"expired":               {s.token(t, saClaims(app, time.Now().Add(-time.Hour))), "AADSTS700024"},
		"wrong audience":        {s.token(t, wrongAud), "AADSTS700213"},
		"signed by another key": {otherKey.token(t, saClaims(app, future)), "AADSTS700027"},
		"not a JWT":             {"abc", "AADSTS50027"},
	}
	for name, c := range cases {
		if _, err := fed.Verify(c.token); err == nil || !strings.Contains(err.Error(), c.wantCode) {
			t.Errorf("%s: error %v, want %s", name, err, c.wantCode)
		}
	}
}

// TestSignInNeedsTheFederatedApplication: the assertion signs in only as
// the application its credential belongs to, as in Entra ID.
func TestSignInNeedsTheFederatedApplication(t *testing.T) {
	s := newSigner(t)
	app := ServiceAccountSubject("sampleapp", "sampleapp")
	fed := NewFederation(s.jwks, FederatedCredential{Issuer: testIssuer, Subject: app, ClientID: "app-id"})
	token := s.token(t, saClaims(app, time.Now().Add(time.Hour)))
	if id, err := fed.SignIn("app-id", token); err != nil || id != "app-id" {
		t.Fatalf("the federated application: identity %q, error %v", id, err)
	}
	_, err := fed.SignIn("another-app", token)
	var refusal *azurefake.OAuthError
	if !errors.As(err, &refusal) || refusal.Status != http.StatusBadRequest || !strings.Contains(refusal.Description, "AADSTS70021") {
		t.Errorf("another application: %v, want a 400 AADSTS70021 refusal", err)
	}
}
