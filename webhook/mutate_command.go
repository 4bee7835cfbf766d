package webhook

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kvenv/kvenv/internal/layout"
)

// wrapCommand returns the command and args that run the container's own
// argv behind the wrapper: [ExecPath, "--", argv...]. Kubernetes rules:
// `command` replaces the image ENTRYPOINT and `args` its CMD; `args` alone
// keep the ENTRYPOINT; neither runs ENTRYPOINT+CMD. So the image's
// ENTRYPOINT (and CMD) must be known unless `command` is set.
func wrapCommand(c *corev1.Container, images map[string]ImageCommand, probs *problems) (command, args []string) {
	if isWrapped(c) {
		return c.Command, c.Args
	}
	if len(c.Command) > 0 {
		return behindWrapper(c.Command), c.Args
	}
	img, known := images[c.Name]
	if !known {
		probs.addf("container %s (image %s) sets no `command` and its ENTRYPOINT is unknown: set `command` in the pod spec.", c.Name, c.Image)
		return nil, nil
	}
	if len(c.Args) > 0 {
		return behindWrapper(img.Entrypoint), c.Args
	}
	if len(img.Entrypoint) == 0 && len(img.Cmd) == 0 {
		probs.addf("container %s (image %s) sets no `command` and its image has neither ENTRYPOINT nor CMD: set `command` in the pod spec.", c.Name, c.Image)
		return nil, nil
	}
	return behindWrapper(img.Entrypoint), clone(img.Cmd)
}

// isWrapped reports whether kvenv already rewrote the container's command.
func isWrapped(c *corev1.Container) bool {
	return len(c.Command) > 0 && c.Command[0] == layout.ExecPath
}

func behindWrapper(argv []string) []string {
	return append([]string{layout.ExecPath, "--"}, argv...)
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// ensureMount mounts kvenv's volume read-only at layout.MountPath, replacing
// a mount of the same volume (kvenv's own from an earlier admission, or the
// pod's). Only the first is replaced: checkMounts denies a target that
// mounts the volume twice, so no writable second mount is left beside it.
func ensureMount(c *corev1.Container) {
	mount := corev1.VolumeMount{Name: layout.VolumeName, MountPath: layout.MountPath, ReadOnly: true}
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == layout.VolumeName {
			c.VolumeMounts[i] = mount
			return
		}
	}
	c.VolumeMounts = append(c.VolumeMounts, mount)
}

// ensureVolume adds kvenv's memory volume, replacing one of the same name.
// Memory, so that values never reach the node's disk.
func ensureVolume(spec *corev1.PodSpec, size resource.Quantity) {
	v := corev1.Volume{Name: layout.VolumeName, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size},
	}}
	if i := indexOfVolume(spec.Volumes, layout.VolumeName); i >= 0 {
		spec.Volumes[i] = v
		return
	}
	spec.Volumes = append(spec.Volumes, v)
}

// placeFirst puts kvenv's init container before every other one, replacing
// the previous copy wherever it was, so it runs before any target.
func placeFirst(spec *corev1.PodSpec, init corev1.Container) {
	rest := make([]corev1.Container, 0, len(spec.InitContainers)+1)
	rest = append(rest, init)
	for _, c := range spec.InitContainers {
		if c.Name != layout.InitContainerName {
			rest = append(rest, c)
		}
	}
	spec.InitContainers = rest
}
