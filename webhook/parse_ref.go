package webhook

import (
	"strings"

	"github.com/kvenv/kvenv/internal/secretref"
)

const refForms = "<secret>, <secret>/<version> or https://<vault-host>/secrets/<name>[/<version>]"

// parseReference reads the value of one kvenv.io/env.<VAR> annotation: a
// secret of the default vault, optionally pinned to a version, or a full
// secret URI of any allowed vault.
func parseReference(key, v string, policy vaultPolicy, probs *problems) (secretref.Ref, bool) {
	if strings.Contains(v, "://") {
		return parseFullReference(key, v, policy, probs)
	}
	name, version, pinned := strings.Cut(v, "/")
	ok := true
	if pinned && strings.Contains(version, "/") {
		probs.addf("%s is %q: want %s.", key, v, refForms)
		return secretref.Ref{}, false
	}
	if !secretref.ValidSecretName(name) {
		probs.addf("%s: secret name %q may hold only letters, digits and dashes (1 to 127 of them).", key, name)
		ok = false
	}
	if pinned && !secretref.ValidVersion(version) {
		probs.addf("%s: version %q must be the 32 hexadecimal characters Key Vault shows, or be left out for the latest version.", key, version)
		ok = false
	}
	if policy.defaultURL == "" {
		if !policy.defaultGiven {
			probs.addf("%s names secret %q but the pod has no %s annotation: add one with the vault name, or write the full https://<vault>.%s/secrets/%s URI.",
				key, name, AnnotationVault, policy.suffix, name)
		}
		return secretref.Ref{}, false // an invalid kvenv.io/vault is reported once, on its own
	}
	if !ok {
		return secretref.Ref{}, false
	}
	if !pinned {
		version = ""
	}
	return secretref.Ref{VaultURL: policy.defaultURL, Name: name, Version: version}, true
}

// parseFullReference reads https://<vault-host>/secrets/<name>[/<version>].
func parseFullReference(key, v string, policy vaultPolicy, probs *problems) (secretref.Ref, bool) {
	u := parseHTTPSURL(key, v, "https://<vault-host>/secrets/<name>[/<version>]", probs)
	if u == nil {
		return secretref.Ref{}, false
	}
	host := strings.ToLower(u.Host)
	ref, err := secretref.ParseSecretURI("https://" + host + u.EscapedPath())
	if err != nil {
		probs.addf("%s: %v.", key, err)
		return secretref.Ref{}, false
	}
	if !policy.allow(key, host, probs) {
		return secretref.Ref{}, false
	}
	return ref, true
}
