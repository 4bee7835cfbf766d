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

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// tlsNamespace and tlsSecret are where the rotators of the API server tests
// keep their Secret.
const tlsNamespace, tlsSecret = "kvenv", "kvenv-tls"

// startAPIServer starts a real API server (the test is skipped with -short)
// with the namespace tlsNamespace, and returns it with the options of a
// rotator that keeps tlsSecret there and the caBundle of the webhook
// configuration mwc, for hosts, and writes its certificate to a directory of
// its own (replicas set one each).
func startAPIServer(t *testing.T, mwc string, hosts ...string) (*testcluster.APIServer, selftls.Options) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real kube-apiserver")
	}
	api := testcluster.StartAPIServer(t)
	createNamespace(t, api.Client, tlsNamespace, nil)
	opts := selftls.DefaultOptions()
	opts.SecretName, opts.SecretNamespace, opts.WebhookConfigName = tlsSecret, tlsNamespace, mwc
	opts.Hosts, opts.CertDir = hosts, t.TempDir()
	return api, opts
}

// createPodWebhook creates the webhook configuration mwc, which sends the
// pods of namespaces labelled kvenv.io/injection=enabled to 127.0.0.1:port.
func createPodWebhook(t *testing.T, c kubernetes.Interface, mwc string, port int) {
	t.Helper()
	testcluster.CreateLoopbackPodWebhook(t, c, mwc, port, "/mutate-v1-pod", map[string]string{"kvenv.io/injection": "enabled"})
}

func newRotator(t *testing.T, c kubernetes.Interface, opts selftls.Options) *selftls.Rotator {
	t.Helper()
	r, err := selftls.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func createNamespace(t *testing.T, c kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// getSecret reads the rotators' Secret, tlsSecret.
func getSecret(t *testing.T, c kubernetes.Interface) *corev1.Secret {
	t.Helper()
	s, err := c.CoreV1().Secrets(tlsNamespace).Get(context.Background(), tlsSecret, metav1.GetOptions{})
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
