// Package certmanagerstandin is a TEST STAND-IN for cert-manager's controller
// and CA injector, which cannot be built here. It fulfils cert-manager
// Certificates the way cert-manager would (a kubernetes.io/tls Secret with
// tls.crt, tls.key and ca.crt; a Ready condition) and injects CAs into webhook
// configurations annotated cert-manager.io/inject-ca-from. It supports only
// what kvenv's chart uses: namespaced selfSigned and CA Issuers. kvenv itself
// never imports it.
package certmanagerstandin

import (
	"context"
	"errors"
	"fmt"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// StandIn plays cert-manager against a real API server.
type StandIn struct {
	Client client.Client    // with NewScheme
	Now    func() time.Time // nil means time.Now
}

// NewScheme knows cert-manager's v1 types and the core objects the stand-in touches.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{cmapi.AddToScheme, corev1.AddToScheme, admissionv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// errIssuerNotReady means the issuer's CA Secret does not exist yet.
var errIssuerNotReady = errors.New("issuer not ready")

// IssueAll issues every Certificate of namespace whose Secret is missing.
// A CA Issuer can sign only once its own CA Certificate is issued, so it
// goes round until nothing is left or no progress is made.
func (s *StandIn) IssueAll(ctx context.Context, namespace string) error {
	var certs cmapi.CertificateList
	if err := s.Client.List(ctx, &certs, client.InNamespace(namespace)); err != nil {
		return err
	}
	pending := certs.Items
	for len(pending) > 0 {
		var waiting []cmapi.Certificate
		for i := range pending {
			err := s.issueIfMissing(ctx, &pending[i])
			if errors.Is(err, errIssuerNotReady) {
				waiting = append(waiting, pending[i])
			} else if err != nil {
				return err
			}
		}
		if len(waiting) == len(pending) {
			return fmt.Errorf("certificates %s/%s and %d more wait for issuers that never become ready", namespace, waiting[0].Name, len(waiting)-1)
		}
		pending = waiting
	}
	return nil
}

// Renew re-issues a Certificate with a new key, as cert-manager does when
// the renewal time comes (the chart asks for rotationPolicy Always).
func (s *StandIn) Renew(ctx context.Context, namespace, name string) error {
	cert := &cmapi.Certificate{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cert); err != nil {
		return err
	}
	return s.issue(ctx, cert)
}

func (s *StandIn) issueIfMissing(ctx context.Context, cert *cmapi.Certificate) error {
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: cert.Namespace, Name: cert.Spec.SecretName}, &corev1.Secret{})
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	return s.issue(ctx, cert)
}

func (s *StandIn) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
