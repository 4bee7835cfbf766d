package manifests

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// access is one request a release's ServiceAccount may or may not make.
type access struct {
	verb, group, resource, namespace, name string
	allowed                                bool
}

// checkRBAC asks the real API server's authorizer what mine's ServiceAccount
// may do: what self-managed TLS and the namespace informer need, only on
// its own Secret and webhook configuration, and nothing of theirs.
func checkRBAC(t *testing.T, c kubernetes.Interface, mine, theirs release) {
	t.Helper()
	m, o := parseChartArgs(t, mine.objs).selfTLS, parseChartArgs(t, theirs.objs).selfTLS
	const adm = "admissionregistration.k8s.io"
	checks := []access{
		{"list", "", "namespaces", "", "", true},
		{"watch", "", "namespaces", "", "", true},
		{"create", "", "secrets", m.SecretNamespace, "", true},
		{"get", "", "secrets", m.SecretNamespace, m.SecretName, true},
		{"update", "", "secrets", m.SecretNamespace, m.SecretName, true},
		{"get", adm, "mutatingwebhookconfigurations", "", m.WebhookConfigName, true},
		{"update", adm, "mutatingwebhookconfigurations", "", m.WebhookConfigName, true},
		{"get", "", "secrets", m.SecretNamespace, "an-application-secret", false},
		{"list", "", "secrets", m.SecretNamespace, "", false},
		{"get", "", "secrets", o.SecretNamespace, o.SecretName, false},
		{"update", adm, "mutatingwebhookconfigurations", "", o.WebhookConfigName, false},
		{"create", adm, "mutatingwebhookconfigurations", "", "", false},
		{"get", "", "serviceaccounts", "apps", "default", false},
	}
	d := deployment(t, mine.objs)
	user := fmt.Sprintf("system:serviceaccount:%s:%s", d.Namespace, d.Spec.Template.Spec.ServiceAccountName)
	for _, a := range checks {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + d.Namespace, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: a.verb, Group: a.group, Resource: a.resource, Namespace: a.namespace, Name: a.name,
			},
		}}
		got, err := c.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed != a.allowed {
			t.Errorf("%s may %s %s %s/%s: %v, want %v", user, a.verb, a.resource, a.namespace, a.name, got.Status.Allowed, a.allowed)
		}
	}
}
