// Package secretref is the format in which the webhook hands references (never
// values) to the init container: one argument per variable,
//
//	VAR=https://<vault-host>/secrets/<name>[/<version>]
//
// The webhook validates annotations before it writes these; Parse validates
// again because the init container must not trust its command line blindly.
package secretref

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Ref is one environment variable to be filled from one Key Vault secret.
type Ref struct {
	Env      string // variable name, e.g. SPRING_DATASOURCE_PASSWORD
	VaultURL string // https://<vault-host> with no path, e.g. https://myvault.vault.azure.net
	Name     string // secret name, e.g. DatasourcePassword
	Version  string // 32 hex characters, or "" for the latest version
}

var (
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretName  = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	versionName = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// ValidEnvName reports whether s is a portable environment variable name.
func ValidEnvName(s string) bool { return envName.MatchString(s) }

// ValidSecretName reports whether s is a valid Key Vault secret name.
func ValidSecretName(s string) bool { return secretName.MatchString(s) }

// ValidVersion reports whether s is a valid Key Vault secret version.
func ValidVersion(s string) bool { return versionName.MatchString(s) }

// URI is the secret's identifier, as Key Vault itself prints it.
func (r Ref) URI() string {
	u := r.VaultURL + "/secrets/" + r.Name
	if r.Version != "" {
		u += "/" + r.Version
	}
	return u
}

// String is the command-line form: VAR=URI.
func (r Ref) String() string { return r.Env + "=" + r.URI() }

// Parse reads the command-line form written by String.
func Parse(arg string) (Ref, error) {
	env, uri, ok := strings.Cut(arg, "=")
	if !ok {
		return Ref{}, fmt.Errorf("reference %q: want VAR=https://<vault>/secrets/<name>[/<version>]", arg)
	}
	if !ValidEnvName(env) {
		return Ref{}, fmt.Errorf("reference %q: %q is not a valid environment variable name", arg, env)
	}
	r, err := ParseSecretURI(uri)
	if err != nil {
		return Ref{}, fmt.Errorf("reference for %s: %w", env, err)
	}
	r.Env = env
	return r, nil
}

// ParseSecretURI reads https://<vault-host>/secrets/<name>[/<version>].
func ParseSecretURI(uri string) (Ref, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Ref{}, fmt.Errorf("secret URI %q: want https://<vault-host>/secrets/<name>[/<version>] with no user, query or fragment", uri)
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" {
		return Ref{}, fmt.Errorf("secret URI %q: path must be /secrets/<name>[/<version>]", uri)
	}
	r := Ref{VaultURL: "https://" + u.Host, Name: parts[1]}
	if !ValidSecretName(r.Name) {
		return Ref{}, fmt.Errorf("secret URI %q: secret name %q must be 1-127 letters, digits or dashes", uri, r.Name)
	}
	if len(parts) == 3 {
		r.Version = parts[2]
		if !ValidVersion(r.Version) {
			return Ref{}, fmt.Errorf("secret URI %q: version %q must be 32 hexadecimal characters", uri, r.Version)
		}
	}
	return r, nil
}
