package manifests

import (
	"context"
	"os"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestChartOnRealAPIServer installs the chart on a real kube-apiserver and
// runs the webhook the chart describes. The subtests share the API server
// and run in order: the first release (kvenv.yaml, installed up front so
// that its webhook outlives the first subtest) stays until the second
// release proves that uninstalling it does no harm.
func TestChartOnRealAPIServer(t *testing.T) {
	c := newClusterUnlessShort(t)
	createNamespace(t, c.api.Client, "apps", map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled})
	first := installSelfManaged(t, c, readPlainManifest(t))

	t.Run("kvenv.yaml applies and its self-managed webhook mutates pods", func(t *testing.T) {
		checkSelfManagedTLS(t, c.api.Client, first)
		checkPodSecurityRestricted(t, c.api.Client, first.objs)
		assertMutated(t, createAnnotatedPod(t, c.api.Client, "apps"))
	})
	t.Run("helm releases in other namespaces coexist; uninstalling one leaves the others working", func(t *testing.T) {
		for _, ns := range []string{"kvenv-b", "kvenv-c"} {
			createNamespace(t, c.api.Client, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
		}
		second, notes := helmInstall(t, c, "other", "kvenv-b")
		third, _ := helmInstall(t, c, "third", "kvenv-c")
		checkNotes(t, notes)
		for _, rel := range []release{second, third} {
			checkSelfManagedTLS(t, c.api.Client, rel)
		}
		checkRBAC(t, c.api.Client, second, third)
		checkRBAC(t, c.api.Client, third, second)
		assertMutated(t, createAnnotatedPod(t, c.api.Client, "apps"))

		c.helmOn(t, "uninstall", "other", "--namespace", "kvenv-b")
		second.webhook.stop()
		for _, o := range second.objs {
			if c.exists(t, o) {
				t.Errorf("helm uninstall left %s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
			}
		}
		for _, o := range append(append(rendered{}, first.objs...), third.objs...) {
			if !c.exists(t, o) {
				t.Fatalf("uninstalling release other removed %s %s/%s of another release", o.GetKind(), o.GetNamespace(), o.GetName())
			}
		}
		// With its webhook stopped and failurePolicy Fail, this pod is
		// admitted only if no configuration still points at it.
		assertMutated(t, createAnnotatedPod(t, c.api.Client, "apps"))
		c.helmOn(t, "uninstall", "third", "--namespace", "kvenv-c")
	})
	t.Run("cert-manager mode: real CRDs accept the chart, the issued certificate is served and rotated", func(t *testing.T) {
		testCertManagerMode(t, c)
	})
}

// newClusterUnlessShort starts a real API server for the test, which it
// skips under -short.
func newClusterUnlessShort(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real kube-apiserver")
	}
	return newCluster(t)
}

// release is one installed rendering and its running webhook.
type release struct {
	objs    rendered
	webhook *runningWebhook
}

// installSelfManaged applies a self-managed rendering whose webhook
// configuration points at loopback, and runs its webhook.
func installSelfManaged(t *testing.T, c *cluster, objs rendered) release {
	t.Helper()
	port := testcluster.FreeLoopbackPort(t)
	pointAtLoopback(t, objs, "https://127.0.0.1:"+strconv.Itoa(port)+webhook.MutatePath)
	c.apply(t, objs)
	return release{objs: objs, webhook: runChartWebhook(t, c, objs, port, t.TempDir())}
}

// checkSelfManagedTLS: the webhook filled its configuration's caBundle from
// the Secret it created (owned by that configuration, for garbage
// collection on uninstall), and serves a certificate that bundle trusts.
func checkSelfManagedTLS(t *testing.T, c kubernetes.Interface, rel release) {
	t.Helper()
	s := parseChartArgs(t, rel.objs)
	ctx := context.Background()
	sec, err := c.CoreV1().Secrets(s.selfTLS.SecretNamespace).Get(ctx, s.selfTLS.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the webhook did not create its Secret: %v", err)
	}
	mwc, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, s.selfTLS.WebhookConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bundle := mwc.Webhooks[0].ClientConfig.CABundle
	if len(bundle) == 0 || string(bundle) != string(sec.Data[selftls.KeyCABundle]) {
		t.Fatal("the webhook configuration's caBundle is not the Secret's CA bundle")
	}
	if refs := sec.OwnerReferences; len(refs) != 1 || refs[0].UID != mwc.UID {
		t.Fatalf("the Secret must be owned by webhook configuration %s: %+v", mwc.Name, refs)
	}
	for _, host := range []string{"127.0.0.1", s.selfTLS.Hosts[2]} { // loopback here; <svc>.<ns>.svc in a cluster
		if _, err := presented(rel.webhook.addr, host, bundle); err != nil {
			t.Fatalf("handshake for %s against the caBundle: %v", host, err)
		}
	}
}

// checkPodSecurityRestricted creates (dry run) a pod from the Deployment's
// template in its namespace, which enforces PSA restricted.
func checkPodSecurityRestricted(t *testing.T, c kubernetes.Interface, objs rendered) {
	t.Helper()
	d := deployment(t, objs)
	pod := &corev1.Pod{ObjectMeta: d.Spec.Template.ObjectMeta, Spec: d.Spec.Template.Spec}
	pod.GenerateName = d.Name + "-"
	_, err := c.CoreV1().Pods(d.Namespace).Create(context.Background(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("the webhook's own pod is refused in its PSA restricted namespace: %v", err)
	}
}

func readPlainManifest(t *testing.T) rendered {
	t.Helper()
	raw, err := os.ReadFile(plainManifest)
	if err != nil {
		t.Fatal(err)
	}
	return decodeObjects(t, raw)
}

func createNamespace(t *testing.T, c kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// annotatedPod is a pod that asks for one Key Vault secret.
func annotatedPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "app-", Annotations: map[string]string{
			webhook.AnnotationVault:                     "myvault",
			webhook.AnnotationEnvPrefix + "DB_PASSWORD": "DatasourcePassword",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1", Command: []string{"/app", "--serve"},
		}}},
	}
}

func createAnnotatedPod(t *testing.T, c kubernetes.Interface, ns string) *corev1.Pod {
	t.Helper()
	got, err := c.CoreV1().Pods(ns).Create(context.Background(), annotatedPod(), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating an annotated pod in %s: %v", ns, err)
	}
	return got
}

func assertMutated(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if pod.Annotations[webhook.AnnotationStatus] != webhook.StatusInjected || len(pod.Spec.InitContainers) == 0 {
		t.Fatalf("pod %s was not mutated: annotations %v", pod.Name, pod.Annotations)
	}
}
