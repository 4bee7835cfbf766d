package imageconfig

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

func TestSecondPullSecretWorksAfterFirstIsRefused(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.users["ci"] = "right-password"
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/private-app"}, nil))
	store := newSecretStore(
		dockerConfigSecret("team-a", "stale", reg.host, "ci", "old-password"),
		dockerConfigSecret("team-a", "current", reg.host, "ci", "right-password"))
	r, _ := newResolver(t, Options{Secrets: store}, reg)

	req := imageRequest(reg.host + "/private/app:1")
	req.PullSecrets = []string{"stale", "current"}
	if got := mustResolve(t, r, req); got.Entrypoint[0] != "/private-app" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
	// The stale secret is tried first and refused at the token endpoint.
	if c := reg.snapshot(); c[reqToken] != 2 {
		t.Fatalf("want 2 token requests (stale refused, current issued), got %v", c)
	}
}

func TestServiceAccountPullSecretsComeAfterThePods(t *testing.T) {
	reg := startRegistry(t, authBasic)
	reg.users["robot"] = "robot-pass"
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/private-app"}, nil))
	store := newSecretStore(
		dockerConfigSecret("team-a", "other-registry", "registry.example.com", "x", "y"),
		dockercfgSecret("team-a", "robot", reg.host, "robot", "robot-pass"))
	store.serviceAccounts["team-a/builder"] = []string{"robot"}
	r, _ := newResolver(t, Options{Secrets: store}, reg)

	req := imageRequest(reg.host + "/private/app:1")
	req.PullSecrets = []string{"other-registry"}
	if got := mustResolve(t, r, req); got.Entrypoint[0] != "/private-app" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
}

func TestWrongPasswordExplainsWithoutTheSecret(t *testing.T) {
	const password = "wrong-but-secret-7a1f"
	reg := startRegistry(t, authBearer)
	reg.echoCredentials = true // the message must not repeat what a careless registry echoes
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	store := newSecretStore(dockerConfigSecret("team-a", "regcred", reg.host, "ci", password))
	r, _ := newResolver(t, Options{Secrets: store}, reg)

	req := imageRequest(reg.host + "/private/app:1")
	req.PullSecrets = []string{"regcred"}
	_, err := r.Resolve(context.Background(), req)
	if err == nil {
		t.Fatal("resolved with a wrong password")
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{`container "app"`, req.Image, "401 Unauthorized", "with pull secret team-a/regcred",
		"set `command`", "imagePullSecrets", "AcrPull"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("ci:" + password))
	if strings.Contains(msg, password) || strings.Contains(msg, encoded) {
		t.Errorf("error carries the credentials: %s", msg)
	}
}

func TestPullSecretsUnreadWithoutReaderAreNamed(t *testing.T) {
	reg := startRegistry(t, authBasic)
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	r, _ := newResolver(t, Options{}, reg)

	req := imageRequest(reg.host + "/private/app:1")
	req.PullSecrets = []string{"regcred"}
	_, err := r.Resolve(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `imagePullSecrets ["regcred"] were not tried`) {
		t.Fatalf("want a note that pull secrets are not read, got %v", err)
	}
}

func TestACRIdentityExchangesItsToken(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.enableACR("entra-access-token")
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/acr-app"}, nil))
	cred := &fakeCredential{token: "entra-access-token"}
	r, clock := newResolver(t, Options{ACR: ACROptions{Credential: cred, Hosts: []string{reg.host}}}, reg)

	if got := mustResolve(t, r, imageRequest(reg.host+"/private/app:1")); got.Entrypoint[0] != "/acr-app" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
	if c := reg.snapshot(); c[reqExchange] != 1 || c[reqToken] != 1 {
		t.Fatalf("want one exchange and one token request, got %v", c)
	}
	// The refresh token is reused: a later look-up exchanges nothing.
	clock.Advance(DefaultTagTTL + 1)
	mustResolve(t, r, imageRequest(reg.host+"/private/app:1"))
	if c := reg.snapshot(); c[reqExchange] != 0 || cred.calls != 1 {
		t.Fatalf("want the refresh token reused, got %v and %d Entra token requests", c, cred.calls)
	}
}

func TestACRIdentityIsNotOfferedToOtherRegistries(t *testing.T) {
	reg := startRegistry(t, authBearer)
	reg.enableACR("entra-access-token")
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/app"}, nil))
	cred := &fakeCredential{token: "entra-access-token"}
	r, _ := newResolver(t, Options{ACR: ACROptions{Credential: cred}}, reg) // host not listed

	_, err := r.Resolve(context.Background(), imageRequest(reg.host+"/private/app:1"))
	if err == nil || cred.calls != 0 || reg.snapshot()[reqExchange] != 0 {
		t.Fatalf("kvenv's identity reached a non-ACR host (err %v, %d token requests)", err, cred.calls)
	}
	if !strings.Contains(err.Error(), "with no credentials") {
		t.Fatalf("want the anonymous attempt named, got %v", err)
	}
}

func TestACRHostsAreRecognized(t *testing.T) {
	a := &acrExchange{hosts: map[string]bool{"registry.corp.example": true}}
	for host, want := range map[string]bool{
		"myacr.azurecr.io": true, "myacr.azurecr.cn": true, "myacr.azurecr.us": true,
		"registry.corp.example": true, "azurecr.io.evil.example": false, "ghcr.io": false,
	} {
		if got := a.handles(host); got != want {
			t.Errorf("handles(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestNotFoundEndsTheCredentialChain(t *testing.T) {
	reg := startRegistry(t, authBearer)
	store := newSecretStore(
		dockerConfigSecret("team-a", "first", reg.host, adminUser, adminPassword),
		dockerConfigSecret("team-a", "second", reg.host, adminUser, adminPassword))
	r, _ := newResolver(t, Options{Secrets: store}, reg)

	req := imageRequest(reg.host + "/private/missing:1")
	req.PullSecrets = []string{"first", "second"}
	_, err := r.Resolve(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "correct the image reference") {
		t.Fatalf("want advice to correct the reference, got %v", err)
	}
	// A 404 would be a 404 with any credential: only the first is tried.
	if c := reg.snapshot(); c[reqToken] != 1 || c[reqHeadManifest] != 1 {
		t.Fatalf("want one attempt, got %v", c)
	}
}
