package imageconfig

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/kvenv/kvenv/webhook"
)

// deniedExplanation is the denial a request for image gets after the given
// credentials were each refused with 401 by host.
func deniedExplanation(t *testing.T, host string, creds ...credential) string {
	t.Helper()
	f := &lookupFailure{}
	for _, c := range creds {
		f.add(endpoint{host: host}, c, &transport.Error{StatusCode: http.StatusUnauthorized}, nil)
	}
	q := &request{ImageRequest: webhook.ImageRequest{Container: "app", Image: host + "/private/app:1"}}
	msg := q.explain(f).Error()
	t.Log(msg)
	return msg
}

var (
	anonymousCredential = credential{scope: scopeShared, label: "no credentials"}
	acrIdentity         = credential{scope: scopeShared, label: "kvenv's Azure identity", acr: true}
)

func TestACRDenialWithoutIdentityAsksToEnableIt(t *testing.T) {
	for _, host := range []string{"myacr.azurecr.io", "myacr.azurecr.cn", "myacr.azurecr.us"} {
		msg := deniedExplanation(t, host, anonymousCredential)
		for _, want := range []string{"registry.azureIdentity", "--registry-azure-identity", "AcrPull", "set `command`", `container "app"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: denial lacks %q", host, want)
			}
		}
	}
}

func TestACRDenialWithIdentityKeepsTheAcrPullAdvice(t *testing.T) {
	msg := deniedExplanation(t, "myacr.azurecr.io", acrIdentity, anonymousCredential)
	if strings.Contains(msg, "registry.azureIdentity") || !strings.Contains(msg, "give kvenv's identity the AcrPull role") {
		t.Fatalf("with kvenv's identity configured, want the AcrPull advice alone, got %s", msg)
	}
}

func TestNonACRDenialDoesNotAskForTheAzureIdentity(t *testing.T) {
	msg := deniedExplanation(t, "ghcr.io", anonymousCredential)
	if strings.Contains(msg, "registry.azureIdentity") {
		t.Fatalf("a non-ACR denial asks for kvenv's Azure identity: %s", msg)
	}
}
