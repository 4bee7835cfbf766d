package manifests

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kvenv/kvenv/internal/certmanagerstandin"
	"github.com/kvenv/kvenv/internal/testcluster"
)

// testCertManagerMode applies the cert-manager rendering on top of
// cert-manager's real CRDs (strict server-side apply: the CRDs' schemas must
// accept every field), reads the objects back with cert-manager's Go types,
// lets the test stand-in issue the Certificates and inject the CA as
// cert-manager would, and runs the webhook on the mounted Secret.
//
// The API server itself cannot call this webhook: the certificate names the
// Service, which has no endpoints here. The handshake below verifies exactly
// what the API server would: the Service's DNS name against the caBundle.
// The chart's ServiceMonitor is not applied anywhere: the Prometheus
// Operator's CRDs are not available.
func testCertManagerMode(t *testing.T, c *cluster) {
	c.installCertManagerCRDs(t)
	const ns = "kvenv-cm"
	createNamespace(t, c.api.Client, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	objs := render(t, "kvenv", ns, "certManager.enabled=true")
	c.apply(t, objs)
	defer c.uninstall(t, objs)

	crc := certManagerClient(t, c)
	ctx := context.Background()
	serving := &cmapi.Certificate{}
	if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "kvenv-serving"}, serving); err != nil {
		t.Fatalf("reading the serving Certificate back: %v", err)
	}
	standIn := &certmanagerstandin.StandIn{Client: crc}
	if err := standIn.IssueAll(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := standIn.InjectCA(ctx); err != nil {
		t.Fatal(err)
	}
	checkReady(t, crc, ns)

	certDir := t.TempDir()
	mountSecret(t, c, ns, serving.Spec.SecretName, certDir)
	w := runChartWebhook(t, c, objs, testcluster.FreeLoopbackPort(t), certDir)
	host := serving.Spec.DNSNames[2] // kvenv.kvenv-cm.svc, the name the API server dials
	bundle := webhookConfig(t, fetch(t, c, objs.all("MutatingWebhookConfiguration"))).Webhooks[0].ClientConfig.CABundle
	first := servedFor(t, w.addr, host, bundle, secretCert(t, c, ns, serving.Spec.SecretName))

	// Renewal: cert-manager writes a new key and certificate into the Secret
	// and the kubelet updates the mounted files; no restart.
	if err := standIn.Renew(ctx, ns, serving.Name); err != nil {
		t.Fatal(err)
	}
	mountSecret(t, c, ns, serving.Spec.SecretName, certDir)
	renewed := servedFor(t, w.addr, host, bundle, secretCert(t, c, ns, serving.Spec.SecretName))
	if renewed.Equal(first) {
		t.Fatal("renewal did not change the certificate")
	}
}

func certManagerClient(t *testing.T, c *cluster) client.Client {
	t.Helper()
	scheme, err := certmanagerstandin.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	crc, err := client.New(c.api.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return crc
}

func checkReady(t *testing.T, crc client.Client, ns string) {
	t.Helper()
	var certs cmapi.CertificateList
	if err := crc.List(context.Background(), &certs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(certs.Items) != 2 {
		t.Fatalf("want the CA and the serving Certificate, got %d", len(certs.Items))
	}
	for _, cert := range certs.Items {
		if len(cert.Status.Conditions) == 0 || cert.Status.Conditions[0].Status != cmmeta.ConditionTrue {
			t.Fatalf("Certificate %s is not Ready: %+v", cert.Name, cert.Status)
		}
	}
}

// fetch re-reads rendered objects from the API server (to see what was injected).
func fetch(t *testing.T, c *cluster, objs rendered) rendered {
	t.Helper()
	var out rendered
	for _, o := range objs {
		got, err := c.resource(t, o).Get(context.Background(), o.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

// mountSecret writes the Secret's tls.crt and tls.key into dir, as the
// kubelet does for a Secret volume: each file replaced whole.
func mountSecret(t *testing.T, c *cluster, ns, name, dir string) {
	t.Helper()
	sec, err := c.api.Client.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{corev1.TLSPrivateKeyKey, corev1.TLSCertKey} {
		tmp := filepath.Join(dir, "."+key)
		if err := os.WriteFile(tmp, sec.Data[key], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, key)); err != nil {
			t.Fatal(err)
		}
	}
}

func secretCert(t *testing.T, c *cluster, ns, name string) *x509.Certificate {
	t.Helper()
	sec, err := c.api.Client.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(sec.Data[corev1.TLSCertKey])
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// servedFor handshakes (bounded) until the webhook presents want; every
// handshake must verify for host against bundle.
func servedFor(t *testing.T, addr, host string, bundle []byte, want *x509.Certificate) *x509.Certificate {
	t.Helper()
	for range 150 {
		got, err := presented(addr, host, bundle)
		if err != nil {
			t.Fatalf("handshake for %s against the injected caBundle: %v", host, err)
		}
		if got.Equal(want) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the webhook did not present the Secret's certificate (serial %x) within 15s", want.SerialNumber)
	return nil
}
