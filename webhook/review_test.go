package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// TestReviewEnvelopeErrorsAreExplained: what is wrong with a request itself
// (not with the pod) gets code 400, the request's uid when it has one, and a
// message that says what to fix.
func TestReviewEnvelopeErrorsAreExplained(t *testing.T) {
	t.Parallel()
	pod := reviewOf(t, podToInject(0))
	for _, tc := range []struct {
		name, contentType, body, uid, want string
	}{
		{"empty body", "application/json", "", "", "body is empty"},
		{"not JSON", "application/json", "{", "", "cannot decode the AdmissionReview"},
		{"wrong content type", "text/plain", string(pod), "", `content type "text/plain"`},
		{"no request", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "", "has no request"},
		{"not a pod", "application/json", strings.Replace(string(pod), `"kind":{"group":"","version":"v1","kind":"Pod"}`,
			`"kind":{"group":"apps","version":"v1","kind":"Deployment"}`, 1), "fuzz-uid", "admits pods only"},
		{"over the limit", "application/json", strings.Repeat(" ", 7<<20+1), "", "over 7340032 bytes"},
		{"no object", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"object":null}}`,
			"u1", "carries no pod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			review := send(t, tc.contentType, []byte(tc.body))
			r := review.Response
			if r == nil || r.Allowed || r.Result == nil || r.Result.Code != http.StatusBadRequest {
				t.Fatalf("want a 400 refusal, got %+v", r)
			}
			if !strings.Contains(r.Result.Message, tc.want) || string(r.UID) != tc.uid {
				t.Errorf("message %q uid %q: want %q and uid %q", r.Result.Message, r.UID, tc.want, tc.uid)
			}
		})
	}
}

// TestAnswerUsesTheRequestsReviewVersion: an API server that sends v1beta1
// reviews gets v1beta1 answers, with the request's uid and the patch.
func TestAnswerUsesTheRequestsReviewVersion(t *testing.T) {
	t.Parallel()
	body := reviewOf(t, podToInject(0))
	for _, version := range []string{"admission.k8s.io/v1", "admission.k8s.io/v1beta1"} {
		review := send(t, "application/json", bytes.Replace(body, []byte("admission.k8s.io/v1"), []byte(version), 1))
		if review.APIVersion != version || review.Kind != "AdmissionReview" {
			t.Errorf("answer is %s %s, want %s AdmissionReview", review.APIVersion, review.Kind, version)
		}
		if r := review.Response; r == nil || !r.Allowed || r.UID != "fuzz-uid" || len(r.Patch) == 0 || r.PatchType == nil {
			t.Errorf("%s: want an allowed JSON patch for uid fuzz-uid, got %+v", version, r)
		}
	}
}

func send(t *testing.T, contentType string, body []byte) admissionv1.AdmissionReview {
	t.Helper()
	rec := serveReview(fuzzHandler(), contentType, body)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("answer content type %q", ct)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil {
		t.Fatalf("the answer is not an AdmissionReview: %v", err)
	}
	return review
}
