package fetch

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"regexp"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// keyVaultError is the part of a Key Vault error answer kvenv reads. An
// error answer never holds a secret value, but its message is still not
// printed: only the codes, and the client address a firewall refusal names.
type keyVaultError struct {
	Error keyVaultErrorDetail `json:"error"`
}

type keyVaultErrorDetail struct {
	Code       string               `json:"code"`
	Message    string               `json:"message"`
	InnerError *keyVaultErrorDetail `json:"innererror"`
}

// readKeyVaultError reads resp's error answer; an unreadable one is empty.
func readKeyVaultError(resp *http.Response) keyVaultError {
	var e keyVaultError
	if resp == nil {
		return e
	}
	if body, err := runtime.Payload(resp); err == nil {
		_ = json.Unmarshal(body, &e) // what does not parse stays empty
	}
	return e
}

// innerCode is the innermost error code, which says why (ForbiddenByPolicy,
// ForbiddenByFirewall, SecretDisabled) where the outer one says only what
// (Forbidden).
func (e keyVaultError) innerCode() string {
	d := e.Error
	for d.InnerError != nil {
		d = *d.InnerError
	}
	return d.Code
}

var clientAddressLine = regexp.MustCompile(`Client address: ([0-9A-Fa-f.:]{2,45})`)

// clientAddress is " (<ip>)" for the address a firewall refusal names, as
// the vault saw it, or "" when the message names none.
func (e keyVaultError) clientAddress() string {
	m := clientAddressLine.FindStringSubmatch(e.Error.Message)
	if m == nil {
		return ""
	}
	addr, err := netip.ParseAddr(m[1])
	if err != nil {
		return ""
	}
	return " (" + addr.String() + ")"
}
