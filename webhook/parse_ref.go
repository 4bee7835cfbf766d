package webhook

import (
	"fmt"
	"strings"

	"github.com/kvenv/kvenv/internal/secretref"
)

const refForms = "<secret>, <secret>/<version> or https://<vault-host>/secrets/<name>[/<version>]"

// parseReference reads the value of one kvenv.io/env.<VAR> annotation: a
// secret of the default vault, optionally pinned to a version, or a full
// secret URI of any allowed vault. Problems never repeat the value: a value
// that is not a reference may be a secret pasted in place of its name, and a
// denial is shown to the user, logged, and kept in the API server's audit log.
func parseReference(key, v string, policy vaultPolicy, probs *problems) (secretref.Ref, bool) {
	if strings.Contains(v, "://") {
		return parseFullReference(key, v, policy, probs)
	}
	name, version, pinned := strings.Cut(v, "/")
	if pinned && strings.Contains(version, "/") {
		probs.addf("%s has more than one \"/\": want %s.", key, refForms)
		return secretref.Ref{}, false
	}
	ok := checkSecret(key, name, version, pinned, probs)
	if policy.defaultURL == "" {
		if !policy.defaultGiven {
			probs.addf("%s names a secret but the pod has no %s annotation: add one with the vault name, or write the full https://<vault>.%s/secrets/<name> URI.",
				key, AnnotationVault, policy.suffix)
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
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" {
		probs.addf("%s: the URI's path must be /secrets/<name>[/<version>] (vault %s).", key, host)
		return secretref.Ref{}, false
	}
	version, pinned := "", len(parts) == 3
	if pinned {
		version = parts[2]
	}
	if !checkSecret(key, parts[1], version, pinned, probs) {
		return secretref.Ref{}, false
	}
	// parseHTTPSURL and checkSecret made every check secretref.ParseSecretURI
	// makes (scheme, host, no user, query or fragment, name, version).
	if !policy.allow(key, host, probs) {
		return secretref.Ref{}, false
	}
	return secretref.Ref{VaultURL: "https://" + host, Name: parts[1], Version: version}, true
}

// checkSecret validates a secret name and an optional version, saying what
// is wrong without showing either.
func checkSecret(key, name, version string, pinned bool, probs *problems) bool {
	ok := true
	if !secretref.ValidSecretName(name) {
		probs.addf("%s: a secret name holds only letters, digits and dashes (1 to 127 of them), and %s.", key, nameFault(name))
		ok = false
	}
	if pinned && !secretref.ValidVersion(version) {
		probs.addf("%s: the version has %d characters; it must be the 32 hexadecimal characters Key Vault shows, or be left out for the latest version.",
			key, len(version))
		ok = false
	}
	return ok
}

// nameFault locates what breaks the secret name rule, by position only.
func nameFault(name string) string {
	if name == "" {
		return "this one is empty"
	}
	if i := strings.IndexFunc(name, notVaultNameChar); i >= 0 {
		return fmt.Sprintf("character %d of this one is not", i+1)
	}
	return fmt.Sprintf("this one has %d", len(name))
}
