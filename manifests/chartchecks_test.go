package manifests

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// checkSelfManagedRBAC: exactly the rights self-managed TLS needs, each
// limited to this release's objects where Kubernetes allows it.
func checkSelfManagedRBAC(t *testing.T, r rendered, secret, mwc, serviceAccount string) {
	t.Helper()
	cr := clusterRoles(t, r)
	wantCluster := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations"}, ResourceNames: []string{mwc}, Verbs: []string{"get", "update"}},
	}
	if len(cr) != 1 || !reflect.DeepEqual(cr[0].Rules, wantCluster) {
		t.Errorf("ClusterRole rules %+v, want %+v", cr, wantCluster)
	}
	role := &rbacv1.Role{}
	r.one(t, "Role", role)
	wantRole := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{secret}, Verbs: []string{"get", "update"}},
	}
	if !reflect.DeepEqual(role.Rules, wantRole) {
		t.Errorf("Role rules %+v, want %+v", role.Rules, wantRole)
	}
	binding := &rbacv1.RoleBinding{}
	r.one(t, "RoleBinding", binding)
	crb := &rbacv1.ClusterRoleBinding{}
	r.one(t, "ClusterRoleBinding", crb)
	for _, subjects := range [][]rbacv1.Subject{binding.Subjects, crb.Subjects} {
		if len(subjects) != 1 || subjects[0].Name != serviceAccount {
			t.Errorf("bindings must name the Deployment's ServiceAccount %q: %+v", serviceAccount, subjects)
		}
	}
	if binding.RoleRef.Name != role.Name || crb.RoleRef.Name != cr[0].Name {
		t.Errorf("bindings must grant this release's roles: %+v %+v", binding.RoleRef, crb.RoleRef)
	}
}

func checkCertManager(t *testing.T, r rendered) {
	d := deployment(t, r)
	a := args(t, d)
	m := webhookConfig(t, r)
	checkWebhookConfig(t, m, "kvenv", "kvenv")
	if a["tls-mode"] != "external" || a["tls-secret-name"] != "" {
		t.Fatalf("cert-manager mode must only read --cert-dir: %v", a)
	}
	if r.kinds()["Role"] != 0 || len(clusterRoles(t, r)[0].Rules) != 1 {
		t.Fatal("cert-manager mode needs no Secret or webhook configuration rights")
	}
	ns, certName, _ := strings.Cut(m.Annotations["cert-manager.io/inject-ca-from"], "/")
	serving := named(t, certificates(t, r), certName)
	if ns != "kvenv" || !slices.Contains(serving.Spec.DNSNames, "kvenv.kvenv.svc") {
		t.Fatalf("inject-ca-from %q must name the serving Certificate for kvenv.kvenv.svc: %+v", m.Annotations, serving.Spec.DNSNames)
	}
	if v := certVolume(t, d, a["cert-dir"]); v.Secret == nil || v.Secret.SecretName != serving.Spec.SecretName {
		t.Fatalf("the Deployment must mount Secret %s at --cert-dir: %+v", serving.Spec.SecretName, v.VolumeSource)
	}
	caIssuer := named(t, issuers(t, r), serving.Spec.IssuerRef.Name)
	ca := named(t, certificates(t, r), caIssuer.Name)
	root := named(t, issuers(t, r), ca.Spec.IssuerRef.Name)
	if caIssuer.Spec.CA == nil || caIssuer.Spec.CA.SecretName != ca.Spec.SecretName || !ca.Spec.IsCA || root.Spec.SelfSigned == nil {
		t.Fatal("want serving Certificate <- CA Issuer <- CA Certificate <- self-signed Issuer")
	}
}

func checkNetworkPolicy(t *testing.T, r rendered) {
	np := &networkingv1.NetworkPolicy{}
	r.one(t, "NetworkPolicy", np)
	if !selects(&np.Spec.PodSelector, deployment(t, r).Spec.Template.Labels) {
		t.Fatal("NetworkPolicy does not select the webhook's pods")
	}
	var ports []string
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			ports = append(ports, p.Port.StrVal)
		}
	}
	if !slices.Equal(ports, []string{"https", "metrics"}) {
		t.Fatalf("ingress ports %v, want https and metrics", ports)
	}
}

func checkServiceMonitor(t *testing.T, r rendered) {
	sm := r.all("ServiceMonitor")
	if len(sm) != 1 {
		t.Fatalf("want one ServiceMonitor, got %d", len(sm))
	}
	endpoints, _, _ := unstructured.NestedSlice(sm[0].Object, "spec", "endpoints")
	selector, _, _ := unstructured.NestedStringMap(sm[0].Object, "spec", "selector", "matchLabels")
	svc := &corev1.Service{}
	r.one(t, "Service", svc)
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != "metrics" || !selects(&metav1.LabelSelector{MatchLabels: selector}, svc.Labels) {
		t.Fatalf("ServiceMonitor must scrape the Service's metrics port: %v %v", endpoints, selector)
	}
}

func checkPullSecretsRole(t *testing.T, r rendered) {
	want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "secrets"}, Verbs: []string{"get"}}}
	for _, cr := range clusterRoles(t, r) {
		if strings.HasSuffix(cr.Name, "-pull-secrets") && reflect.DeepEqual(cr.Rules, want) {
			return
		}
	}
	t.Fatal("imagePullSecrets.read must add a ClusterRole that gets ServiceAccounts and Secrets")
}
