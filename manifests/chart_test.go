package manifests

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/kvenv/kvenv/webhook"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// chartCases is the values matrix: each case is linted, rendered, decoded
// strictly into the Go types, and checked for what it promises.
var chartCases = []struct {
	name  string
	set   []string
	check func(t *testing.T, r rendered)
}{
	{"defaults (self-managed TLS)", nil, checkDefaults},
	{"cert-manager", []string{"certManager.enabled=true"}, checkCertManager},
	{"matchConditions off", []string{"webhook.matchConditions=false"}, func(t *testing.T, r rendered) {
		if mc := webhookConfig(t, r).Webhooks[0].MatchConditions; len(mc) != 0 {
			t.Fatalf("matchConditions rendered although switched off: %+v", mc)
		}
	}},
	{"networkPolicy on", []string{"networkPolicy.enabled=true"}, checkNetworkPolicy},
	{"serviceMonitor on", []string{"metrics.serviceMonitor.enabled=true"}, checkServiceMonitor},
	{"image pinned by digest", []string{"image.digest=" + testDigest}, func(t *testing.T, r rendered) {
		d := deployment(t, r)
		want := "ghcr.io/kvenv/kvenv@" + testDigest
		if got := d.Spec.Template.Spec.Containers[0].Image; got != want {
			t.Fatalf("image %q, want %q", got, want)
		}
		if got := args(t, d)["injector-image"]; got != want {
			t.Fatalf("--injector-image %q, want the webhook's own pinned image %q", got, want)
		}
	}},
	{"pull secrets readable", []string{"imagePullSecrets.read=true"}, checkPullSecretsRole},
	{"one replica", []string{"replicaCount=1"}, func(t *testing.T, r rendered) {
		if n := r.kinds()["PodDisruptionBudget"]; n != 0 {
			t.Fatalf("one replica with minAvailable 1 must get no PodDisruptionBudget (it would block every drain), got %d", n)
		}
	}},
	{"every setting reaches a flag", settingsSet, checkSettings},
}

func TestChartLintsAndRenders(t *testing.T) {
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			lint := append([]string{"lint", "--strict", chartDir, "--kube-version", kubeVersion}, setFlags(c.set)...)
			if out, err := helm(t, lint...); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
			r := render(t, "kvenv", "kvenv", c.set...)
			decodesStrictly(t, r)
			c.check(t, r)
		})
	}
}

func checkDefaults(t *testing.T, r rendered) {
	want := map[string]int{
		"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1,
		"Service": 1, "Deployment": 1, "PodDisruptionBudget": 1, "MutatingWebhookConfiguration": 1,
	}
	if got := r.kinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	d := deployment(t, r)
	checkWorkload(t, r, d)
	checkWebhookConfig(t, webhookConfig(t, r), "kvenv", "kvenv")
	a := args(t, d)
	m := webhookConfig(t, r)
	if a["tls-mode"] != "self-managed" || a["webhook-config-name"] != m.Name || a["tls-secret-namespace"] != "kvenv" {
		t.Fatalf("self-managed TLS flags do not name this release's objects: %v", a)
	}
	if !slices.Contains(strings.Split(a["tls-hosts"], ","), "kvenv.kvenv.svc") {
		t.Fatalf("--tls-hosts %q lacks the Service's DNS name kvenv.kvenv.svc", a["tls-hosts"])
	}
	if v := certVolume(t, d, a["cert-dir"]); v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Fatalf("self-managed TLS wants a memory emptyDir at --cert-dir, got %+v", v.VolumeSource)
	}
	checkSelfManagedRBAC(t, r, a["tls-secret-name"], m.Name, d.Spec.Template.Spec.ServiceAccountName)
}

// checkWorkload: two spread replicas, a disruption budget, PSA restricted,
// resources, probes, and a Service in front.
func checkWorkload(t *testing.T, r rendered, d *appsv1.Deployment) {
	t.Helper()
	spec := d.Spec.Template.Spec
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", *d.Spec.Replicas)
	}
	podLabels := d.Spec.Template.Labels
	if len(spec.TopologySpreadConstraints) != 1 || !selects(spec.TopologySpreadConstraints[0].LabelSelector, podLabels) {
		t.Errorf("want one topology spread constraint over this Deployment's pods: %+v", spec.TopologySpreadConstraints)
	}
	pdb := &policyv1.PodDisruptionBudget{}
	r.one(t, "PodDisruptionBudget", pdb)
	if !selects(pdb.Spec.Selector, podLabels) || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget must keep one of these pods: %+v", pdb.Spec)
	}
	psc, c := spec.SecurityContext, spec.Containers[0]
	sc := c.SecurityContext
	if psc == nil || !*psc.RunAsNonRoot || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc == nil || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("security context is not PSA restricted: pod %+v container %+v", psc, sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("want CPU and memory requests and a memory limit: %+v", c.Resources)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness must follow /readyz (ready once TLS is served): %+v", c.ReadinessProbe)
	}
	svc := &corev1.Service{}
	r.one(t, "Service", svc)
	if !selects(&metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, podLabels) || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.StrVal != "https" {
		t.Errorf("Service must send 443 to these pods' https port: %+v", svc.Spec)
	}
}

// checkWebhookConfig holds the semantics of the hand-written manifest the
// chart replaced.
func checkWebhookConfig(t *testing.T, m *admissionv1.MutatingWebhookConfiguration, fullname, namespace string) {
	t.Helper()
	if len(m.Webhooks) != 1 {
		t.Fatalf("want one webhook, got %d", len(m.Webhooks))
	}
	w := m.Webhooks[0]
	svc := w.ClientConfig.Service
	if w.Name != "pods.kvenv.io" || svc == nil || svc.Name != fullname || svc.Namespace != namespace || *svc.Path != "/mutate-v1-pod" || *svc.Port != 443 {
		t.Errorf("clientConfig must call %s/%s:443/mutate-v1-pod: %+v", namespace, fullname, w.ClientConfig)
	}
	if len(w.ClientConfig.CABundle) != 0 {
		t.Error("the chart must never set caBundle: an upgrade would wipe the injected one")
	}
	rule := w.Rules[0]
	if len(w.Rules) != 1 || !slices.Equal(rule.Operations, []admissionv1.OperationType{admissionv1.Create}) || !slices.Equal(rule.Resources, []string{"pods"}) {
		t.Errorf("want pod CREATE only: %+v", w.Rules)
	}
	wantSelector := []metav1.LabelSelectorRequirement{
		{Key: "kvenv.io/injection", Operator: metav1.LabelSelectorOpIn, Values: []string{"enabled"}},
		{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{namespace, "kube-system"}},
	}
	if !reflect.DeepEqual(w.NamespaceSelector.MatchExpressions, wantSelector) {
		t.Errorf("namespaceSelector %+v, want %+v", w.NamespaceSelector.MatchExpressions, wantSelector)
	}
	// What the conditions let through on a real API server is
	// TestOptedOutPodsPassWhileKvenvIsDown's job.
	if len(w.MatchConditions) != 2 || !strings.Contains(w.MatchConditions[0].Expression, "startsWith('kvenv.io/')") ||
		!strings.Contains(w.MatchConditions[1].Expression, "'"+webhook.AnnotationInject+"'") {
		t.Errorf("want the CEL conditions on kvenv.io/ annotations and on %s: %+v", webhook.AnnotationInject, w.MatchConditions)
	}
	if *w.FailurePolicy != admissionv1.Fail || *w.SideEffects != admissionv1.SideEffectClassNone ||
		*w.TimeoutSeconds != 10 || *w.ReinvocationPolicy != admissionv1.IfNeededReinvocationPolicy {
		t.Errorf("want Fail, sideEffects None, 10s, reinvocation IfNeeded: %v %v %v %v", *w.FailurePolicy, *w.SideEffects, *w.TimeoutSeconds, *w.ReinvocationPolicy)
	}
}

func certVolume(t *testing.T, d *appsv1.Deployment, certDir string) corev1.Volume {
	t.Helper()
	spec := d.Spec.Template.Spec
	for _, m := range spec.Containers[0].VolumeMounts {
		if m.MountPath == certDir {
			for _, v := range spec.Volumes {
				if v.Name == m.Name {
					return v
				}
			}
		}
	}
	t.Fatalf("nothing is mounted at --cert-dir %q", certDir)
	return corev1.Volume{}
}

func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(k8slabels.Set(labels))
}
