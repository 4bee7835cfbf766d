package webhook

import (
	"os"
	"reflect"
	"testing"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
)

// FuzzReviewDecoders holds decodePodReview to Kubernetes' own decoder
// (sigs.k8s.io/json, case-sensitive): whatever both decode, they decode to
// the same review; what only Kubernetes' decoder takes is invalid UTF-8,
// which an API server never sends; nothing is taken by kvenv's decoder
// alone. Duplicate names are taken by both.
func FuzzReviewDecoders(f *testing.F) {
	for _, seed := range append(reviewSeeds(f), duplicateNameSeeds...) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var ours, theirs podReview
		errOurs := decodePodReview(body, &ours)
		errTheirs := sigsjson.UnmarshalCaseSensitivePreserveInts(body, &theirs)
		switch {
		case errOurs == nil && errTheirs != nil:
			t.Fatalf("kvenv decodes what Kubernetes rejects (%v)", errTheirs)
		case errOurs != nil && errTheirs == nil:
			if utf8.Valid(body) {
				t.Fatalf("kvenv rejects what Kubernetes decodes: %v", errOurs)
			}
		case errOurs == nil:
			checkSentInitContainers(t, ours.Request)
			if ours.Request != nil {
				ours.Request.sentInitContainers = nil // Kubernetes' decoder has no such field
			}
			if !reflect.DeepEqual(ours, theirs) {
				t.Fatalf("the decoders disagree:\n kvenv      %+v\n Kubernetes %+v", ours.Request, theirs.Request)
			}
		}
	})
}

// checkSentInitContainers: an init container kept as sent is the typed
// one, decoded again: kept under its own name, with the same fields (the
// patch is diffed from it, and applied to what the typed pod says).
func checkSentInitContainers(t *testing.T, req *podReviewRequest) {
	if req == nil || req.Object == nil {
		return
	}
	names := map[string]int{}
	for _, c := range req.Object.Spec.InitContainers {
		names[c.Name]++
	}
	for _, c := range req.Object.Spec.InitContainers {
		raw, ok := req.sentInitContainers[c.Name]
		if !ok || names[c.Name] > 1 {
			continue // sent as null, or a later one of the same name won
		}
		var sent corev1.Container
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &sent); err != nil {
			t.Fatalf("init container %q as sent does not decode: %v", c.Name, err)
		}
		if !reflect.DeepEqual(sent, c) {
			t.Fatalf("init container %q as sent is not the typed one:\n sent  %+v\n typed %+v", c.Name, sent, c)
		}
	}
}

// reviewSeeds are the load generator's reviews and every golden pod as the
// API server would send it.
func reviewSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, shape := range []loadgen.PodShape{{Namespace: "apps"}, {Namespace: "apps", Containers: 5, Refs: 20}, {Namespace: "apps", NoCommand: true}} {
		body, err := loadgen.ReviewBody(shape)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, body)
	}
	for _, input := range goldenInputs(t) {
		raw, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		for _, pod := range goldenPods(t, raw) {
			seeds = append(seeds, mustJSON(t, map[string]any{
				"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
				"request": map[string]any{"uid": "u", "kind": podKind, "namespace": "apps", "object": pod},
			}))
		}
	}
	return seeds
}

// duplicateNameSeeds repeat names where the two decoders could part ways:
// a string map, a list (one decoder could merge the second list into the
// first), a struct, the pod itself, and the init container list, which is
// also kept as sent.
var duplicateNameSeeds = [][]byte{
	[]byte(`{"request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"object":{"metadata":{"annotations":{"kvenv.io/vault":"a","kvenv.io/vault":"b"}}}}}`),
	[]byte(`{"request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"containers":[{"name":"a","image":"i"}],"containers":[{"command":["x"]}]}}}}`),
	[]byte(`{"request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"initContainers":[{"name":"a","name":"b","args":["1"]}],"securityContext":{"runAsUser":1},"securityContext":{"runAsGroup":2}}}}}`),
	[]byte(`{"request":{"uid":"u","object":{"metadata":{"name":"a"}},"object":{"spec":{"containers":[{"name":"b"}]}}}}`),
	[]byte(`{"request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"initContainers":[{"name":"setup","image":"a","workingDir":"/w"}],"initContainers":[{"name":"setup"}]}}}}`),
}
