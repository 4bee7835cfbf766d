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
// default, else those named in kvenv.io/containers. known is false when the
// annotation is invalid (already reported): the targets are then unknown.
func targetsOf(pod *corev1.Pod, req request, probs *problems) (targets []*corev1.Container, known bool) {
	if _, given := pod.Annotations[AnnotationContainers]; given && req.containers == nil {
		return nil, false
	}
	if req.containers == nil {
		return everyAppContainer(pod, probs), true
	}
	return listedContainers(pod, req.containers, probs), true
}

func everyAppContainer(pod *corev1.Pod, probs *problems) []*corev1.Container {
	var targets []*corev1.Container
	for i := range pod.Spec.Containers {
		targets = append(targets, &pod.Spec.Containers[i])
	}
	if len(targets) == 0 {
		probs.addf("the pod has no container to inject into: add one to spec.containers.")
	}
	return targets
}

// listedContainers are the containers named in kvenv.io/containers, in pod order.
func listedContainers(pod *corev1.Pod, listed []string, probs *problems) []*corev1.Container {
	var targets []*corev1.Container
	want := map[string]bool{}
	for _, n := range listed {
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
	reportMissing(pod, listed, want, probs)
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

// checkMountsOutsideTargets denies any mount of kvenv's volume in a
// container that is not a target, kvenv-init aside (rebuilt by kvenv): the
// volume holds every value and the kvenv-exec that targets run, so a
// writable mount elsewhere could read the values or replace what a target
// runs on its next start. Ephemeral containers cannot be set at creation,
// the only operation kvenv sees; they are checked in case one arrives anyway.
func checkMountsOutsideTargets(pod *corev1.Pod, targets []*corev1.Container, probs *problems) {
	isTarget := make(map[*corev1.Container]bool, len(targets))
	for _, c := range targets {
		isTarget[c] = true
	}
	const listIt = "; to give it the values, name it in " + AnnotationContainers + " with every other target"
	for i := range pod.Spec.Containers {
		if c := &pod.Spec.Containers[i]; !isTarget[c] {
			denyVolumeMounts("container", c.Name, c.VolumeMounts, listIt, probs)
		}
	}
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; !isTarget[c] && c.Name != layout.InitContainerName {
			denyVolumeMounts("init container", c.Name, c.VolumeMounts, listIt, probs)
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		denyVolumeMounts("ephemeral container", c.Name, c.VolumeMounts, "", probs)
	}
}

// denyVolumeMounts reports each mount of kvenv's volume in a container that
// is not a target; one problem per mount keeps the denial's size linear in
// the pod's.
func denyVolumeMounts(kind, name string, mounts []corev1.VolumeMount, advice string, probs *problems) {
	for _, m := range mounts {
		if m.Name == layout.VolumeName {
			probs.addf("%s %s mounts kvenv's volume %s at %s, but only kvenv's targets get that volume, read-only at %s: remove that mount%s.",
				kind, name, layout.VolumeName, m.MountPath, layout.MountPath, advice)
		}
	}
}

// checkMounts denies a target that already mounts something where kvenv's
// volume goes (kvenv's read-only mount would hide it, or it would hide
// kvenv's), or that mounts kvenv's volume more than once: ensureMount makes
// one mount read-only at layout.MountPath, and another would stay writable.
// One mount of it is kvenv's own from an earlier admission (or the pod's,
// which kvenv replaces in place), so it is no problem.
func checkMounts(c *corev1.Container, probs *problems) {
	var ownPaths []string
	for _, m := range c.VolumeMounts {
		if m.Name == layout.VolumeName {
			ownPaths = append(ownPaths, m.MountPath)
			continue
		}
		if p := path.Clean(m.MountPath); p == layout.MountPath || strings.HasPrefix(p, layout.MountPath+"/") {
			probs.addf("container %s mounts volume %s at %s, where kvenv mounts its volume %s: move that mount elsewhere.",
				c.Name, m.Name, m.MountPath, layout.VolumeName)
		}
	}
	if len(ownPaths) > 1 {
		probs.addf("container %s mounts kvenv's volume %s %d times (at %s), but kvenv mounts it once, read-only at %s: remove these mounts, kvenv adds its own.",
			c.Name, layout.VolumeName, len(ownPaths), strings.Join(ownPaths, ", "), layout.MountPath)
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
