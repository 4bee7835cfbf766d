package imageconfig

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/authn/kubernetes"
	corev1 "k8s.io/api/core/v1"
)

// credential is one way to authenticate, in the order the kubelet tries them.
type credential struct {
	scope    string         // who may reuse what it proves (see doc.go)
	label    string         // for messages; never a secret's content
	keychain authn.Keychain // a pull secret's registries
	acr      bool           // kvenv's own identity, for ACR hosts
}

// credentials lists the pull secrets of the pod and then of its service
// account, then kvenv's ACR identity, then anonymous. notes say why a named
// pull secret could not be used, for the error message if all fail. Without
// a SecretReader, explain notes the pod's unread secrets itself: requests
// from other pods may share this look-up.
func (r *Resolver) credentials(ctx context.Context, q *request) (creds []credential, notes []string) {
	if q.readsSecrets {
		names, note := r.pullSecretNames(ctx, q)
		notes = appendNonEmpty(notes, note)
		for _, n := range names {
			c, note := r.pullSecret(ctx, q.Namespace, n)
			notes = appendNonEmpty(notes, note)
			if note == "" {
				creds = append(creds, c)
			}
		}
	}
	if r.acr != nil {
		creds = append(creds, credential{scope: scopeShared, label: "kvenv's Azure identity", acr: true})
	}
	return append(creds, credential{scope: scopeShared, label: "no credentials"}), notes
}

// pullSecretNames returns the pod's pull secrets, then its service
// account's that the pod does not already name (the ServiceAccount
// admission plugin copies them into pods that name none).
func (r *Resolver) pullSecretNames(ctx context.Context, q *request) ([]string, string) {
	names := slices.Clone(q.PullSecrets)
	fromSA, err := r.opts.Secrets.ServiceAccountPullSecrets(ctx, q.Namespace, q.ServiceAccount)
	if err != nil {
		return names, fmt.Sprintf("service account %s/%s unreadable, its imagePullSecrets were not tried: %v", q.Namespace, q.ServiceAccount, err)
	}
	for _, n := range fromSA {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, ""
}

// pullSecret reads one pull secret; a secret that is missing or of another
// type is skipped, as the kubelet skips it.
func (r *Resolver) pullSecret(ctx context.Context, namespace, name string) (credential, string) {
	label := fmt.Sprintf("pull secret %s/%s", namespace, name)
	s, err := r.opts.Secrets.Secret(ctx, namespace, name)
	if err != nil {
		return credential{}, fmt.Sprintf("%s unreadable: %v", label, err)
	}
	if s.Type != corev1.SecretTypeDockerConfigJson && s.Type != corev1.SecretTypeDockercfg {
		return credential{}, fmt.Sprintf("%s skipped: type %q is not %q", label, s.Type, corev1.SecretTypeDockerConfigJson)
	}
	// One keychain per secret, so that each is tried on its own.
	kc, err := kubernetes.NewFromPullSecrets(ctx, []corev1.Secret{*s})
	if err != nil {
		// The parse error may quote the secret's content; name the key only.
		return credential{}, fmt.Sprintf("%s skipped: its docker config is not valid JSON", label)
	}
	return credential{scope: secretScope(namespace, name), label: label, keychain: kc}, ""
}

func appendNonEmpty(list []string, s string) []string {
	if s == "" {
		return list
	}
	return append(list, s)
}
