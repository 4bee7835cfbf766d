package webhook

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// mutablePart is every field Mutate may change, at its place in a pod. The
// admission patch is computed over this part alone, marshaled from the typed
// pod before and after Mutate: the rest of the pod is neither marshaled nor
// diffed (most of an admission's cost was diffing whole pods), and fields
// this build of kvenv does not know (a newer API server's) are in neither
// document, so no patch can remove them. TestPatchCarriesEveryChange and
// FuzzMutate fail if Mutate changes a field outside it.
type mutablePart struct {
	Metadata struct {
		// Only the annotations Mutate writes (ownedAnnotations), but
		// present, if empty, wherever the pod has annotations: an absent
		// map before and a map after would patch the pod's whole map away.
		Annotations map[string]string `json:"annotations,omitzero"`
	} `json:"metadata"`
	Spec struct {
		Volumes []any `json:"volumes,omitempty"`
		// Whole, and as sent (patch_sent.go): kvenv's init container goes
		// first, so the others move.
		InitContainers []any `json:"initContainers,omitempty"`
		// App containers keep their places; only these fields change.
		Containers []wrappedFields `json:"containers"`
	} `json:"spec"`
}

// wrappedFields are what wrapping changes in an app container.
type wrappedFields struct {
	Command      []string `json:"command,omitempty"`
	Args         []string `json:"args,omitempty"`
	VolumeMounts []any    `json:"volumeMounts,omitempty"`
}

// nameOnly stands for a volume or mount kvenv does not own: Mutate appends
// its own entry or replaces it in place, and never touches the others, so
// their names keep every index in step and nothing else of them needs
// marshaling and diffing. kvenv's own entry is there in full.
type nameOnly struct {
	Name string `json:"name"`
}

// ownedOrName is items with kvenv's own entry in full and the others as
// their names.
func ownedOrName[T any](items []T, name func(*T) string) []any {
	out := make([]any, len(items))
	for i := range items {
		if n := name(&items[i]); n != layout.VolumeName {
			out[i] = nameOnly{n}
		} else {
			out[i] = &items[i]
		}
	}
	return out
}

// ownedAnnotations is the one annotation Mutate writes, kvenv.io/status, out
// of the pod's: the others (the pod's references among them) are the same
// before and after, and were a third of what the diff parsed. nil stays
// nil, any other map gives a map, empty or not.
func ownedAnnotations(all map[string]string) map[string]string {
	if all == nil {
		return nil
	}
	owned := make(map[string]string, 1)
	if v, ok := all[AnnotationStatus]; ok {
		owned[AnnotationStatus] = v
	}
	return owned
}

func volumeName(v *corev1.Volume) string     { return v.Name }
func mountName(m *corev1.VolumeMount) string { return m.Name }

func mutableOf(pod *corev1.Pod, sent sentContainers) (*mutablePart, error) {
	m := &mutablePart{}
	m.Metadata.Annotations = ownedAnnotations(pod.Annotations)
	m.Spec.Volumes = ownedOrName(pod.Spec.Volumes, volumeName)
	inits, err := initContainerDocs(pod.Spec.InitContainers, sent)
	if err != nil {
		return nil, err
	}
	m.Spec.InitContainers = inits
	m.Spec.Containers = make([]wrappedFields, len(pod.Spec.Containers))
	for i, c := range pod.Spec.Containers {
		m.Spec.Containers[i] = wrappedFields{Command: c.Command, Args: c.Args, VolumeMounts: ownedOrName(c.VolumeMounts, mountName)}
	}
	return m, nil
}

// marshalMutable is the document the patch is computed from; sent is the
// pod's init containers as the API server sent them (nil outside a review).
func marshalMutable(pod *corev1.Pod, sent sentContainers) ([]byte, error) {
	m, err := mutableOf(pod, sent)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}
