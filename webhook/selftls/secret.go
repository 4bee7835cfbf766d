package selftls

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// maxAttempts bounds how often one reconcile re-reads after losing a race.
const maxAttempts = 5

// reconcileSecret reads the Secret, asks the policy what it should hold and
// writes that with optimistic concurrency: create only if absent, update only
// the version that was read. A replica that loses either race re-reads and
// finds the winner's certificates, which need no change, so the replicas
// converge on one CA instead of overwriting each other.
func (r *Rotator) reconcileSecret(ctx context.Context) (state, error) {
	secrets := r.client.CoreV1().Secrets(r.opts.SecretNamespace)
	for range maxAttempts {
		sec, err := secrets.Get(ctx, r.opts.SecretName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			sec, err = nil, nil
		}
		if err != nil {
			return state{}, r.secretError("reading", err)
		}
		cur := state{}
		if sec != nil {
			cur = decodeState(sec.Data)
		}
		mwc, err := r.getWebhookConfig(ctx)
		if err != nil {
			return state{}, err
		}
		next, reasons, err := r.policy.next(cur, r.opts.Now(), r.observe(mwc, cur.ca))
		if err != nil {
			return state{}, err
		}
		owner := ownerReference(mwc)
		if sec != nil && owner != nil && !ownedBy(sec.OwnerReferences, owner) {
			// Created before the configuration existed, or adopted from cert-manager.
			reasons = append(reasons, "not yet owned by the webhook configuration")
		}
		if len(reasons) == 0 {
			return next, nil
		}
		err = r.writeSecret(ctx, sec, next, owner)
		if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
			continue // another replica wrote first: adopt what it wrote
		}
		if err != nil {
			return state{}, r.secretError("writing", err)
		}
		log.FromContext(ctx).Info("self-managed TLS: wrote certificates", "secret", r.opts.SecretNamespace+"/"+r.opts.SecretName, "why", reasons)
		return next, nil
	}
	return state{}, fmt.Errorf("self-managed TLS: Secret %s/%s kept changing under %d attempts; retrying later", r.opts.SecretNamespace, r.opts.SecretName, maxAttempts)
}

// writeSecret creates the Secret, or updates the version sec that was read,
// to hold s and be owned by owner (when there is a webhook configuration).
func (r *Rotator) writeSecret(ctx context.Context, sec *corev1.Secret, s state, owner *metav1.OwnerReference) error {
	secrets := r.client.CoreV1().Secrets(r.opts.SecretNamespace)
	exists := sec != nil
	if exists {
		sec = sec.DeepCopy()
	} else {
		sec = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Name: r.opts.SecretName, Namespace: r.opts.SecretNamespace,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "kvenv-webhook"},
			},
			Type: corev1.SecretTypeTLS,
		}
	}
	sec.Data = s.encode()
	if owner != nil {
		sec.OwnerReferences = withOwner(sec.OwnerReferences, *owner)
	}
	var err error
	if exists {
		_, err = secrets.Update(ctx, sec, metav1.UpdateOptions{}) // carries the resourceVersion read
	} else {
		_, err = secrets.Create(ctx, sec, metav1.CreateOptions{})
	}
	return err
}

func (r *Rotator) secretError(verb string, err error) error {
	return fmt.Errorf("self-managed TLS: %s Secret %s/%s: %w (the webhook's ServiceAccount needs get, create and update on it)",
		verb, r.opts.SecretNamespace, r.opts.SecretName, err)
}
