package webhook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
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
	// ImagesDeadline bounds all of one pod's image look-ups together: the
	// registry look-up timeout (--registry-lookup-timeout). Zero:
	// DefaultImagesDeadline.
	ImagesDeadline time.Duration
}

// DefaultImagesDeadline is the registry's default look-up timeout
// (imageconfig.DefaultLookupTimeout, which imports this package): half of
// the webhook's 10s timeoutSeconds, so that kvenv's denial, not the API
// server's timeout, answers a pod whose registries are slow.
const DefaultImagesDeadline = 5 * time.Second

func (h *Handler) imagesDeadline() time.Duration {
	if h.ImagesDeadline > 0 {
		return h.ImagesDeadline
	}
	return DefaultImagesDeadline
}

// admit is one pod's admission, timed, counted and logged by its result.
func (h *Handler) admit(ctx context.Context, req *podReviewRequest) admission.Response {
	start := time.Now()
	resp, result := h.mutate(ctx, req.Namespace, req.Object, req.sentInitContainers)
	h.Metrics.observe(result, time.Since(start))
	// h.logger(), not log.FromContext: that one clones the logger (an
	// empty WithValues) on every call, debug level off or not.
	if l := h.logger().V(1); l.Enabled() {
		l.Info("admission", "namespace", req.Namespace, "pod", cmp.Or(req.Name, "(generated)"), "result", result, "allowed", resp.Allowed)
	}
	return resp
}

func (h *Handler) mutate(ctx context.Context, namespace string, pod *corev1.Pod, sent sentContainers) (admission.Response, string) {
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
	before, err := marshalMutable(&original, sent)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), ResultError
	}
	after, err := marshalMutable(pod, sent)
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

// maxLookUpsPerPod bounds one pod's image look-ups in flight. The registry
// client talks to registries for a few dozen look-ups at once across all
// pods (imageconfig); a pod naming hundreds of images must not take every
// one of those from the others.
const maxLookUpsPerPod = 8

// resolveImages looks the images up in parallel, up to maxLookUpsPerPod at
// a time, all within one deadline: each look-up has its own timeout, and
// in waves (or in sequence) slow registries would outlast the API server's
// webhook timeout. Images that never got a slot within it are denied.
func (h *Handler) resolveImages(ctx context.Context, requests []ImageRequest) (map[string]ImageCommand, error) {
	ctx, cancel := context.WithTimeout(ctx, h.imagesDeadline())
	defer cancel()
	cmds := make([]ImageCommand, len(requests))
	errs := make([]error, len(requests))
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxLookUpsPerPod)
	for i, r := range requests {
		if !waitForSlot(ctx, slots) {
			errs[i] = h.notLookedUp(r)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			cmds[i], errs[i] = h.resolveRecovering(ctx, r)
		})
	}
	wg.Wait()
	images := make(map[string]ImageCommand, len(requests))
	var denials []string
	for i, r := range requests {
		var internal *internalError
		switch {
		case errors.As(errs[i], &internal):
			return nil, internal
		case errs[i] != nil:
			denials = append(denials, errs[i].Error())
		default:
			images[r.Container] = cmds[i]
		}
	}
	if len(denials) > 0 {
		return nil, &Denial{Problems: denials}
	}
	return images, nil
}

// waitForSlot takes one of slots unless ctx ends first.
func waitForSlot(ctx context.Context, slots chan struct{}) bool {
	if ctx.Err() != nil {
		return false // select would pick a free slot half the time
	}
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// notLookedUp is the denial of an image whose look-up never started before
// the pod's images deadline.
func (h *Handler) notLookedUp(r ImageRequest) error {
	return fmt.Errorf("container %q: the ENTRYPOINT/CMD of image %q was not looked up: the pod names too many images "+
		"without `command` to look them all up within %v (%d at a time); to fix, set `command` in the pod spec for container %q",
		r.Container, r.Image, h.imagesDeadline(), maxLookUpsPerPod, r.Container)
}

// internalError is kvenv's own failure, answered as an error (the API
// server then applies the failure policy), not as a denial of the pod.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

// resolveRecovering turns a panic in a look-up into an error answer:
// admitRecovering does not cover the goroutines look-ups run in, and an
// unrecovered panic there would take the replica down.
func (h *Handler) resolveRecovering(ctx context.Context, r ImageRequest) (cmd ImageCommand, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.FromContext(ctx).Error(fmt.Errorf("%v", p), "kvenv: panic while looking up an image",
				"container", r.Container, "image", r.Image, "stack", string(debug.Stack()))
			err = &internalError{fmt.Sprintf("kvenv: internal error while looking up the image of container %q; the webhook's log has the details", r.Container)}
		}
	}()
	return h.Images.Resolve(ctx, r)
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
