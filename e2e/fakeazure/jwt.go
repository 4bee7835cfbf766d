package fakeazure

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// claims are the parts of a service-account token a federated credential
// checks. aud may be a string or a list in a JWT.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	Expiry    int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
}

type audience []string

func (a *audience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return errors.New("aud is neither a string nor a list of strings")
	}
	*a = list
	return nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// parsedJWT is a compact JWS split into what verification needs.
type parsedJWT struct {
	header    jwtHeader
	claims    claims
	signed    []byte // header.payload, what the signature covers
	signature []byte
}

func parseJWT(token string) (parsedJWT, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return parsedJWT{}, fmt.Errorf("the assertion is not a JWT (%d parts)", len(parts))
	}
	var p parsedJWT
	if err := decodeSegment(parts[0], &p.header); err != nil {
		return p, fmt.Errorf("JWT header: %w", err)
	}
	if err := decodeSegment(parts[1], &p.claims); err != nil {
		return p, fmt.Errorf("JWT claims: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return p, fmt.Errorf("JWT signature: %w", err)
	}
	p.signed, p.signature = []byte(parts[0]+"."+parts[1]), sig
	return p, nil
}

// verifyRS256 checks the signature with key; only RS256 is accepted, as the
// API server signs with RSA keys.
func (p parsedJWT) verifyRS256(key *rsa.PublicKey) error {
	if p.header.Alg != "RS256" {
		return fmt.Errorf("alg %q is not RS256", p.header.Alg)
	}
	digest := sha256.Sum256(p.signed)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], p.signature)
}

func decodeSegment(segment string, into any) error {
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}
