package selftls

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// AnnotationCATrustedSince, on the webhook configuration, records when its
// caBundle began trusting kvenv's current CA, as "<RFC 3339 time>
// sha256:<CA fingerprint>". The propagation delay is measured from it. It
// lives on the configuration, written in the same update as the caBundle, so
// that a configuration replaced without it (and without the caBundle) starts
// the delay afresh.
const AnnotationCATrustedSince = "kvenv.io/ca-trusted-since"

// missingConfigPolling is how long a missing webhook configuration is looked
// for every retryDelay rather than every CheckInterval. Helm creates it beside
// the Deployment, so it normally appears within seconds, and until its
// caBundle is set the API server refuses every opted-in pod; a configuration
// still missing after this is misnamed or removed, and is looked for at the
// ordinary pace.
const missingConfigPolling = 10 * time.Minute

// getWebhookConfig returns kvenv's MutatingWebhookConfiguration, or nil when
// none is managed or it does not exist (yet, or any more).
func (r *Rotator) getWebhookConfig(ctx context.Context) (*admissionv1.MutatingWebhookConfiguration, error) {
	if r.opts.WebhookConfigName == "" {
		return nil, nil
	}
	mwc, err := r.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, r.opts.WebhookConfigName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		r.configPresence.record(ctx, r.opts.WebhookConfigName, false, r.opts.Now())
		return nil, nil
	}
	if err != nil {
		return nil, r.webhookConfigError("reading", err)
	}
	r.configPresence.record(ctx, r.opts.WebhookConfigName, true, r.opts.Now())
	return mwc, nil
}

// observe is what the policy learns from the webhook configuration mwc
// about the Secret's CA ca (nil before there is one).
func (r *Rotator) observe(mwc *admissionv1.MutatingWebhookConfiguration, ca *keyPair) observed {
	if mwc == nil {
		// Nobody verifies the certificate against a caBundle: the CA counts
		// as trusted from its issue time, as it always has.
		if ca == nil {
			return observed{}
		}
		return observed{caTrustedSince: issuedAt(ca.cert)}
	}
	return observed{caTrustedSince: caTrustedSince(mwc, ca), bundle: bundleCAs(mwc)}
}

// caTrustedSince is when every webhook of mwc began trusting ca, from
// AnnotationCATrustedSince; zero while one does not trust it, or while no
// replica has recorded the time yet.
func caTrustedSince(mwc *admissionv1.MutatingWebhookConfiguration, ca *keyPair) time.Time {
	if ca == nil || !webhooksTrust(mwc, ca.cert) {
		return time.Time{}
	}
	at, fingerprint, _ := strings.Cut(mwc.Annotations[AnnotationCATrustedSince], " ")
	if fingerprint != caFingerprint(ca.cert) {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}
	}
	return t
}

func caFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// webhooksTrust reports whether every webhook of mwc trusts ca.
func webhooksTrust(mwc *admissionv1.MutatingWebhookConfiguration, ca *x509.Certificate) bool {
	for _, w := range mwc.Webhooks {
		certs, _ := parseCerts(w.ClientConfig.CABundle)
		if !containsCert(certs, ca) {
			return false
		}
	}
	return true
}

// bundleCAs is every certificate in any webhook's caBundle.
func bundleCAs(mwc *admissionv1.MutatingWebhookConfiguration) []*x509.Certificate {
	var all []*x509.Certificate
	for _, w := range mwc.Webhooks {
		certs, _ := parseCerts(w.ClientConfig.CABundle)
		all = appendMissing(all, certs...)
	}
	return all
}

// syncCABundle sets every webhook's caBundle to the Secret's trust bundle
// and, when that makes the configuration trust s's CA (or nobody recorded
// when it began to), records the time in AnnotationCATrustedSince. It
// returns that time: zero when the configuration may not trust the CA yet.
func (r *Rotator) syncCABundle(ctx context.Context, s state) (time.Time, error) {
	want := s.bundlePEM()
	for range maxAttempts {
		mwc, err := r.getWebhookConfig(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if mwc == nil {
			return issuedAt(s.ca.cert), nil // as observe: trusted from its issue time
		}
		if newer := newerCA(mwc, s.ca.cert, r.policy.caName); newer != "" {
			// Another replica rotated after this one read the Secret; going
			// back to the older bundle would flap. The next reconcile catches up.
			log.FromContext(ctx).Info("self-managed TLS: webhook configuration already trusts a newer CA", "ca", newer)
			return time.Time{}, nil
		}
		wasTrusted := webhooksTrust(mwc, s.ca.cert)
		changed := setCABundles(mwc, want)
		since := caTrustedSince(mwc, s.ca)
		if !wasTrusted || since.IsZero() {
			since = r.opts.Now().UTC()
			if mwc.Annotations == nil {
				mwc.Annotations = map[string]string{}
			}
			mwc.Annotations[AnnotationCATrustedSince] = since.Format(time.RFC3339Nano) + " " + caFingerprint(s.ca.cert)
			changed = true
		}
		if !changed {
			return since, nil
		}
		_, err = r.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return time.Time{}, r.webhookConfigError("updating", err)
		}
		log.FromContext(ctx).Info("self-managed TLS: updated caBundle", "webhookConfiguration", mwc.Name, "cas", len(s.trusted), "caTrustedSince", since)
		return since, nil
	}
	return time.Time{}, fmt.Errorf("self-managed TLS: MutatingWebhookConfiguration %s kept changing under %d attempts; retrying later", r.opts.WebhookConfigName, maxAttempts)
}

// setCABundles sets every webhook's caBundle to want, and reports a change.
func setCABundles(mwc *admissionv1.MutatingWebhookConfiguration, want []byte) bool {
	changed := false
	for i := range mwc.Webhooks {
		if !bytes.Equal(mwc.Webhooks[i].ClientConfig.CABundle, want) {
			mwc.Webhooks[i].ClientConfig.CABundle, changed = want, true
		}
	}
	return changed
}

// newerCA names a kvenv CA in the configuration issued after ours, or "".
// CAs of other origin (say, cert-manager's before a switch) never count.
func newerCA(mwc *admissionv1.MutatingWebhookConfiguration, ours *x509.Certificate, caName string) string {
	for _, w := range mwc.Webhooks {
		certs, _ := parseCerts(w.ClientConfig.CABundle)
		for _, c := range certs {
			if isCAOf(c, caName) && c.NotBefore.After(ours.NotBefore) {
				return c.Subject.CommonName
			}
		}
	}
	return ""
}

// ownerReference makes the Secret a dependent of the webhook configuration,
// so that removing the release (which deletes the configuration) lets the
// garbage collector remove the Secret, CA key included. Nil without a
// configuration.
func ownerReference(mwc *admissionv1.MutatingWebhookConfiguration) *metav1.OwnerReference {
	if mwc == nil {
		return nil
	}
	return &metav1.OwnerReference{
		APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration",
		Name: mwc.Name, UID: mwc.UID,
	}
}

// withOwner returns refs with owner in place of any reference to an earlier
// configuration of the same name: that one is gone, and the garbage collector
// would delete a Secret whose only owner is gone.
func withOwner(refs []metav1.OwnerReference, owner metav1.OwnerReference) []metav1.OwnerReference {
	out := []metav1.OwnerReference{owner}
	for _, ref := range refs {
		if ref.Kind != owner.Kind || ref.Name != owner.Name {
			out = append(out, ref)
		}
	}
	return out
}

func ownedBy(refs []metav1.OwnerReference, owner *metav1.OwnerReference) bool {
	for _, ref := range refs {
		if ref.UID == owner.UID {
			return true
		}
	}
	return false
}

func (r *Rotator) webhookConfigError(verb string, err error) error {
	return fmt.Errorf("self-managed TLS: %s MutatingWebhookConfiguration %s: %w (the webhook's ServiceAccount needs get and update on it)",
		verb, r.opts.WebhookConfigName, err)
}

// configPresence remembers since when the webhook configuration has been
// missing, to say so once and to look for it more often meanwhile.
type configPresence struct {
	mu           sync.Mutex
	missingSince time.Time // zero while it exists
}

// record notes whether the configuration named name exists, and logs when
// that changes.
func (p *configPresence) record(ctx context.Context, name string, found bool, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !found && p.missingSince.IsZero():
		p.missingSince = now
		log.FromContext(ctx).Info(fmt.Sprintf("self-managed TLS: MutatingWebhookConfiguration %s not found, so nothing sets its caBundle; "+
			"looking for it every %s for %s, then every --tls-check-interval. If it should exist, check --webhook-config-name", name, retryDelay, missingConfigPolling))
	case found && !p.missingSince.IsZero():
		p.missingSince = time.Time{}
		log.FromContext(ctx).Info("self-managed TLS: MutatingWebhookConfiguration found, setting its caBundle", "webhookConfiguration", name)
	}
}

// lookAgainAt is when to look for a missing configuration again, and false
// when it exists or has been missing longer than missingConfigPolling.
func (p *configPresence) lookAgainAt(now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.missingSince.IsZero() || !now.Before(p.missingSince.Add(missingConfigPolling)) {
		return time.Time{}, false
	}
	return now.Add(retryDelay), true
}
