package certmanagerstandin

import (
	"context"
	"fmt"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// InjectCA does what cert-manager's CA injector does for webhook
// configurations annotated cert-manager.io/inject-ca-from: NAMESPACE/CERT:
// every webhook's caBundle becomes ca.crt of that Certificate's Secret.
func (s *StandIn) InjectCA(ctx context.Context) error {
	var list admissionv1.MutatingWebhookConfigurationList
	if err := s.Client.List(ctx, &list); err != nil {
		return err
	}
	for i := range list.Items {
		mwc := &list.Items[i]
		from := mwc.Annotations[cmapi.WantInjectAnnotation]
		if from == "" {
			continue
		}
		ca, err := s.caOf(ctx, from)
		if err != nil {
			return fmt.Errorf("stand-in: %s of %s: %w", cmapi.WantInjectAnnotation, mwc.Name, err)
		}
		for j := range mwc.Webhooks {
			mwc.Webhooks[j].ClientConfig.CABundle = ca
		}
		if err := s.Client.Update(ctx, mwc); err != nil {
			return err
		}
	}
	return nil
}

func (s *StandIn) caOf(ctx context.Context, ref string) ([]byte, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok {
		return nil, fmt.Errorf("%q is not NAMESPACE/CERTIFICATE", ref)
	}
	cert := &cmapi.Certificate{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, cert); err != nil {
		return nil, err
	}
	sec := &corev1.Secret{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: cert.Spec.SecretName}, sec); err != nil {
		return nil, err
	}
	if len(sec.Data[cmmeta.TLSCAKey]) == 0 {
		return nil, fmt.Errorf("Secret %s/%s has no %s", ns, sec.Name, cmmeta.TLSCAKey)
	}
	return sec.Data[cmmeta.TLSCAKey], nil
}
