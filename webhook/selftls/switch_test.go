package selftls_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestSwitchFromCertManagerKeepsPodsAdmitted switches a release from
// cert-manager to self-managed TLS on a real API server: the Secret holds
// what cert-manager left (ca.crt, tls.crt, tls.key, no ca.key) and the
// webhook configuration the caBundle cert-manager's CA injector wrote. At
// every step the certificate kvenv's server presents verifies against the
// caBundle written, the API server admits an annotated pod, and so does the
// certificate of a replica still in cert-manager mode, until the handover
// after kvenv's own certificate is served. The adopted Secret ends up owned
// by the webhook configuration.
func TestSwitchFromCertManagerKeepsPodsAdmitted(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-switch", "127.0.0.1")
	c, mwc := api.Client, opts.WebhookConfigName
	port := createServedPodWebhook(t, c, mwc)

	start := time.Now()
	certManager := selftls.CertManagerSecretData(t, []string{"127.0.0.1"}, start)
	certManagerCA := certsFromPEM(t, certManager[selftls.KeyCACert])[0]
	certManagerServing := certsFromPEM(t, certManager[selftls.KeyServingCert])[0]
	injectCABundle(t, c, mwc, certManager[selftls.KeyCACert])
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: tlsSecret, Namespace: tlsNamespace, Annotations: map[string]string{"cert-manager.io/certificate-name": "kvenv-serving"}},
		Type:       corev1.SecretTypeTLS, Data: certManager,
	}
	if _, err := c.CoreV1().Secrets(tlsNamespace).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	clk := testclock.New(start)
	opts.Now = clk.Now
	// The test clock moves less than the certificates' backdating, so the
	// API server, on the real clock, accepts every certificate made.
	opts.Propagation, opts.Handover = 10*time.Second, time.Minute
	rotator, addr := startServing(t, api, opts, port)

	steps := []struct {
		name              string
		at                time.Time
		certManagerServed bool // a replica in cert-manager mode may still serve cert-manager's certificate
	}{
		{"kvenv's CA joins cert-manager's in the caBundle", start, true},
		{"kvenv's CA signs the served certificate", start.Add(opts.Propagation), true},
		{"the handover is over", start.Add(opts.Propagation + opts.Handover), false},
	}
	for i, step := range steps {
		reconcileAt(t, rotator, clk, step.at, step.name)
		want := servingCertOf(t, getSecret(t, c))
		if i == 0 && !want.Equal(certManagerServing) {
			t.Fatalf("%s: cert-manager's certificate was replaced before kvenv's CA could be trusted", step.name)
		}
		servedAndAdmitted(t, c, mwc, addr, step.name, want)
		bundle := getWebhookConfig(t, c, mwc).Webhooks[0].ClientConfig.CABundle
		if step.certManagerServed {
			verifiesAgainst(t, step.name, certManagerServing, bundle)
		} else if trusts(t, bundle, certManagerCA) {
			t.Fatalf("%s: the caBundle still trusts cert-manager's CA", step.name)
		}
	}
	owner := getWebhookConfig(t, c, mwc)
	if refs := getSecret(t, c).OwnerReferences; len(refs) != 1 || refs[0].UID != owner.UID {
		t.Fatalf("the adopted Secret is not owned by the webhook configuration: %+v", refs)
	}
}

// injectCABundle does what cert-manager's CA injector does.
func injectCABundle(t *testing.T, c kubernetes.Interface, name string, bundle []byte) {
	t.Helper()
	mwc := getWebhookConfig(t, c, name)
	for i := range mwc.Webhooks {
		mwc.Webhooks[i].ClientConfig.CABundle = bundle
	}
	if _, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(context.Background(), mwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// verifiesAgainst checks cert the way the API server checks the webhook's
// certificate, for the host 127.0.0.1.
func verifiesAgainst(t *testing.T, step string, cert *x509.Certificate, bundle []byte) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("%s: a replica serving %q's certificate fails the API server's handshake: %v", step, cert.Issuer.CommonName, err)
	}
}

func trusts(t *testing.T, bundle []byte, ca *x509.Certificate) bool {
	t.Helper()
	for _, c := range certsFromPEM(t, bundle) {
		if c.Equal(ca) {
			return true
		}
	}
	return false
}
