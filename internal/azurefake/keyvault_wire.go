package azurefake

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"
)

// The bodies below are Key Vault's: the client turns error bodies into an
// *azcore.ResponseError with StatusCode and ErrorCode.

type kvError struct {
	Error kvErrorBody `json:"error"`
}

type kvErrorBody struct {
	Code       string       `json:"code"`
	Message    string       `json:"message"`
	InnerError *kvErrorBody `json:"innererror,omitempty"`
}

type kvSecret struct {
	Value      string            `json:"value"`
	ID         string            `json:"id"`
	Attributes kvAttributes      `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type kvAttributes struct {
	Enabled bool  `json:"enabled"`
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

func writeChallenge(w http.ResponseWriter, tenant, resource, message string) {
	w.Header().Set("WWW-Authenticate",
		fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, tenant, resource))
	writeJSON(w, http.StatusUnauthorized, kvError{kvErrorBody{Code: "Unauthorized", Message: message}})
}

func writeForbidden(w http.ResponseWriter, identity, vaultHost string) {
	msg := fmt.Sprintf("The user, group or application 'appid=%s' does not have secrets get permission on key vault '%s'.", identity, vaultHost)
	writeJSON(w, http.StatusForbidden, kvError{kvErrorBody{
		Code: "Forbidden", Message: msg, InnerError: &kvErrorBody{Code: "ForbiddenByPolicy"},
	}})
}

// writeRefusal is a 403 for a reason other than permission, with Key
// Vault's message for code; the firewall's names the caller's address.
func writeRefusal(w http.ResponseWriter, code string, r *http.Request, identity string) {
	msg := "injected refusal"
	switch code {
	case FirewallDenied:
		addr, _, _ := net.SplitHostPort(r.RemoteAddr)
		msg = fmt.Sprintf("Client address is not authorized and caller is not a trusted service.\r\nClient address: %s\r\nCaller: appid=%s\r\nVault: %s",
			addr, identity, r.Host)
	case SecretDisabled:
		msg = "Operation get is not allowed on a disabled secret."
	}
	writeJSON(w, http.StatusForbidden, kvError{kvErrorBody{
		Code: "Forbidden", Message: msg, InnerError: &kvErrorBody{Code: code},
	}})
}

func writeNotFound(w http.ResponseWriter, name, version string) {
	msg := fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.", name)
	if version != "" {
		msg = fmt.Sprintf("A secret with (name/id) %s/%s was not found in this key vault.", name, version)
	}
	writeJSON(w, http.StatusNotFound, kvError{kvErrorBody{Code: "SecretNotFound", Message: msg}})
}

func writeThrottled(w http.ResponseWriter, retryAfter time.Duration) {
	setRetryAfter(w, retryAfter)
	writeJSON(w, http.StatusTooManyRequests, kvError{kvErrorBody{
		Code: "Throttled", Message: "Request was not processed because too many requests were received.",
	}})
}

func writeFault(w http.ResponseWriter, f Fault) {
	setRetryAfter(w, f.RetryAfter)
	writeJSON(w, f.Status, kvError{kvErrorBody{Code: http.StatusText(f.Status), Message: "injected fault"}})
}

func writeSecret(w http.ResponseWriter, host, name string, v secretVersion) {
	writeJSON(w, http.StatusOK, kvSecret{
		Value:      v.value,
		ID:         fmt.Sprintf("https://%s/secrets/%s/%s", host, name, v.version),
		Attributes: kvAttributes{Enabled: true, Created: v.created.Unix(), Updated: v.created.Unix()},
		Tags:       map[string]string{},
	})
}

// setRetryAfter sends whole seconds, rounded up so the client never comes back early.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may have gone; nothing to do about it
}
