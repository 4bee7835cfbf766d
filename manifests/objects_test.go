package manifests

import (
	"strings"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// goTypes are the Go types of the kinds the chart renders; every rendered
// object must decode strictly into its type. ServiceMonitor has none here
// (the Prometheus Operator is no dependency) and is checked field by field.
var goTypes = map[string]func() any{
	"ServiceAccount":               func() any { return &corev1.ServiceAccount{} },
	"Service":                      func() any { return &corev1.Service{} },
	"ConfigMap":                    func() any { return &corev1.ConfigMap{} },
	"Deployment":                   func() any { return &appsv1.Deployment{} },
	"PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"ClusterRole":                  func() any { return &rbacv1.ClusterRole{} },
	"ClusterRoleBinding":           func() any { return &rbacv1.ClusterRoleBinding{} },
	"Role":                         func() any { return &rbacv1.Role{} },
	"RoleBinding":                  func() any { return &rbacv1.RoleBinding{} },
	"MutatingWebhookConfiguration": func() any { return &admissionv1.MutatingWebhookConfiguration{} },
	"NetworkPolicy":                func() any { return &networkingv1.NetworkPolicy{} },
	"Issuer":                       func() any { return &cmapi.Issuer{} },
	"Certificate":                  func() any { return &cmapi.Certificate{} },
	"ServiceMonitor":               nil,
}

func decodesStrictly(t *testing.T, r rendered) {
	t.Helper()
	for _, o := range r {
		newObj, known := goTypes[o.GetKind()]
		if !known {
			t.Fatalf("the chart renders a %s that the tests do not know: add its Go type to goTypes", o.GetKind())
		}
		if newObj != nil {
			strictDecode(t, o, newObj())
		}
	}
}

func deployment(t *testing.T, r rendered) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	r.one(t, "Deployment", d)
	return d
}

func webhookConfig(t *testing.T, r rendered) *admissionv1.MutatingWebhookConfiguration {
	t.Helper()
	m := &admissionv1.MutatingWebhookConfiguration{}
	r.one(t, "MutatingWebhookConfiguration", m)
	return m
}

// args maps the webhook container's --flag=value arguments (a bare --flag
// maps to "true").
func args(t *testing.T, d *appsv1.Deployment) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range d.Spec.Template.Spec.Containers[0].Args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			value = "true"
		}
		out[name] = value
	}
	return out
}

func named[T interface{ GetName() string }](t *testing.T, items []T, name string) T {
	t.Helper()
	for _, it := range items {
		if it.GetName() == name {
			return it
		}
	}
	t.Fatalf("no object named %q", name)
	var zero T
	return zero
}

func certificates(t *testing.T, r rendered) []*cmapi.Certificate {
	t.Helper()
	var out []*cmapi.Certificate
	for _, o := range r.all("Certificate") {
		c := &cmapi.Certificate{}
		strictDecode(t, o, c)
		out = append(out, c)
	}
	return out
}

func issuers(t *testing.T, r rendered) []*cmapi.Issuer {
	t.Helper()
	var out []*cmapi.Issuer
	for _, o := range r.all("Issuer") {
		i := &cmapi.Issuer{}
		strictDecode(t, o, i)
		out = append(out, i)
	}
	return out
}

func clusterRoles(t *testing.T, r rendered) []*rbacv1.ClusterRole {
	t.Helper()
	var out []*rbacv1.ClusterRole
	for _, o := range r.all("ClusterRole") {
		c := &rbacv1.ClusterRole{}
		strictDecode(t, o, c)
		out = append(out, c)
	}
	return out
}
