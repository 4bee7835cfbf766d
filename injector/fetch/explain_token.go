package fetch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

// token explains a failure to get an access token.
func (x explainer) token(err error) string {
	what := "could not get a token for " + x.id.String()
	var abandoned *tryTimeoutError
	if errors.As(err, &abandoned) {
		return fmt.Sprintf("%s: every try got no answer within kvenv's per-try limit of %s and its retries are used up: "+
			"check that the pod can reach %s; kubelet restarts this init container to try again", what, abandoned.limit, x.tokenEndpoint())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s: no answer within --timeout=%s: check that the pod can reach %s", what, x.timeout, x.tokenEndpoint())
	}
	return what + ": " + authDetail(err) + ": " + x.identityAdvice()
}

// authDetail is the status and error codes of a token endpoint's refusal, or
// the error itself when there was no answer to read.
func authDetail(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		return oneLine(err.Error())
	}
	resp := afe.RawResponse
	detail := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if codes := oauthCodes(resp); codes != "" {
		detail += " (" + codes + ")"
	}
	return detail
}

// oauthCodes reads the OAuth error code and AADSTS codes of an error answer.
func oauthCodes(resp *http.Response) string {
	body, err := runtime.Payload(resp)
	if err != nil {
		return ""
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	codes := aadstsCode.FindAllString(e.Description, 3)
	if e.Error != "" && len(e.Error) < 64 {
		codes = append([]string{e.Error}, codes...)
	}
	return strings.Join(codes, ", ")
}

func (x explainer) tokenEndpoint() string {
	switch {
	case x.id.Mode != WorkloadIdentity:
		return "the managed identity endpoint (IMDS, 169.254.169.254)"
	case x.id.Authority != "":
		return "Entra ID at " + x.id.Authority
	}
	return "Entra ID at https://login.microsoftonline.com"
}

func (x explainer) identityAdvice() string {
	switch x.id.Mode {
	case WorkloadIdentity:
		issuer, subject := "<the cluster's OIDC issuer>", "system:serviceaccount:<namespace>:<service account>"
		if c, ok := tokenClaims(x.id.TokenFile); ok {
			issuer, subject = oneLine(c.Issuer), oneLine(c.Subject)
		}
		return fmt.Sprintf("check that the identity with client ID %s in tenant %s has a federated credential "+
			"with issuer %s, subject %s and audience api://AzureADTokenExchange, and that the client ID and tenant are right",
			x.id.ClientID, x.id.TenantID, issuer, subject)
	case UserAssignedManagedIdentity:
		return fmt.Sprintf("check that the user-assigned identity with client ID %s (annotation kvenv.io/client-id) "+
			"exists and is assigned to the nodes running this pod", x.id.ClientID)
	}
	return "check that the node has a managed identity and the pod can reach 169.254.169.254, " +
		"or give the pod workload identity or a kvenv.io/client-id annotation"
}

type claims struct {
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
}

// tokenClaims reads the issuer and subject of the projected service-account
// token, so the advice names the exact federated credential to create. Only
// these two public claims are used; the token itself is a credential and is
// never printed.
func tokenClaims(file string) (claims, bool) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return claims{}, false
	}
	parts := strings.Split(strings.TrimSpace(string(raw)), ".")
	if len(parts) != 3 {
		return claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(payload, &c) != nil || c.Issuer == "" || c.Subject == "" {
		return claims{}, false
	}
	return c, true
}
