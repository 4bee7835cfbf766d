package webhook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	gomodjsonpatch "gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// TestPatchCarriesEveryChange: for every golden case's pod, the patch made
// from the mutable part alone, applied to the whole pod as the API server
// sent it, gives exactly the pod Mutate returned. A field Mutate changes
// outside mutablePart would be missing from the patched pod.
func TestPatchCarriesEveryChange(t *testing.T) {
	checkEveryMutatedPod(t, checkPatchCarriesChanges)
}

// checkEveryMutatedPod runs check (which reports whether Mutate changed the
// pod) on every golden case's pod and on podsWithVolumes, and fails if too
// few of them were mutated for the check to mean anything.
func checkEveryMutatedPod(t *testing.T, check func(t *testing.T, name string, pod *corev1.Pod, in Inputs, cfg Config) bool) {
	t.Helper()
	mutated := 0
	for _, input := range goldenInputs(t) {
		raw, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		in, cfg := caseInputs(t, raw)
		for _, pod := range goldenPods(t, raw) {
			name := strings.TrimSuffix(filepath.Base(input), ".yaml") + "/" + pod.Name
			if check(t, name, pod, in, cfg) {
				mutated++
			}
		}
	}
	for name, pod := range podsWithVolumes() {
		if !check(t, name, pod, Inputs{Namespace: "apps"}, testConfig()) {
			t.Errorf("%s: not mutated", name)
		}
		mutated++
	}
	if mutated < 10 {
		t.Fatalf("only %d golden pods were mutated: the check covers too little", mutated)
	}
}

// podsWithVolumes have volumes and mounts of their own around a stale copy
// of kvenv's, which Mutate must replace in place.
func podsWithVolumes() map[string]*corev1.Pod {
	own := func(name string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
	}
	fresh := appPod(seedAnnotations())
	fresh.Spec.Volumes = []corev1.Volume{own("config"), own("certs")}
	fresh.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: "/config"}, {Name: "certs", MountPath: "/certs"}}
	// Injected by an older configuration: kvenv's volume unsized, its mount
	// writable, its init container on another image.
	stale := fresh.DeepCopy()
	stale.Annotations[AnnotationStatus] = StatusInjected
	stale.Spec.InitContainers = []corev1.Container{{Name: layout.InitContainerName, Image: "registry.example/kvenv:old"}}
	stale.Spec.Volumes = []corev1.Volume{own("config"), {Name: layout.VolumeName, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}, own("certs")}
	stale.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: "/config"},
		{Name: layout.VolumeName, MountPath: layout.MountPath}, {Name: "certs", MountPath: "/certs"}}
	return map[string]*corev1.Pod{"own volumes": fresh, "stale kvenv volume between own ones": stale}
}

// checkPatchCarriesChanges reports whether Mutate changed pod.
func checkPatchCarriesChanges(t *testing.T, name string, pod *corev1.Pod, in Inputs, cfg Config) bool {
	t.Helper()
	whole := mustJSON(t, pod)
	before := mustMutable(t, pod)
	res, err := Mutate(pod, in, cfg)
	if err != nil || !res.Changed {
		return false
	}
	ops, err := gomodjsonpatch.CreatePatch(before, mustMutable(t, pod))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	patch, err := jsonpatch.DecodePatch(mustJSON(t, ops))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	patched, err := patch.Apply(whole)
	if err != nil {
		t.Fatalf("%s: the patch does not apply to the whole pod: %v", name, err)
	}
	// Both read back from JSON, as the API server would: a fuzzed string
	// that is not UTF-8 becomes U+FFFD on both sides.
	got, want := mustJSON(t, podFromJSON(t, patched)), mustJSON(t, podFromJSON(t, mustJSON(t, pod)))
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the patched pod differs from Mutate's:\n--- patched\n%s\n--- mutated\n%s", name, got, want)
	}
	return true
}

// goldenPods is every pod, or workload pod template, of a golden input.
func goldenPods(t testing.TB, raw []byte) []*corev1.Pod {
	t.Helper()
	docs, err := readDocuments(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var pods []*corev1.Pod
	for _, d := range docs {
		obj, err := decodeJSONObject(d.json)
		if err != nil || obj == nil {
			continue
		}
		for _, tmpl := range podTemplates(obj) {
			pod, err := tmpl.pod()
			if err != nil {
				t.Fatal(err)
			}
			if pod.Name == "" {
				pod.Name = tmpl.object
			}
			pods = append(pods, pod)
		}
	}
	return pods
}

func mustMutable(t testing.TB, pod *corev1.Pod) []byte {
	t.Helper()
	b, err := marshalMutable(pod, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func podFromJSON(t testing.TB, raw []byte) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	if err := json.Unmarshal(raw, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// TestMutateWritesNothingShared: Mutate never writes into memory the
// caller's pod held before the call. A shallow copy taken before Mutate
// shares every map and slice of the original; had Mutate written inside one
// (rather than replacing it), the shallow copy would show the change.
func TestMutateWritesNothingShared(t *testing.T) {
	checkEveryMutatedPod(t, checkWritesNothingShared)
}

// checkWritesNothingShared reports whether Mutate changed pod.
func checkWritesNothingShared(t *testing.T, name string, pod *corev1.Pod, in Inputs, cfg Config) bool {
	t.Helper()
	before := mustJSON(t, pod)
	shared := *pod // its own structs, pod's slices and maps
	res, err := Mutate(pod, in, cfg)
	if got := mustJSON(t, &shared); !bytes.Equal(got, before) {
		t.Errorf("%s: Mutate wrote into the caller's pod through shared memory:\n--- before\n%s\n--- shared copy after\n%s", name, before, got)
	}
	return err == nil && res.Changed
}
