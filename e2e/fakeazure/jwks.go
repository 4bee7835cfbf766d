package fakeazure

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// jwksTimeout bounds one fetch of the issuer's keys.
const jwksTimeout = 5 * time.Second

// keySet caches the issuer's public keys by kid and fetches them again when
// a token names a kid it does not know (a rotated key), as Entra ID does.
type keySet struct {
	fetch func(ctx context.Context) ([]byte, error)

	mu   sync.Mutex
	keys map[string]*rsa.PublicKey
}

func (s *keySet) key(kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), jwksTimeout)
	defer cancel()
	data, err := s.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching the issuer's JWKS: %w", err)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return nil, err
	}
	s.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("the issuer's JWKS has no key %q", kid)
}

// parseJWKS reads the RSA keys of a JSON Web Key Set (RFC 7517).
func parseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []struct {
			Kty, Kid, N, E string
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decoding the JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) > 4 {
			return nil, fmt.Errorf("JWKS key %q is not a valid RSA key", k.Kid)
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}
