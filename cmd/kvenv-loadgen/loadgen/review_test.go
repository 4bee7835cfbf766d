package loadgen

import (
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestReviewCarriesThePodShapeAndAFreshUID(t *testing.T) {
	rv, err := newReview(PodShape{Namespace: "apps", Containers: 5, Refs: 20, NoCommand: true})
	if err != nil {
		t.Fatal(err)
	}
	body := rv.copyBody()
	uid := rv.setUID(body, 42)
	if uid != "10ad6e11-0000-4000-8000-000000000042" {
		t.Errorf("uid %q", uid)
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &ar); err != nil {
		t.Fatal(err)
	}
	if string(ar.Request.UID) != uid || ar.Request.Namespace != "apps" || ar.Request.Operation != admissionv1.Create {
		t.Errorf("request %+v", ar.Request)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(ar.Request.Object.Raw, &pod); err != nil {
		t.Fatal(err)
	}
	refs := 0
	for k := range pod.Annotations {
		if strings.HasPrefix(k, "kvenv.io/env.") {
			refs++
		}
	}
	if refs != 20 || len(pod.Spec.Containers) != 5 || pod.Spec.Containers[0].Command != nil || pod.Annotations["kvenv.io/vault"] != "myvault" {
		t.Errorf("pod: %d refs, %d containers, command %q", refs, len(pod.Spec.Containers), pod.Spec.Containers[0].Command)
	}
	// Rewriting in place leaves no trace of the previous uid.
	if uid := rv.setUID(body, 7); !strings.HasSuffix(uid, "-000000000007") || strings.Contains(string(body), "000000000042") {
		t.Errorf("second uid %q", uid)
	}
	if rv.body[rv.uidOffset+uidDigits-1] != '0' {
		t.Error("setUID changed the shared template")
	}
}
