package fakeazure

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
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

func TestRequireClientID(t *testing.T) {
	s := newSigner(t)
	app := ServiceAccountSubject("sampleapp", "sampleapp")
	fed := NewFederation(s.jwks, FederatedCredential{Issuer: testIssuer, Subject: app, ClientID: "app-id"})
	reached := 0
	h := fed.RequireClientID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	token := s.token(t, saClaims(app, time.Now().Add(time.Hour)))
	for clientID, wantReached := range map[string]bool{"app-id": true, "another-app": false} {
		reached = 0
		form := url.Values{"client_id": {clientID}, "client_assertion": {token}}
		req := httptest.NewRequest(http.MethodPost, "/tenant/oauth2/v2.0/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if (reached == 1) != wantReached {
			t.Errorf("client_id %s: passed on %v, want %v (status %d)", clientID, reached == 1, wantReached, rec.Code)
		}
		if !wantReached && rec.Code != http.StatusUnauthorized {
			t.Errorf("client_id %s: status %d, want 401", clientID, rec.Code)
		}
	}
}
