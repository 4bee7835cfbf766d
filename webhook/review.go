package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// maxReviewBytes bounds a request body: two objects of at most 3 MiB (the
// API server's limit) and the rest of the review.
const maxReviewBytes = 7 << 20

// reviewDecoding takes duplicate names as Kubernetes' own decoder does (a
// later value replaces or merges into an earlier one as encoding/json
// would): tracking every object's names to refuse them was a quarter of
// the decode, and an API server never sends them (it encodes the object
// it holds). decodePodReview uses it; decodeSentInitContainers refuses
// repeated names instead, so its copies exist only for a body without
// them, which both read as one pod.
var reviewDecoding = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsonv1.MergeWithLegacySemantics(true))

// podReview is the AdmissionReview the API server sends for a pod, decoded
// in one pass with the pod typed inside it: a generic decoder would scan the
// review, keep the pod as raw bytes and scan them a second time. Fields
// kvenv does not read (userInfo, oldObject, options) are skipped.
type podReview struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Request    *podReviewRequest `json:"request"`
}

type podReviewRequest struct {
	UID       types.UID               `json:"uid"`
	Kind      metav1.GroupVersionKind `json:"kind"`
	Name      string                  `json:"name"`
	Namespace string                  `json:"namespace"`
	Object    *corev1.Pod             `json:"object"`

	// sentInitContainers is Object's init containers as sent (patch_sent.go).
	sentInitContainers sentContainers
}

var podKind = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}

// ServeHTTP answers one AdmissionReview; the webhook server registers it at
// MutatePath.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	review, err := readPodReview(r)
	if err != nil {
		resp := admission.Errored(http.StatusBadRequest, err)
		if review.Request != nil {
			resp.UID = review.Request.UID
		}
		writeReview(w, review, resp)
		return
	}
	req := review.Request
	ctx := log.IntoContext(r.Context(), h.logger())
	resp := h.admitRecovering(ctx, req)
	if err := encodePatch(&resp); err != nil {
		resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("kvenv: cannot encode the patch: %w", err))
	}
	// With the patch encoded, Complete only sets the uid and the status code,
	// and cannot fail.
	_ = resp.Complete(admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: req.UID}})
	writeReview(w, review, resp)
}

// admitRecovering turns a panic into an error answer: the API server then
// applies the failure policy, and the process keeps serving other pods.
func (h *Handler) admitRecovering(ctx context.Context, req *podReviewRequest) (resp admission.Response) {
	defer func() {
		if p := recover(); p != nil {
			h.Metrics.observe(ResultError, 0)
			log.FromContext(ctx).Error(fmt.Errorf("%v", p), "kvenv: panic while admitting a pod",
				"namespace", req.Namespace, "pod", req.Name)
			resp = admission.Errored(http.StatusInternalServerError,
				errors.New("kvenv: internal error while admitting the pod; the webhook's log has the details"))
		}
	}()
	return h.admit(ctx, req)
}

// logger is Log, or controller-runtime's logger when Log is unset.
func (h *Handler) logger() logr.Logger {
	if h.Log.GetSink() != nil {
		return h.Log
	}
	return log.Log.WithName("admission")
}

// readPodReview reads and decodes the body. Its errors are the API server's
// (or a misconfigured caller's) to fix, and say what was wrong.
func readPodReview(r *http.Request) (*podReview, error) {
	review := &podReview{}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return review, fmt.Errorf("kvenv: content type %q; expected application/json", ct)
	}
	body, err := readBody(r)
	switch {
	case err != nil:
		return review, fmt.Errorf("kvenv: reading the AdmissionReview: %w", err)
	case len(body) == 0:
		return review, errors.New("kvenv: the request body is empty; expected an AdmissionReview")
	case len(body) > maxReviewBytes:
		return review, fmt.Errorf("kvenv: the AdmissionReview is over %d bytes", maxReviewBytes)
	}
	if err := decodePodReview(body, review); err != nil {
		return review, fmt.Errorf("kvenv: cannot decode the AdmissionReview: %w", err)
	}
	return review, checkPodReview(review)
}

func checkPodReview(review *podReview) error {
	switch {
	case review.Request == nil:
		return errors.New("kvenv: the AdmissionReview has no request")
	case review.Request.Kind != podKind:
		return fmt.Errorf("kvenv admits pods only, and was sent a %s; the MutatingWebhookConfiguration's rules must select pods", review.Request.Kind.String())
	case review.Request.Object == nil:
		return errors.New("kvenv: the AdmissionReview carries no pod; the MutatingWebhookConfiguration must select CREATE only")
	}
	return nil
}

// writeReview answers in the AdmissionReview version the request used.
func writeReview(w http.ResponseWriter, review *podReview, resp admission.Response) {
	out := admissionv1.AdmissionReview{Response: &resp.AdmissionResponse}
	out.APIVersion, out.Kind = admissionv1.SchemeGroupVersion.String(), "AdmissionReview"
	if review.APIVersion == "admission.k8s.io/v1beta1" {
		out.APIVersion = review.APIVersion
	}
	w.Header().Set("Content-Type", "application/json")
	// Encoded straight into the connection's buffer. An AdmissionResponse
	// always marshals; a write error is a closed connection, which no answer
	// reaches.
	_ = json.NewEncoder(w).Encode(&out)
}

// readBody reads the body into a buffer of the announced size (the server
// stops a body at its Content-Length), not one grown by doubling; at most
// maxReviewBytes+1 bytes when the size is not announced.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength <= 0 || r.ContentLength > maxReviewBytes {
		return io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	return body, err
}

// decodePodReview decodes with JSON v2 (the module that became Go's
// encoding/json/v2), at half the cost of encoding/json's decoder, which was
// a fifth of an admission. Its defaults are the API server's: names match
// case-sensitively ("Command" is not "command") and unknown fields are
// skipped; it is stricter only on invalid UTF-8, which the API server never
// sends. FuzzReviewDecoders holds it to Kubernetes' own decoder.
func decodePodReview(body []byte, review *podReview) error {
	if err := jsonv2.Unmarshal(body, review, reviewDecoding); err != nil {
		return err
	}
	req := review.Request
	if req == nil || req.Object == nil || len(req.Object.Spec.InitContainers) == 0 {
		return nil
	}
	// A review that repeats a name (no API server sends one) keeps its init
	// containers as typed: the typed pod merges a repeated list into the
	// first as Kubernetes does, and copies as sent would disagree with it.
	// decodeSentInitContainers refuses repeated names, so finding them
	// costs no pass of its own.
	sent, err := decodeSentInitContainers(body)
	if errors.Is(err, jsontext.ErrDuplicateName) {
		return nil
	}
	req.sentInitContainers = sent
	return err
}
