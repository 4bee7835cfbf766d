package testcluster

import (
	"context"
	"net"
	"strconv"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// FreeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for a webhook server the test starts itself.
func FreeLoopbackPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// CreateLoopbackPodWebhook registers a pod webhook at a loopback URL for the
// namespaces that carry nsLabels, without a caBundle: the tests that use it
// have kvenv's self-managed TLS fill it in.
func CreateLoopbackPodWebhook(t testing.TB, c kubernetes.Interface, name string, port int, path string, nsLabels map[string]string) {
	t.Helper()
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + path
	fail, none, timeout := admissionv1.Fail, admissionv1.SideEffectClassNone, int32(10)
	mwc := &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionv1.MutatingWebhook{{
			Name: "pods.kvenv.io", AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: nsLabels},
			FailurePolicy:     &fail, SideEffects: &none, TimeoutSeconds: &timeout,
		}},
	}
	if _, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(context.Background(), mwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
