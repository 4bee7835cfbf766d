package imageconfig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/webhook"
	corev1 "k8s.io/api/core/v1"
)

// testImage is an image whose config names a platform and a command.
func testImage(t testing.TB, os, arch string, entrypoint, cmd []string) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		OS: os, Architecture: arch,
		Config: v1.Config{Entrypoint: entrypoint, Cmd: cmd},
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// multiArch is an index of amd64 and arm64/v8 images with different
// entrypoints, plus an attestation entry (unknown/unknown) as build tools add.
func multiArch(t testing.TB) v1.ImageIndex {
	amd := testImage(t, "linux", "amd64", []string{"/bin/app-amd64"}, []string{"serve"})
	arm := testImage(t, "linux", "arm64", []string{"/bin/app-arm64"}, []string{"serve"})
	att := testImage(t, "unknown", "unknown", nil, nil)
	return mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}},
	)
}

// push writes an image or index to repoTag on the registry as admin and
// returns the reference by digest; the counts start afresh afterwards.
func (tr *testRegistry) push(t testing.TB, repoTag string, artifact any) string {
	t.Helper()
	ref, err := name.ParseReference(tr.host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{remote.WithTransport(tr.Client().Transport),
		remote.WithAuth(&authn.Basic{Username: adminUser, Password: adminPassword})}
	var digest v1.Hash
	switch a := artifact.(type) {
	case v1.Image:
		err = remote.Write(ref, a, opts...)
		digest, _ = a.Digest()
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, a, opts...)
		digest, _ = a.Digest()
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	tr.snapshot()
	return ref.Context().String() + "@" + digest.String()
}

func (tr *testRegistry) enableACR(entraToken string) {
	tr.acr = &fakeACR{entraToken: entraToken, issued: map[string]bool{}}
}

// newResolver trusts the test registries' CA and runs on a fake clock.
func newResolver(t testing.TB, o Options, regs ...*testRegistry) (*Resolver, *testclock.Clock) {
	t.Helper()
	for _, tr := range regs {
		if tr.TLS != nil {
			o.CABundle = append(o.CABundle, tr.caPEM()...)
		}
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	// Real time to start with: tokens from fakeCredential expire in real time.
	clock := testclock.New(time.Now())
	r.now = clock.Now
	return r, clock
}

// imageRequest is a request from container "app" in namespace team-a.
func imageRequest(image string) webhook.ImageRequest {
	return webhook.ImageRequest{Container: "app", Image: image, OS: "linux", Arch: "amd64",
		Namespace: "team-a", ServiceAccount: "builder"}
}

func mustResolve(t testing.TB, r *Resolver, req webhook.ImageRequest) webhook.ImageCommand {
	t.Helper()
	cmd, err := r.Resolve(context.Background(), req)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", req.Image, err)
	}
	return cmd
}

// secretStore holds Secrets and service accounts as the API server would
// return them; the handler's SecretReader reads them with a client.
type secretStore struct {
	mu              sync.Mutex
	secrets         map[string]*corev1.Secret
	serviceAccounts map[string][]string
	reads           int
}

func newSecretStore(secrets ...*corev1.Secret) *secretStore {
	s := &secretStore{secrets: map[string]*corev1.Secret{}, serviceAccounts: map[string][]string{}}
	for _, sec := range secrets {
		s.secrets[sec.Namespace+"/"+sec.Name] = sec
	}
	return s
}

func (s *secretStore) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	sec, ok := s.secrets[namespace+"/"+name]
	if !ok {
		return nil, fmt.Errorf("secrets %q not found", name)
	}
	return sec.DeepCopy(), nil
}

func (s *secretStore) ServiceAccountPullSecrets(_ context.Context, namespace, sa string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serviceAccounts[namespace+"/"+sa], nil
}

// dockerConfigSecret is what `kubectl create secret docker-registry` makes.
func dockerConfigSecret(namespace, name, host, user, pass string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{
		host: map[string]string{"username": user, "password": pass, "auth": auth}}})
	s := &corev1.Secret{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}
	s.Namespace, s.Name = namespace, name
	return s
}

// dockercfgSecret is the older kubernetes.io/dockercfg form, "auth" only.
func dockercfgSecret(namespace, name, host, user, pass string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg, _ := json.Marshal(map[string]any{host: map[string]string{"auth": auth}})
	s := &corev1.Secret{Type: corev1.SecretTypeDockercfg, Data: map[string][]byte{corev1.DockerConfigKey: cfg}}
	s.Namespace, s.Name = namespace, name
	return s
}
