package webhook

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// copyForMutation copies what apply writes to, and shares the rest of pod:
// the annotations, the volume list, both container lists and each
// container's mounts. apply only replaces or appends whole entries of these
// (ensureVolume, ensureMount, placeFirst, the new argv), never writes inside
// an entry it keeps, so a denied pod stays untouched and the caller's pod is
// not written through shared memory. A whole DeepCopy was a tenth of an
// admission's allocations. TestMutateWritesNothingShared and FuzzMutate
// fail if apply ever writes inside a shared part.
func copyForMutation(pod *corev1.Pod) *corev1.Pod {
	work := *pod
	work.Annotations = maps.Clone(pod.Annotations)
	work.Spec.Volumes = slices.Clone(pod.Spec.Volumes)
	work.Spec.InitContainers = cloneContainerList(pod.Spec.InitContainers)
	work.Spec.Containers = cloneContainerList(pod.Spec.Containers)
	return &work
}

func cloneContainerList(cs []corev1.Container) []corev1.Container {
	out := slices.Clone(cs)
	for i := range out {
		out[i].VolumeMounts = slices.Clone(out[i].VolumeMounts)
	}
	return out
}

// sameMutableFields compares what copyForMutation copied; everything else
// is shared, so equal.
func sameMutableFields(a, b *corev1.Pod) bool {
	eq := equality.Semantic.DeepEqual
	return eq(a.Annotations, b.Annotations) && eq(a.Spec.Volumes, b.Spec.Volumes) &&
		eq(a.Spec.InitContainers, b.Spec.InitContainers) && eq(a.Spec.Containers, b.Spec.Containers)
}
