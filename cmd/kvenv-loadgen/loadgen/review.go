package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// uidPrefix starts every request's uid; the last uidDigits characters
// number the request, so each body differs from the template in place.
const (
	uidPrefix = "10ad6e11-0000-4000-8000-"
	uidDigits = 12
)

// review is an AdmissionReview body whose uid can be rewritten in place.
type review struct {
	body      []byte
	uidOffset int // where the uid's digits start in body
}

// newReview encodes a CREATE review of shape's pod, as the API server
// sends it to a mutating webhook.
func newReview(shape PodShape) (review, error) {
	shape = shape.withDefaults()
	pod, err := json.Marshal(shape.pod())
	if err != nil {
		return review{}, err
	}
	placeholder := uidPrefix + fmt.Sprintf("%0*d", uidDigits, 0)
	ar := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:             types.UID(placeholder),
			Kind:            metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:        metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			RequestKind:     &metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			RequestResource: &metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace:       shape.Namespace,
			Operation:       admissionv1.Create,
			UserInfo: authenticationv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller",
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}},
			Object:  runtime.RawExtension{Raw: pod},
			Options: runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}`)},
		},
	}
	body, err := json.Marshal(ar)
	if err != nil {
		return review{}, err
	}
	off := bytes.Index(body, []byte(placeholder))
	if off < 0 || bytes.Count(body, []byte(placeholder)) != 1 {
		return review{}, fmt.Errorf("loadgen: the request uid must appear exactly once in the review")
	}
	return review{body: body, uidOffset: off + len(uidPrefix)}, nil
}

// copyBody returns a copy of the body; each connection keeps its own and
// rewrites the uid in place for every request.
func (r review) copyBody() []byte { return bytes.Clone(r.body) }

// setUID writes request n's uid into body (a copyBody result) and returns it.
func (r review) setUID(body []byte, n uint64) string {
	digits := body[r.uidOffset : r.uidOffset+uidDigits]
	for i := range digits {
		digits[i] = '0'
	}
	s := strconv.FormatUint(n%1e12, 10)
	copy(digits[uidDigits-len(s):], s)
	return string(body[r.uidOffset-len(uidPrefix) : r.uidOffset+uidDigits])
}

// ReviewBody is the AdmissionReview a run sends for shape (with request
// number 1's uid), for benchmarks that call the handler in process.
func ReviewBody(shape PodShape) ([]byte, error) {
	rv, err := newReview(shape)
	if err != nil {
		return nil, err
	}
	body := rv.copyBody()
	rv.setUID(body, 1)
	return body, nil
}
