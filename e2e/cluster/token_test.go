package cluster

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var errNoScheduledPod = errors.New("no pod bound to the node yet")

// tokenAudience is what Azure workload identity asks for.
const tokenAudience = "api://AzureADTokenExchange"

func testProjectedToken(t *testing.T, c *Cluster) {
	expiry := int64(3600)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "projected-token", Namespace: "default"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{shellContainer(c.Images.Busybox, "reader", "cat /var/run/secrets/azure/tokens/azure-identity-token",
				corev1.VolumeMount{Name: "azure-identity-token", MountPath: "/var/run/secrets/azure/tokens", ReadOnly: true})},
			Volumes: []corev1.Volume{{Name: "azure-identity-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
					Audience: tokenAudience, ExpirationSeconds: &expiry, Path: "azure-identity-token",
				}}},
			}}}},
		},
	}
	createPod(t, c.Client, pod)
	waitPod(t, c.Client, pod.Namespace, pod.Name, succeeded)
	token := podLogs(t, c.Client, pod.Namespace, pod.Name, "reader")
	claims := verifyWithJWKS(t, c, token)
	if !slices.Contains(claims.Audience, tokenAudience) || claims.Issuer != c.Issuer || claims.Subject != "system:serviceaccount:default:default" {
		t.Fatalf("token claims aud=%v iss=%q sub=%q, want aud %q, iss %q and the default service account",
			claims.Audience, claims.Issuer, claims.Subject, tokenAudience, c.Issuer)
	}
}

type tokenClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
}

type jwks struct {
	Keys []struct {
		KeyID string `json:"kid"`
		N     string `json:"n"`
		E     string `json:"e"`
	} `json:"keys"`
}

// verifyWithJWKS checks the token's RS256 signature against the key the API
// server publishes at /openid/v1/jwks, as a token exchange would.
func verifyWithJWKS(t *testing.T, c *Cluster, token string) tokenClaims {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		t.Fatalf("the mounted token is not a JWT (%d parts)", len(parts))
	}
	var header struct{ Alg, Kid string }
	decodeSegment(t, parts[0], &header)
	key := jwksKey(t, c, header.Kid)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || header.Alg != "RS256" {
		t.Fatalf("token alg %q, signature decodes: %v", header.Alg, err)
	}
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("token signature does not verify with the jwks key %q: %v", header.Kid, err)
	}
	var claims tokenClaims
	decodeSegment(t, parts[1], &claims)
	return claims
}

func jwksKey(t *testing.T, c *Cluster, kid string) *rsa.PublicKey {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		t.Fatalf("GET /openid/v1/jwks: %v", err)
	}
	var set jwks
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("decoding /openid/v1/jwks: %v", err)
	}
	for _, k := range set.Keys {
		if k.KeyID != kid {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if err := errors.Join(errN, errE); err != nil {
			t.Fatalf("jwks key %q: %v", kid, err)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("no key %q in /openid/v1/jwks (%d keys)", kid, len(set.Keys))
	return nil
}

func decodeSegment(t *testing.T, segment string, into any) {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err == nil {
		err = json.Unmarshal(data, into)
	}
	if err != nil {
		t.Fatal(fmt.Errorf("decoding a token segment: %w", err))
	}
}
