package selftls_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/webhook/selftls"
)

func createNamespace(t *testing.T, c kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getSecret(t *testing.T, c kubernetes.Interface, ns, name string) *corev1.Secret {
	t.Helper()
	s, err := c.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func getWebhookConfig(t *testing.T, c kubernetes.Interface, name string) *admissionv1.MutatingWebhookConfiguration {
	t.Helper()
	mwc, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return mwc
}

func certsFromPEM(t *testing.T, data []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("no certificate in PEM")
	}
	return out
}

func servingCertOf(t *testing.T, s *corev1.Secret) *x509.Certificate {
	t.Helper()
	return certsFromPEM(t, s.Data[selftls.KeyServingCert])[0]
}

func caCertOf(t *testing.T, s *corev1.Secret) *x509.Certificate {
	t.Helper()
	return certsFromPEM(t, s.Data[selftls.KeyCACert])[0]
}
