package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kvenv/kvenv/webhook"
)

// Reviews as the API server sends them, and their answers, for the tests
// that call the admission endpoint without an API server.

// staticNamespaces narrows vaults in namespace "narrow" only.
type staticNamespaces struct{}

func (staticNamespaces) NamespaceAnnotations(_ context.Context, name string) (map[string]string, error) {
	if name == "narrow" {
		return map[string]string{webhook.NamespaceAllowedVaults: "othervault"}, nil
	}
	return nil, nil
}

// fuzzedPod is pod "app" in namespace "apps" with kvenv's annotations plus
// key=value, an app container running command and args (lines are argv
// elements), and `extra` sidecars with the same args.
func fuzzedPod(key, value, command, args string, extra int) *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps", Annotations: map[string]string{
			webhook.AnnotationVault: "myvault", webhook.AnnotationEnvPrefix + "DB_PASSWORD": "DbPassword", key: value,
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1",
			Command: splitLines(command), Args: splitLines(args)}}},
	}
	for i := range extra {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name: "c" + string(rune('1'+i)), Image: "registry.example/side:1", Command: []string{"/side"}, Args: splitLines(args)})
	}
	return pod
}

// podToInject is a pod kvenv mutates: fuzzedPod naming its managed
// identity, with `sidecars` sidecars.
func podToInject(sidecars int) *corev1.Pod {
	return fuzzedPod(webhook.AnnotationClientID, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "/app", "", sidecars)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// reviewOf wraps a pod in the AdmissionReview the API server sends on CREATE.
func reviewOf(t testing.TB, pod *corev1.Pod) []byte {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "fuzz-uid",
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Name:      pod.Name,
			Namespace: pod.Namespace,
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: raw},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// serveReview hands body to h as the API server's POST to the admission
// endpoint and records the answer; callers check and decode it.
func serveReview(h http.Handler, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, webhook.MutatePath, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type admissionResponse = admissionv1.AdmissionResponse

func decodeAnswer(t *testing.T, body []byte) admissionResponse {
	t.Helper()
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Response == nil {
		t.Fatalf("the answer is not an AdmissionReview with a response: %v", err)
	}
	if !review.Response.Allowed && review.Response.Result == nil {
		t.Fatal("a refusal without a result")
	}
	return *review.Response
}
