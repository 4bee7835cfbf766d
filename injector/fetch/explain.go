package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/kvenv/kvenv/internal/secretref"
)

// explainer turns a failed request into one line that says what failed and
// what to do. It reads status and error codes only: a response body may
// carry a value, so no body text is ever printed.
type explainer struct {
	id      Identity
	timeout time.Duration
}

// The webhook adds kvenv-init to the pod with --timeout and KVENV_CA_BUNDLE
// taken from its own --fetch-timeout and --ca-bundle-file, so the team that
// reads kvenv-init's log has no say over either: the advice names the
// webhook's flags, and the Helm values that set them, for the cluster admin.
const (
	raiseFetchTimeout = "ask the cluster admin to raise kvenv-webhook's --fetch-timeout (Helm value injector.fetchTimeout)"
	trustVaultCA      = "if a private CA or a TLS-inspecting proxy issued it, ask the cluster admin to add that CA to kvenv-webhook's --ca-bundle-file (Helm value azure.caBundle); " +
		"if it names another host, check that the vault's name resolves to the vault from the pod (private endpoint DNS)"
)

// line is the whole message for one failed variable.
func (x explainer) line(r secretref.Ref, err error) string {
	secret := r.Name
	if r.Version != "" {
		secret += " version " + r.Version
	}
	return fmt.Sprintf("%s: vault %s secret %s: %s", r.Env, r.VaultURL, secret, x.explain(r, err))
}

func (x explainer) explain(r secretref.Ref, err error) string {
	if te, ok := asTokenError(err); ok {
		return x.token(te.err)
	}
	var re *azcore.ResponseError
	var stalled *stalledError
	var abandoned *tryTimeoutError
	switch {
	case errors.As(err, &stalled):
		if strings.HasPrefix(stalled.last, "429") {
			return fmt.Sprintf("the vault was still throttling when --timeout=%s ran out (%s): too many pods read this vault at once: spread the secrets over more vaults, or %s",
				x.timeout, stalled.last, raiseFetchTimeout)
		}
		return fmt.Sprintf("still failing when --timeout=%s ran out (last attempt: %s): check that the pod can reach the vault and that Key Vault is healthy, or %s",
			x.timeout, stalled.last, raiseFetchTimeout)
	case errors.As(err, &abandoned):
		return fmt.Sprintf("every try got no answer within kvenv's per-try limit of %s and the vault's retries are used up: "+
			"check that the pod can reach the vault (network policy, firewall, private endpoint, DNS) and that Key Vault is healthy; "+
			"kubelet restarts this init container to try again", abandoned.limit)
	case errors.Is(err, context.Canceled):
		return "stopped (SIGTERM or SIGINT) before the secret was fetched"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within --timeout=%s: check that the pod can reach the vault (network policy, firewall, private endpoint, DNS), or %s", x.timeout, raiseFetchTimeout)
	case errors.As(err, &re):
		return x.status(r, re)
	case errors.Is(err, errNUL), errors.Is(err, errNoValue):
		return err.Error() + ": store a value an environment variable can hold"
	case certificateError(err):
		return "request failed: " + oneLine(err.Error()) + ": the pod does not trust the vault's certificate: " + trustVaultCA
	}
	return "request failed: " + oneLine(err.Error()) + ": check that the pod can reach the vault (network policy, firewall, private endpoint, DNS)"
}

func (x explainer) status(r secretref.Ref, re *azcore.ResponseError) string {
	code := fmt.Sprintf("%d %s", re.StatusCode, http.StatusText(re.StatusCode))
	switch {
	case re.StatusCode == http.StatusForbidden:
		return x.forbidden(r, re, code)
	case re.StatusCode == http.StatusNotFound:
		return fmt.Sprintf("%s (%s): the vault has no such secret or version: check the name and version in annotation kvenv.io/env.%s",
			code, re.ErrorCode, r.Env)
	case re.StatusCode == http.StatusUnauthorized:
		return fmt.Sprintf("%s: the vault refused the token of %s: check that the vault is in the identity's tenant", code, x.id)
	case re.StatusCode == http.StatusTooManyRequests:
		return code + ": the vault is still throttling after retries: too many requests to this vault; kubelet restarts this init container to try again"
	case re.StatusCode >= 500:
		return code + ": Key Vault kept failing after retries; kubelet restarts this init container to try again"
	}
	return fmt.Sprintf("%s (%s): unexpected answer from Key Vault", code, re.ErrorCode)
}

// forbidden tells apart Key Vault's 403s by the error answer's inner code:
// the identity lacks permission (ForbiddenByPolicy, ForbiddenByRbac), the
// vault's firewall refused the pod's address, or the secret is disabled.
func (x explainer) forbidden(r secretref.Ref, re *azcore.ResponseError, code string) string {
	answer := readKeyVaultError(re.RawResponse)
	switch answer.innerCode() {
	case "ForbiddenByFirewall":
		return fmt.Sprintf("%s (ForbiddenByFirewall): the vault's firewall refused the pod's address%s: "+
			"allow the pod's egress IP (its node's, or its NAT gateway's) or its subnet in the vault's networking rules, "+
			"or reach the vault through a private endpoint whose address the vault's name resolves to from the pod",
			code, answer.clientAddress())
	case "SecretDisabled":
		return fmt.Sprintf("%s (SecretDisabled): the secret is disabled: enable it, or reference an enabled version in annotation kvenv.io/env.%s",
			code, r.Env)
	}
	return fmt.Sprintf(`%s for %s: grant this identity the "Key Vault Secrets User" role on the vault or on the secret `+
		`(on a vault that uses access policies: a policy with the Get secret permission)`, code, x.id)
}

// oneLine keeps a message to one bounded line, so each failed variable is
// exactly one line of output.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 300
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
