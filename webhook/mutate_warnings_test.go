package webhook

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const sharedProcessWarning = "shareProcessNamespace lets containers"

// sharingPod is appPod with a log shipper beside the app, a plain init
// container and a native sidecar, and spec.shareProcessNamespace as given.
func sharingPod(share *bool, annotations map[string]string) *corev1.Pod {
	pod := appPod(annotations)
	pod.Spec.ShareProcessNamespace = share
	pod.Spec.Containers = append(pod.Spec.Containers,
		corev1.Container{Name: "log-shipper", Image: "registry.example/shipper:1", Command: []string{"/ship"}})
	always := corev1.ContainerRestartPolicyAlways
	pod.Spec.InitContainers = []corev1.Container{
		{Name: "wait-db", Image: "registry.example/wait:1", Command: []string{"/wait"}},
		{Name: "mesh-proxy", Image: "registry.example/proxy:1", Command: []string{"/proxy"}, RestartPolicy: &always},
	}
	return pod
}

// startWaitAfterProxy puts the plain init container wait-db after the
// native sidecar mesh-proxy, which keeps running while wait-db runs.
func startWaitAfterProxy(pod *corev1.Pod) {
	init := pod.Spec.InitContainers
	init[0], init[1] = init[1], init[0]
}

func withContainers(list string) map[string]string {
	a := seedAnnotations()
	a[AnnotationContainers] = list
	return a
}

// TestSharedProcessWarning: leaving a container out of kvenv.io/containers
// keeps kvenv's volume from it, but not the targets' /proc when the pod
// shares its process namespace; the warning names who can still read.
func TestSharedProcessWarning(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name       string
		share      *bool
		containers string // kvenv.io/containers; "" leaves it out
		edit       func(*corev1.Pod)
		named      string // as the warning lists them; "" for no warning
	}{
		{"shared, sidecars not listed", &yes, "app", nil, "mesh-proxy, log-shipper"},
		{"shared, default targets", &yes, "", nil, "mesh-proxy"},
		{"shared, plain init after a target sidecar", &yes, "app, log-shipper, mesh-proxy", startWaitAfterProxy, "wait-db"},
		{"shared, plain init before a target sidecar", &yes, "app, log-shipper, mesh-proxy", nil, ""},
		{"shared, every container a target", &yes, "app, log-shipper, mesh-proxy, wait-db", nil, ""},
		{"shareProcessNamespace false", &no, "app", nil, ""},
		{"shareProcessNamespace unset", nil, "app", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			annotations := seedAnnotations()
			if tc.containers != "" {
				annotations = withContainers(tc.containers)
			}
			pod := sharingPod(tc.share, annotations)
			if tc.edit != nil {
				tc.edit(pod)
			}
			res := mustMutate(t, pod, Inputs{}, testConfig())
			w := sharedWarning(res.Warnings)
			if tc.named == "" {
				if w != "" {
					t.Fatalf("warned although no other container runs beside a target: %q", w)
				}
				return
			}
			if want := "containers " + tc.named + " (not targets)"; !strings.Contains(w, want) {
				t.Fatalf("want a warning naming exactly %s; warnings: %q", tc.named, res.Warnings)
			}
			for _, fix := range []string{"drop shareProcessNamespace", "another runAsUser", "accept it"} {
				if !strings.Contains(w, fix) {
					t.Errorf("warning does not say %q: %q", fix, w)
				}
			}
		})
	}
}

// TestSharedProcessWarningOnMutatedPod: mutating kvenv's own output warns
// the same, and kvenv-init, now in the pod, is never named.
func TestSharedProcessWarningOnMutatedPod(t *testing.T) {
	yes := true
	pod := sharingPod(&yes, withContainers("app"))
	first := sharedWarning(mustMutate(t, pod, Inputs{}, testConfig()).Warnings)
	again := sharedWarning(mustMutate(t, pod, Inputs{}, testConfig()).Warnings)
	if first == "" || again != first {
		t.Errorf("warning changed on the mutated pod:\nfirst: %q\nagain: %q", first, again)
	}
}

// TestSharedProcessWarningStaysShort: long and many container names still
// give a warning the API server passes on whole, naming the first.
func TestSharedProcessWarningStaysShort(t *testing.T) {
	yes := true
	pod := sharingPod(&yes, withContainers("app"))
	long := strings.Repeat("a", 60)
	for i := 0; i < 300; i++ {
		name := long + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + "x"
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: name, Image: "i", Command: []string{"/c"}})
	}
	w := sharedWarning(mustMutate(t, pod, Inputs{}, testConfig()).Warnings)
	if len(w) > 256 {
		t.Errorf("warning of %d bytes, over the API server's 256: %q", len(w), w)
	}
	if !strings.Contains(w, "log-shipper") || !strings.Contains(w, "more") {
		t.Errorf("warning names neither the first container nor how many more: %q", w)
	}
}

// TestSharedProcessWarningSurvivesTheCap: many per-container warnings do
// not push the shared-process warning out of the capped list.
func TestSharedProcessWarningSurvivesTheCap(t *testing.T) {
	yes := true
	annotations := withContainers("app")
	pod := sharingPod(&yes, annotations)
	for i := 0; i < maxWarnings; i++ {
		env := fmt.Sprintf("SETTING_%d", i)
		annotations[AnnotationEnvPrefix+env] = fmt.Sprintf("Setting%d", i)
		pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: env, Value: "placeholder"})
	}
	res := mustMutate(t, pod, Inputs{}, testConfig())
	if !containsWarning(res.Warnings, "more warnings like") {
		t.Fatalf("the pod did not reach the cap of %d warnings: %q", maxWarnings, res.Warnings)
	}
	if sharedWarning(res.Warnings) == "" {
		t.Errorf("the cap dropped the shared-process warning: %q", res.Warnings)
	}
}

// TestSharedProcessWarningHoldsNoAnnotationValue: the warning names
// containers only, never a vault, secret or variable from the annotations.
func TestSharedProcessWarningHoldsNoAnnotationValue(t *testing.T) {
	yes := true
	annotations := withContainers("app")
	pod := sharingPod(&yes, annotations)
	w := sharedWarning(mustMutate(t, pod, Inputs{}, testConfig()).Warnings)
	if w == "" {
		t.Fatal("no shared-process warning to check")
	}
	for key, v := range annotations {
		if key == AnnotationContainers {
			continue // container names are what the warning is about
		}
		if strings.Contains(w, v) {
			t.Errorf("warning repeats the value of %s: %q", key, w)
		}
	}
}

func sharedWarning(warnings []string) string {
	for _, w := range warnings {
		if strings.Contains(w, sharedProcessWarning) {
			return w
		}
	}
	return ""
}
