package selftls

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// retryDelay bounds how soon a failed or not-yet-possible step is retried.
const retryDelay = 5 * time.Second

// Rotator keeps the webhook's certificates current. It is a
// controller-runtime Runnable that every replica runs: the replicas agree
// through the Secret's resourceVersion, never through leader election.
type Rotator struct {
	client         kubernetes.Interface
	opts           Options
	policy         policy
	configPresence configPresence
}

// New checks opts and returns a Rotator; c needs get, create and update on
// the Secret and get and update on the webhook configuration.
func New(c kubernetes.Interface, opts Options) (*Rotator, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := policy{
		caName: "kvenv-webhook-ca." + opts.SecretNamespace, hosts: opts.Hosts,
		caValidity: opts.CAValidity, certValidity: opts.CertValidity,
		propagation: opts.Propagation, handover: opts.Handover,
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("self-managed TLS: %w (set --tls-hosts)", err)
	}
	return &Rotator{client: c, opts: opts, policy: p}, nil
}

// Reconcile brings the Secret, the webhook configuration and the certificate
// files up to date, in that order: the configuration trusts a CA before the
// server presents a certificate from it. It returns when to look again:
// within retryDelay while the configuration is missing (for at most
// missingConfigPolling), so that its caBundle is set soon after it appears.
func (r *Rotator) Reconcile(ctx context.Context) (time.Time, error) {
	s, err := r.reconcileSecret(ctx)
	if err != nil {
		return time.Time{}, err
	}
	caTrustedSince, err := r.syncCABundle(ctx, s)
	if err != nil {
		return time.Time{}, err
	}
	if err := writeServingFiles(r.opts.CertDir, s.serving); err != nil {
		return time.Time{}, fmt.Errorf("self-managed TLS: writing the certificate to %s: %w", r.opts.CertDir, err)
	}
	next := s.nextEvent(r.policy, caTrustedSince)
	if soon, ok := r.configPresence.lookAgainAt(r.opts.Now()); ok && soon.Before(next) {
		next = soon
	}
	return next, nil
}

// Bootstrap reconciles until the certificate files exist, so that the webhook
// server, which reads them when it starts, has something to serve.
func (r *Rotator) Bootstrap(ctx context.Context) error {
	for {
		_, err := r.Reconcile(ctx)
		if err == nil {
			return nil
		}
		log.FromContext(ctx).Error(err, "self-managed TLS: no certificate yet, retrying")
		select {
		case <-ctx.Done():
			return fmt.Errorf("self-managed TLS: no serving certificate: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(retryDelay):
		}
	}
}

// Start implements manager.Runnable: reconcile when something falls due (see
// Reconcile), and at least every CheckInterval to pick up what another
// replica wrote.
func (r *Rotator) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("selftls")
	for {
		wait := r.opts.CheckInterval
		next, err := r.Reconcile(ctx)
		if err != nil {
			logger.Error(err, "self-managed TLS: reconcile failed, retrying")
			wait = min(wait, retryDelay)
		} else if d := next.Sub(r.opts.Now()); d < wait {
			wait = max(d, retryDelay)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// NeedLeaderElection is false: every replica serves, so every replica needs
// the files, and the Secret's optimistic concurrency keeps them in step.
func (r *Rotator) NeedLeaderElection() bool { return false }
