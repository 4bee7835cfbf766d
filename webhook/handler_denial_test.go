package webhook_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/webhook"
)

// countingResolver counts its look-ups and fails each one the way a
// registry does, so that a denial built from its answer is told apart.
type countingResolver struct{ calls atomic.Int32 }

const registryFailure = "registry.example answered 404 for the image config"

func (r *countingResolver) Resolve(context.Context, webhook.ImageRequest) (webhook.ImageCommand, error) {
	r.calls.Add(1)
	return webhook.ImageCommand{}, errors.New(registryFailure)
}

// admitWithResolver sends pod through kvenv's HTTP handler with resolver
// as its registry.
func admitWithResolver(t *testing.T, pod *corev1.Pod, resolver webhook.ImageResolver) admissionResponse {
	t.Helper()
	h := &webhook.Handler{Config: fuzzConfig(), Namespaces: staticNamespaces{}, Images: resolver}
	return admit(t, h, pod)
}

// TestHandlerDeniesEveryProblemAtOnce: a pod with a container without
// `command` and other problems is denied over the webhook for all of them,
// as Mutate denies it, without looking its image up.
func TestHandlerDeniesEveryProblemAtOnce(t *testing.T) {
	pod := fuzzedPod("kvenv.io/evn.X", "S", "", "", 0)
	pod.Spec.Volumes = []corev1.Volume{{Name: layout.VolumeName}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: layout.EnvDir}}
	want, err := webhook.Mutate(pod.DeepCopy(), webhook.Inputs{Namespace: pod.Namespace}, fuzzConfig())
	if err == nil {
		t.Fatalf("Mutate accepted the bad pod: %+v", want)
	}
	resolver := &countingResolver{}
	resp := admitWithResolver(t, pod, resolver)
	if resp.Allowed {
		t.Fatal("the handler allowed the bad pod")
	}
	msg := resp.Result.Message
	for _, problem := range []string{
		"kvenv.io/evn.X", `spec.volumes has a volume named "kvenv"`, "container app mounts volume data",
		"container app (image registry.example/app:1) sets no `command` and its ENTRYPOINT is unknown",
	} {
		if !strings.Contains(msg, problem) {
			t.Errorf("the denial lacks %q:\n%s", problem, msg)
		}
	}
	if msg != err.Error() {
		t.Errorf("the handler's denial differs from Mutate's:\nhandler: %s\nMutate:  %s", msg, err)
	}
	if n := resolver.calls.Load(); n != 0 {
		t.Errorf("a pod denied anyway got %d image look-ups", n)
	}
}

// TestHandlerDeniesWindowsPodWithoutLookup: a Windows pod is told kvenv is
// for Linux pods, not what a registry said about its Windows image.
func TestHandlerDeniesWindowsPodWithoutLookup(t *testing.T) {
	pod := fuzzedPod(webhook.AnnotationClientID, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "", "", 0)
	pod.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
	resolver := &countingResolver{}
	resp := admitWithResolver(t, pod, resolver)
	if resp.Allowed {
		t.Fatal("the handler allowed a Windows pod")
	}
	if msg := resp.Result.Message; !strings.Contains(msg, "Linux pods only") || strings.Contains(msg, registryFailure) {
		t.Errorf("want the Linux-only denial without the registry's answer, got:\n%s", msg)
	}
	if n := resolver.calls.Load(); n != 0 {
		t.Errorf("a Windows pod got %d image look-ups", n)
	}
}
