package webhook

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// targetsOf returns the containers that get the variables, in pod order
// (containers, then init containers): every spec.containers entry by
// default, else those named in kvenv.io/containers.
func targetsOf(pod *corev1.Pod, req request, probs *problems) []*corev1.Container {
	if _, given := pod.Annotations[AnnotationContainers]; given && req.containers == nil {
		return nil // the annotation is invalid and already reported
	}
	var targets []*corev1.Container
	if req.containers == nil {
		for i := range pod.Spec.Containers {
			targets = append(targets, &pod.Spec.Containers[i])
		}
		if len(targets) == 0 {
			probs.addf("the pod has no container to inject into: add one to spec.containers.")
		}
		return targets
	}
	want := map[string]bool{}
	for _, n := range req.containers {
		if n == layout.InitContainerName {
			probs.addf("%s names %s, kvenv's own init container: remove it from the list.", AnnotationContainers, n)
			continue
		}
		want[n] = true
	}
	pick := func(list []corev1.Container) {
		for i := range list {
			if want[list[i].Name] {
				targets = append(targets, &list[i])
				delete(want, list[i].Name)
			}
		}
	}
	pick(pod.Spec.Containers)
	pick(pod.Spec.InitContainers)
	reportMissing(pod, req.containers, want, probs)
	return targets
}

// reportMissing names every listed container the pod lacks in one problem,
// so that the pod's container list is shown once, not once per name.
func reportMissing(pod *corev1.Pod, listed []string, missing map[string]bool, probs *problems) {
	var names []string
	for _, n := range listed {
		if missing[n] {
			names = append(names, fmt.Sprintf("%q", n))
			delete(missing, n)
		}
	}
	if len(names) == 0 {
		return
	}
	what := "which is not a container of this pod"
	if len(names) > 1 {
		what = "which are not containers of this pod"
	}
	probs.addf("%s names %s, %s (containers: %s; init containers: %s): fix the names.",
		AnnotationContainers, strings.Join(names, ", "), what, containerNames(pod.Spec.Containers), containerNames(pod.Spec.InitContainers))
}

// checkReserved denies a pod that uses kvenv's names for something else, or
// claims to be injected without kvenv's parts: kvenv never overwrites what it
// did not make.
func checkReserved(pod *corev1.Pod, probs *problems) {
	injected := pod.Annotations[AnnotationStatus] == StatusInjected
	hasInit := indexOfContainer(pod.Spec.InitContainers, layout.InitContainerName) >= 0
	hasVolume := indexOfVolume(pod.Spec.Volumes, layout.VolumeName) >= 0
	if injected && (!hasInit || !hasVolume) {
		probs.addf("%s: %s is set but the pod lacks kvenv's init container %s or volume %s: remove the annotation, only kvenv writes it.",
			AnnotationStatus, StatusInjected, layout.InitContainerName, layout.VolumeName)
	}
	if !injected && hasVolume {
		probs.addf("spec.volumes has a volume named %q, a name kvenv reserves for its own volume: rename it.", layout.VolumeName)
	}
	if !injected && hasInit {
		probs.addf("spec.initContainers has a container named %q, a name kvenv reserves for its own init container: rename it.", layout.InitContainerName)
	}
	if indexOfContainer(pod.Spec.Containers, layout.InitContainerName) >= 0 {
		probs.addf("spec.containers has a container named %q, a name kvenv reserves for its own init container: rename it.", layout.InitContainerName)
	}
}

// checkMounts denies a target that already mounts something where kvenv's
// volume goes: kvenv's read-only mount would hide it, or it would hide kvenv's.
func checkMounts(c *corev1.Container, probs *problems) {
	for _, m := range c.VolumeMounts {
		p := path.Clean(m.MountPath)
		if m.Name != layout.VolumeName && (p == layout.MountPath || strings.HasPrefix(p, layout.MountPath+"/")) {
			probs.addf("container %s mounts volume %s at %s, where kvenv mounts its volume %s: move that mount elsewhere.",
				c.Name, m.Name, m.MountPath, layout.VolumeName)
		}
	}
}

// checkPlatform denies Windows pods: the init container and the wrapper are
// Linux programs.
func checkPlatform(pod *corev1.Pod, cfg Config, probs *problems) {
	if p := podPlatform(pod, cfg); p.OS == "windows" {
		probs.addf("the pod runs on %s (spec.os or its node selector), and kvenv injects into Linux pods only: remove the kvenv.io/ annotations.", p.OS)
	}
}

func indexOfContainer(list []corev1.Container, name string) int {
	for i := range list {
		if list[i].Name == name {
			return i
		}
	}
	return -1
}

func indexOfVolume(list []corev1.Volume, name string) int {
	for i := range list {
		if list[i].Name == name {
			return i
		}
	}
	return -1
}

func containerNames(list []corev1.Container) string {
	if len(list) == 0 {
		return "none"
	}
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
