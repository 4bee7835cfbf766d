package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// MutatePath is where the API server sends pod admission reviews.
const MutatePath = "/mutate-v1-pod"

// NamespaceReader returns a namespace's annotations. The server backs it with
// an informer cache and hands out the cached map itself: callers only read it.
// Tests and render can use a map.
type NamespaceReader interface {
	NamespaceAnnotations(ctx context.Context, name string) (map[string]string, error)
}

// Handler is the admission side: it gathers the inputs Mutate needs (the
// namespace, the image entrypoints), calls the pure mutation and answers with
// a patch computed from the pod before and after, never a hand-built one.
// It is the http.Handler the webhook server registers (review.go).
type Handler struct {
	Config     Config
	Namespaces NamespaceReader
	Images     ImageResolver // nil: containers without `command` are denied with advice
	Metrics    *Metrics      // nil: no metrics
	Log        logr.Logger   // unset: controller-runtime's logger, named "admission"
}

// admit is one pod's admission, timed, counted and logged by its result.
func (h *Handler) admit(ctx context.Context, namespace, name string, pod *corev1.Pod) admission.Response {
	start := time.Now()
	resp, result := h.mutate(ctx, namespace, pod)
	h.Metrics.observe(result, time.Since(start))
	if name == "" {
		name = "(generated)"
	}
	if l := log.FromContext(ctx).V(1); l.Enabled() {
		l.Info("admission", "namespace", namespace, "pod", name, "result", result, "allowed", resp.Allowed)
	}
	return resp
}

func (h *Handler) mutate(ctx context.Context, namespace string, pod *corev1.Pod) (admission.Response, string) {
	if !hasKvenvAnnotations(pod) {
		// The CEL matchConditions keep such pods away; this guards a
		// configuration without them.
		return admission.Allowed("no kvenv.io annotations"), ResultSkipped
	}
	// Pods created by controllers arrive without metadata.namespace.
	pod.Namespace = namespace
	in, err := h.gatherInputs(ctx, pod)
	if err != nil {
		return denyOrError(err)
	}
	// Mutate writes nothing it shares with the pod it was given
	// (TestMutateWritesNothingShared), so this shallow copy still is the pod
	// before, and only a changed pod pays for marshaling it.
	original := *pod
	result, err := Mutate(pod, in, h.Config)
	if err != nil {
		return denyOrError(err)
	}
	if !result.Changed {
		return admission.Allowed("kvenv: nothing to change").WithWarnings(result.Warnings...), ResultSkipped
	}
	before, err := marshalMutable(&original)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), ResultError
	}
	after, err := marshalMutable(pod)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), ResultError
	}
	return admission.PatchResponseFromRaw(before, after).WithWarnings(result.Warnings...), ResultInjected
}

// gatherInputs does every look-up Mutate needs, so that Mutate itself stays pure.
func (h *Handler) gatherInputs(ctx context.Context, pod *corev1.Pod) (Inputs, error) {
	in := Inputs{Namespace: pod.Namespace}
	if h.Namespaces != nil {
		ann, err := h.Namespaces.NamespaceAnnotations(ctx, pod.Namespace)
		if err != nil {
			return in, fmt.Errorf("kvenv: cannot read namespace %q: %w", pod.Namespace, err)
		}
		in.NamespaceAnnotations = ann
	}
	requests, err := ImageRequests(pod, in, h.Config)
	if err != nil || len(requests) == 0 || h.Images == nil {
		return in, err
	}
	in.Images, err = h.resolveImages(ctx, requests)
	return in, err
}

// resolveImages looks the images up in parallel: each look-up has its own
// timeout, and in sequence two slow registries would outlast the API
// server's webhook timeout.
func (h *Handler) resolveImages(ctx context.Context, requests []ImageRequest) (map[string]ImageCommand, error) {
	cmds := make([]ImageCommand, len(requests))
	errs := make([]error, len(requests))
	var wg sync.WaitGroup
	for i, r := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmds[i], errs[i] = h.Images.Resolve(ctx, r)
		}()
	}
	wg.Wait()
	images := make(map[string]ImageCommand, len(requests))
	var denials []string
	for i, r := range requests {
		if errs[i] != nil {
			denials = append(denials, errs[i].Error())
			continue
		}
		images[r.Container] = cmds[i]
	}
	if len(denials) > 0 {
		return nil, &Denial{Problems: denials}
	}
	return images, nil
}

func denyOrError(err error) (admission.Response, string) {
	var d *Denial
	if errors.As(err, &d) {
		return admission.Denied(d.Error()), ResultDenied
	}
	return admission.Errored(http.StatusInternalServerError, err), ResultError
}

func hasKvenvAnnotations(pod *corev1.Pod) bool {
	for k := range pod.Annotations {
		if strings.HasPrefix(k, "kvenv.io/") {
			return true
		}
	}
	return false
}
