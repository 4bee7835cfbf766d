package selftls

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// getWebhookConfig returns kvenv's MutatingWebhookConfiguration, or nil when
// none is managed or it does not exist (yet, or any more).
func (r *Rotator) getWebhookConfig(ctx context.Context) (*admissionv1.MutatingWebhookConfiguration, error) {
	if r.opts.WebhookConfigName == "" {
		return nil, nil
	}
	mwc, err := r.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, r.opts.WebhookConfigName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.webhookConfigError("reading", err)
	}
	return mwc, nil
}

// webhookTrusts reports whether every webhook of the configuration trusts
// ca. Without a configuration nobody verifies the certificate, so any CA will do.
func (r *Rotator) webhookTrusts(ctx context.Context, ca *keyPair) (bool, error) {
	mwc, err := r.getWebhookConfig(ctx)
	if mwc == nil || err != nil || ca == nil {
		return mwc == nil, err
	}
	for _, w := range mwc.Webhooks {
		certs, _ := parseCerts(w.ClientConfig.CABundle)
		if !containsCert(certs, ca.cert) {
			return false, nil
		}
	}
	return true, nil
}

// syncCABundle sets every webhook's caBundle to the Secret's trust bundle.
func (r *Rotator) syncCABundle(ctx context.Context, s state) error {
	want := s.bundlePEM()
	for range maxAttempts {
		mwc, err := r.getWebhookConfig(ctx)
		if mwc == nil || err != nil {
			return err
		}
		if newer := newerCA(mwc, s.ca.cert, r.policy.caName); newer != "" {
			// Another replica rotated after this one read the Secret; going
			// back to the older bundle would flap. The next reconcile catches up.
			log.FromContext(ctx).Info("self-managed TLS: webhook configuration already trusts a newer CA", "ca", newer)
			return nil
		}
		changed := false
		for i := range mwc.Webhooks {
			if !bytes.Equal(mwc.Webhooks[i].ClientConfig.CABundle, want) {
				mwc.Webhooks[i].ClientConfig.CABundle, changed = want, true
			}
		}
		if !changed {
			return nil
		}
		_, err = r.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return r.webhookConfigError("updating", err)
		}
		log.FromContext(ctx).Info("self-managed TLS: updated caBundle", "webhookConfiguration", mwc.Name, "cas", len(s.trusted))
		return nil
	}
	return fmt.Errorf("self-managed TLS: MutatingWebhookConfiguration %s kept changing under %d attempts; retrying later", r.opts.WebhookConfigName, maxAttempts)
}

// newerCA names a kvenv CA in the configuration issued after ours, or "".
// CAs of other origin (say, cert-manager's before a switch) never count.
func newerCA(mwc *admissionv1.MutatingWebhookConfiguration, ours *x509.Certificate, caName string) string {
	for _, w := range mwc.Webhooks {
		certs, _ := parseCerts(w.ClientConfig.CABundle)
		for _, c := range certs {
			if strings.HasPrefix(c.Subject.CommonName, caName+"@") && c.NotBefore.After(ours.NotBefore) {
				return c.Subject.CommonName
			}
		}
	}
	return ""
}

// ownerReferences makes the Secret a dependent of the webhook configuration,
// so that removing the release (which deletes the configuration) lets the
// garbage collector remove the Secret too. Without a configuration: none.
func (r *Rotator) ownerReferences(ctx context.Context) []metav1.OwnerReference {
	mwc, err := r.getWebhookConfig(ctx)
	if mwc == nil || err != nil {
		return nil
	}
	return []metav1.OwnerReference{{
		APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration",
		Name: mwc.Name, UID: mwc.UID,
	}}
}

func (r *Rotator) webhookConfigError(verb string, err error) error {
	return fmt.Errorf("self-managed TLS: %s MutatingWebhookConfiguration %s: %w (the webhook's ServiceAccount needs get and update on it)",
		verb, r.opts.WebhookConfigName, err)
}
